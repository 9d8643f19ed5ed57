"""The gateway: which models the upstream engine serves, what it is sent as, and its model listing.

A model the local server has (`local-ngram`, `local-embed`, `local-moderation`, a model fine-tuned
here) stays local; every other model is the upstream's. `model_map` renames on the way: with
`{"fast": "llama3.2:1b"}`, a request for `fast` reaches the upstream as `llama3.2:1b`, and the
answer names it `fast` again.

Example:
    >>> gateway = Gateway(Upstream("http://127.0.0.1:9/v1"), model_map={"fast": "llama3.2:1b"})
    >>> gateway.serves("fast"), gateway.serves("gpt-4o-mini"), gateway.serves("local-ngram")
    (True, True, False)
    >>> gateway.serves("ft:local-ngram:local:demo:abc12345"), gateway.serves(None), gateway.serves(7)
    (False, False, False)
    >>> gateway.upstream_name("fast"), gateway.public_name("fast", "llama3.2:1b")
    ('llama3.2:1b', 'fast')
    >>> gateway.upstream.close()
"""

from __future__ import annotations

import logging
import threading
import time

from jupyter_api_kit.local.gateway import chat, inference
from jupyter_api_kit.local.gateway.language import UpstreamModel
from jupyter_api_kit.local.gateway.upstream import Upstream, UpstreamError
from jupyter_api_kit.local.models.embedding import EMBEDDING_MODELS
from jupyter_api_kit.local.models.language import LANGUAGE_MODELS
from jupyter_api_kit.local.models.moderation import MODERATION_MODELS

log = logging.getLogger("jupyter_api_kit.local.gateway")

#: how long the upstream's model listing is reused before it is asked again, in seconds
LISTING_TTL = 30.0
LOCAL_MODELS = frozenset([*LANGUAGE_MODELS, *EMBEDDING_MODELS, *MODERATION_MODELS])


def is_local_model(model: str) -> bool:
    """True for the local server's own models, fine-tuned ones (`ft:<local base>:...`) included.

    Example:
        >>> is_local_model("local-ngram"), is_local_model("ft:ft:local-ngram:local::a:b"), is_local_model("llama3")
        (True, True, False)
    """
    while model.startswith("ft:"):
        model = model[3:]
    return model in LOCAL_MODELS or model.split(":", 1)[0] in LANGUAGE_MODELS


def parse_model_map(text: str | None) -> dict[str, str]:
    """`a=b,c=d` as `{"a": "b", "c": "d"}`; a pair without `=`, an empty name, or a local model's
    name on the left (the local models keep their names) is a ValueError saying which.

    Example:
        >>> parse_model_map("fast=llama3.2:1b, embed=nomic-embed-text")
        {'fast': 'llama3.2:1b', 'embed': 'nomic-embed-text'}
        >>> parse_model_map("local-ngram=llama3")
        Traceback (most recent call last):
        ...
        ValueError: --upstream-model-map: 'local-ngram' is a local model's name; choose another name for 'llama3'
    """
    mapping: dict[str, str] = {}
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        name, sep, target = (part.strip() for part in pair.partition("="))
        if not sep or not name or not target:
            raise ValueError(f"--upstream-model-map: expected NAME=UPSTREAM_MODEL pairs separated by commas, "
                             f"got {pair.strip()!r}")
        if is_local_model(name):
            raise ValueError(f"--upstream-model-map: {name!r} is a local model's name; choose another name "
                             f"for {target!r}")
        mapping[name] = target
    return mapping


class Gateway:
    """The upstream engine and how the local server routes to it (see the module's docstring).
    `embedding_model` is the upstream model that embeds vector store files (None: `local-embed`)."""

    def __init__(self, upstream: Upstream, model_map: dict[str, str] | None = None,
                 embedding_model: str | None = None):
        self.upstream = upstream
        self.model_map = dict(model_map or {})
        self._public = {target: name for name, target in self.model_map.items()}
        self.embedding_model = embedding_model
        self._listing: tuple[float, list[dict]] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Gateway({self.upstream!r}, model_map={self.model_map!r})"

    def serves(self, model) -> bool:
        """True when `model` (a request's `model` value, of any JSON type) is the upstream's to answer."""
        return isinstance(model, str) and bool(model) and (model in self.model_map or not is_local_model(model))

    def upstream_name(self, model: str) -> str:
        """The name the upstream knows `model` by."""
        return self.model_map.get(model, model)

    def public_name(self, requested: str, answered) -> str:
        """The model an answer names: the name the client asked for when the upstream answered with
        the name it was sent (an alias stays an alias), else what the upstream said."""
        if not isinstance(answered, str) or not answered:
            return requested
        return requested if answered == self.upstream_name(requested) else answered

    def model_objects(self, app=None) -> list[dict]:
        """The upstream's models as the API's Model objects, then the aliases of `model_map`. The
        listing is asked for at most every `LISTING_TTL` seconds; an upstream that does not answer
        lists nothing (the local models are still listed), and the failure is logged.

        Example:
            >>> Gateway(Upstream("http://127.0.0.1:9/v1", connect_timeout=0.2), {"fast": "m"}).model_objects()[0]["id"]
            'fast'
        """
        with self._lock:
            if self._listing and time.monotonic() - self._listing[0] < LISTING_TTL:
                return list(self._listing[1])
        try:
            data = self.upstream.get("/models").get("data")
        except UpstreamError as exc:
            log.warning("the upstream's model listing failed: %s", exc.message)
            data = None
        models = []
        for entry in data if isinstance(data, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str) and not is_local_model(entry["id"]):
                created = entry.get("created")
                models.append({"id": entry["id"], "object": "model",
                               "created": created if isinstance(created, int) else 0,
                               "owned_by": str(entry.get("owned_by") or "upstream")})
        ids = {m["id"] for m in models}
        models += [{"id": name, "object": "model", "created": 0, "owned_by": "upstream"}
                   for name in self.model_map if name not in ids]
        if data is not None:
            with self._lock:
                self._listing = (time.monotonic(), models)
        return list(models)

    def resolve(self, app, requested: str):
        """The model registry's resolver: an `UpstreamModel` for a model the upstream serves, else None,
        so responses, assistants runs and eval runs sample from the upstream.

        Example:
            >>> gateway = Gateway(Upstream("http://127.0.0.1:9/v1"), {"fast": "llama3.2:1b"})
            >>> gateway.resolve(None, "fast").upstream_id, gateway.resolve(None, "local-ngram")
            ('llama3.2:1b', None)
        """
        if not self.serves(requested):
            return None
        return UpstreamModel(requested, self.upstream_name(requested), self.upstream)

    def embedder(self, app, model_id: str):
        """The model registry's embedder: an `UpstreamEmbedder` for an upstream model, else None."""
        if not self.serves(model_id):
            return None
        return inference.UpstreamEmbedder(model_id, self.upstream_name(model_id), self.upstream)

    def chat(self, app, body: dict, principal):
        """`POST /chat/completions` by the upstream (see `gateway.chat`)."""
        return chat.create(app, self, body, principal)

    def completion(self, app, body: dict, principal):
        """`POST /completions` (legacy) by the upstream (see `gateway.inference`)."""
        return inference.completion(app, self, body, principal)

    def embeddings(self, app, body: dict, principal) -> dict:
        """`POST /embeddings` by the upstream (see `gateway.inference`)."""
        return inference.embeddings(app, self, body, principal)

    def close(self) -> None:
        """Close the upstream's connections."""
        self.upstream.close()
