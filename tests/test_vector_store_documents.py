"""Documents other than plain text in vector stores: PDF (written here with fpdf2), HTML, Markdown and
JSON are uploaded with the official `openai` package, attached, chunked and searched, and their text
comes back; PDFs that cannot be read (damaged, password-protected) and binary files end `failed`
with a `last_error` that says why. Every exchange is checked against the OpenAPI description."""

from __future__ import annotations

import json

import pytest
import requests

from tests.threads_support import openai_client  # noqa: F401 (fixture)

pytest.importorskip("openai")
fpdf = pytest.importorskip("fpdf")


def make_pdf(*pages: list[str], password: str | None = None) -> bytes:
    """A real PDF with one page per list of paragraphs (fpdf2's core Helvetica font)."""
    pdf = fpdf.FPDF()
    pdf.set_font("helvetica", size=12)
    for paragraphs in pages:
        pdf.add_page()
        for text in paragraphs:
            pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    if password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=password)
    return bytes(pdf.output())


PLANETS_PDF = [["Field notes on the red planet.", "Mars has two small moons named Phobos and Deimos."],
               ["Appendix.", "Olympus Mons on Mars is the tallest volcano in the solar system."]]


def attach(sdk, name: str, data: bytes, **options):
    """Upload `data` as `name`, attach it to a new store and wait until it is processed."""
    uploaded = sdk.files.create(file=(name, data), purpose="assistants")
    store = sdk.vector_stores.create(name=name)
    done = sdk.vector_stores.files.create_and_poll(file_id=uploaded.id, vector_store_id=store.id,
                                                   poll_interval_ms=20, **options)
    return store, uploaded, done


def test_pdf_text_is_indexed_chunked_and_found(openai_client):
    sdk = openai_client
    store, uploaded, done = attach(sdk, "planets.pdf", make_pdf(*PLANETS_PDF))
    assert done.status == "completed" and done.last_error is None and done.usage_bytes > 0

    hits = list(sdk.vector_stores.search(store.id, query="What are the moons of Mars called?"))
    assert hits[0].filename == "planets.pdf" and hits[0].file_id == uploaded.id
    found = hits[0].content[0].text
    assert "Phobos and Deimos" in found and "Olympus Mons" in found  # both pages, one chunk
    assert "%PDF" not in found and "endobj" not in found

    content = list(sdk.vector_stores.files.content(file_id=uploaded.id, vector_store_id=store.id))
    assert content[0].text.startswith("Field notes on the red planet.")


def test_a_long_pdf_is_cut_into_the_strategy_s_chunks(openai_client):
    sdk = openai_client
    filler = [f"Paragraph {i} talks about rocks, dust and sunlight on a quiet plain." for i in range(30)]
    pages = [filler[:15], filler[15:] + ["The rover found ice near the southern pole of Mars."]]
    strategy = {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 0}}
    store, uploaded, done = attach(sdk, "survey.pdf", make_pdf(*pages), chunking_strategy=strategy)
    assert done.status == "completed" and done.chunking_strategy.static.max_chunk_size_tokens == 100

    everything = list(sdk.vector_stores.search(store.id, query="rocks dust sunlight", max_num_results=50))
    assert len(everything) > 3  # many chunks of one file
    hits = list(sdk.vector_stores.search(store.id, query="ice southern pole", max_num_results=1))
    assert "ice near the southern pole" in hits[0].content[0].text
    assert "Paragraph 0 " not in hits[0].content[0].text  # a chunk near the end, not the whole text


HTML = """<!doctype html><html><head><title>Saturn facts</title>
<style>body { color: red; }</style><script>var trackingCode = "xyzzy";</script></head>
<body><h1>Saturn</h1><p>Titan is the largest moon of Saturn &amp; has lakes of methane.</p>
<noscript>Enable scripts</noscript></body></html>"""

MARKDOWN = """# Jupiter

Jupiter is the **largest planet**; see [the probe](https://example.org/juno) for details.

| moon     | discovered |
|----------|------------|
| Ganymede | 1610       |
"""

JSON_DOC = {"planet": "Venus", "facts": [{"fact": "Venus spins backwards compared with most planets."},
                                         {"fact": "A day on Venus is longer than its year."}],
            "moons": 0, "visited": True}


@pytest.mark.parametrize("name, data, query, present, absent", [
    ("saturn.html", HTML.encode(), "lakes of methane on Titan",
     ["Saturn facts", "Titan is the largest moon of Saturn & has lakes of methane."],
     ["trackingCode", "color: red", "<p>", "Enable scripts"]),
    ("jupiter.md", MARKDOWN.encode(), "largest planet",
     ["Jupiter is the largest planet; see the probe for details.", "Ganymede"],
     ["**", "https://example.org", "](", "|---"]),
    ("venus.json", json.dumps(JSON_DOC, indent=2).encode(), "Venus spins backwards",
     ["planet: Venus", "fact: Venus spins backwards compared with most planets.", "moons: 0", "visited: true"],
     ['"fact"', "{", "["]),
])
def test_html_markdown_and_json_give_their_text(openai_client, name, data, query, present, absent):
    sdk = openai_client
    store, uploaded, done = attach(sdk, name, data)
    assert done.status == "completed"
    text = list(sdk.vector_stores.search(store.id, query=query))[0].content[0].text
    for words in present:
        assert words in text
    for words in absent:
        assert words not in text


@pytest.mark.parametrize("name, data, code, reason", [
    ("torn.pdf", make_pdf(*PLANETS_PDF)[:400], "invalid_file", "not a readable PDF"),
    ("locked.pdf", make_pdf(*PLANETS_PDF, password="letmein"), "unsupported_file", "needs a password"),
    ("slides.pptx", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe\x00\x01", "unsupported_file",
     "neither UTF-8 text nor a PDF"),
    ("broken.json", b'{"planet": "Mars", ', "invalid_file", "not valid JSON"),
])
def test_unreadable_documents_fail_with_the_reason(openai_client, name, data, code, reason):
    sdk = openai_client
    store, uploaded, done = attach(sdk, name, data)
    assert done.status == "failed" and done.usage_bytes == 0
    assert done.last_error.code == code
    assert name in done.last_error.message and reason in done.last_error.message
    assert list(sdk.vector_stores.search(store.id, query="Mars")) == []
    assert sdk.vector_stores.retrieve(store.id).file_counts.failed == 1


def test_a_pdf_opened_without_a_password_is_read(openai_client):
    # Many "protected" PDFs are encrypted with an empty user password: readers open them as is.
    store, uploaded, done = attach(openai_client, "open.pdf", make_pdf(*PLANETS_PDF, password=""))
    assert done.status == "completed"
    assert "Phobos" in list(openai_client.vector_stores.search(store.id, query="moons"))[0].content[0].text


def test_a_pdf_as_responses_input_file(openai_client, server, contract):
    uploaded = openai_client.files.create(file=("planets.pdf", make_pdf(*PLANETS_PDF)), purpose="user_data")
    # Posted without the request check: the description's InputItem matches a message whose content is a
    # list of parts both as EasyInputMessage and as InputMessage (see test_responses_api). The answer is
    # checked.
    body = {"model": "local-ngram", "max_output_tokens": 20, "input": [{"role": "user", "content": [
        {"type": "input_file", "file_id": uploaded.id}, {"type": "input_text", "text": "Name the moons."}]}]}
    with_file = requests.post(f"{server.base_url}/responses", json=body, timeout=30, headers=server.headers)
    contract.validate_body("POST", "/responses", with_file.json(), with_file.status_code)
    alone = openai_client.responses.create(model="local-ngram", max_output_tokens=20, input="Name the moons.")
    assert with_file.json()["status"] in ("completed", "incomplete")
    assert with_file.json()["usage"]["input_tokens"] > alone.usage.input_tokens + 20  # the PDF's text was read
