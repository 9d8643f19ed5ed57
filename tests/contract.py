"""Contract checker: every HTTP exchange in the test suite is held to the official OpenAI API description.

The description (``openapi.yaml``, OpenAPI 3.1) is OpenAI's and never copied into the repository;
``tests/contract_source.py`` finds it (``JUPYTER_API_KIT_OPENAPI``, ``../shared/openapi/``, the user cache,
or a download of the pinned file).

Typical use::

    from tests.contract import Contract, ContractViolation

    contract = Contract.load()                      # parsed once per test session
    rec = contract.recorder()
    session.hooks["response"].append(rec)           # every exchange is now validated
    ...
    rec.assert_clean()

Validation runs on openapi-core (0.23) for JSON requests, query/path parameters and JSON responses.
The loaded description is adjusted before use (see :func:`prepare_spec`), because a few of its constructs
make openapi-core either crash or reject data the API really sends.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit

import requests
import yaml
from jsonschema.exceptions import best_match

from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.validation.request.validators import (
    V31RequestParametersValidator,
    V31RequestValidator,
)
from openapi_core.validation.response.validators import V31ResponseValidator
from openapi_core.validation.schemas import oas31_schema_validators_factory

from tests.contract_source import SPEC_ENV_VAR, find_spec

__all__ = [
    "Contract",
    "ContractViolation",
    "ExchangeRecorder",
    "SPEC_ENV_VAR",
    "find_spec",
    "prepare_spec",
]


# Keys whose values are data (examples, defaults, docs metadata), not schemas: the spec rewrite must not
# touch them, or an example that happens to contain ``"nullable": true`` would be "fixed" too.
_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const", "x-oaiMeta"})
# Keywords whose value maps names to schemas.
_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas", "schemas"})
# Keywords that only annotate a schema; when a schema is wrapped in ``anyOf`` they stay on the wrapper.
_ANNOTATIONS = frozenset(
    {"description", "title", "default", "example", "examples", "deprecated", "readOnly", "writeOnly",
     "externalDocs", "$comment"}
)
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_V1_PREFIX = re.compile(r"^.*?/v1(?=/|$)")


class ContractViolation(AssertionError):
    """An exchange (or a piece of data) does not follow the OpenAI API description.

    Subclasses ``AssertionError`` so that pytest shows it as a test failure, not as an error in the
    test's own code. ``operation`` is the operationId (or None when no operation matched).
    """

    def __init__(self, message: str, operation: str | None = None):
        super().__init__(message)
        self.operation = operation


# --------------------------------------------------------------------------------------------------
# Preparing the description
# --------------------------------------------------------------------------------------------------


def _resolve_ref(doc: dict, node: Any) -> Any:
    """Follow local ``$ref`` pointers (``#/a/b``) until a non-reference node is reached."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 32:
        target: Any = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
    return node


def _fix_schema_node(node: dict, notes: dict[str, int]) -> None:
    """Rewrite one schema object in place (see :func:`prepare_spec` for the reasons)."""
    disc = node.get("discriminator")
    if isinstance(disc, dict) and "propertyName" in disc:
        del node["discriminator"]
        notes["discriminator removed"] += 1

    # OpenAPI 3.0's boolean ``exclusiveMinimum: true`` (beside ``minimum``) is read by 3.1 as the number
    # 1 (True), which rejects a learning rate multiplier of 1.0 or 0.5; 3.1 spells it as the bound itself.
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(exclusive), bool):
            if node.pop(exclusive) and bound in node:
                node[exclusive] = node.pop(bound)
            notes["boolean exclusive bound -> number"] += 1

    # ``allOf: [{$ref: X}, {nullable: true}]`` means "X or null": a member that says nothing but
    # ``nullable`` makes the whole ``allOf`` nullable.
    members = node.get("allOf")
    if isinstance(members, list):
        kept = []
        for member in members:
            if (isinstance(member, dict) and member.get("nullable") is True
                    and not (set(member) - _ANNOTATIONS - {"nullable"})):
                node["nullable"] = True
                notes["allOf {nullable: true} member folded"] += 1
            else:
                kept.append(member)
        if kept:
            node["allOf"] = kept
        else:
            del node["allOf"]

    nullable = node.get("nullable")
    if not isinstance(nullable, bool):
        return
    del node["nullable"]
    if not nullable:
        return
    kind = node.get("type")
    if kind is not None:
        kinds = list(kind) if isinstance(kind, list) else [kind]
        if "null" not in kinds:
            kinds.append("null")
        node["type"] = kinds
        if isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        notes["nullable -> type [..., null]"] += 1
    else:
        inner = {k: node.pop(k) for k in list(node) if k not in _ANNOTATIONS and not k.startswith("x-")}
        node["anyOf"] = [inner or {}, {"type": "null"}]
        notes["nullable without type -> anyOf [schema, null]"] += 1


def prepare_spec(doc: dict) -> dict[str, int]:
    """Adjust the loaded description in place so openapi-core reads it the way the API behaves.

    Returns a count of each change, for diagnostics. The changes, and why:

    * ``?beta=true`` path keys are dropped: they carry a query string in the path key (out of scope,
      and they would shadow the plain paths in the matcher).
    * Every ``discriminator`` is removed: the file's discriminators have no ``mapping``, so openapi-core
      looks for schemas named after the tag value (``#/components/schemas/user``) and fails; ``oneOf``
      alone still decides validity.
    * ``nullable`` (an OpenAPI 3.0 keyword, ignored by the 3.1 / JSON Schema 2020-12 validator) is turned
      into real 3.1 null types: ``type: X, nullable: true`` -> ``type: [X, "null"]`` (and ``null`` added to an
      ``enum``); ``nullable: true`` without ``type`` (``$ref``/``oneOf``/``anyOf`` siblings, and the
      ``allOf: [X, {nullable: true}]`` idiom) -> ``anyOf: [<schema>, {type: null}]``. Without this, valid
      data is rejected: ``"stop": null`` or ``"max_completion_tokens": null`` in a request, and every
      stream chunk's ``"finish_reason": null``. Bad data is still rejected (the tests prove it): the
      original schema stays one branch of the ``anyOf``.
    * ``nullable`` on a parameter's own schema is dropped instead: parameters are text and never null.
    * A query parameter with an object schema and no ``style`` (``metadata`` of listChatCompletions,
      ``effective_at`` of the audit logs) gets ``style: deepObject``: the API takes them as
      ``metadata[key]=value`` (the parameter's own description says so), and openapi-core's default
      ``form`` style would ignore those keys silently. Its schema becomes the object branch alone, as
      openapi-core only decodes ``deepObject`` for a schema whose ``type`` is exactly ``object``.
    * The items of ``ChatCompletionMessageList`` (the stored messages of a completion) reuse the
      assistant-message schema, whose ``role`` enum is ``["assistant"]``; but those messages are the
      request's, and the API returns them with their own roles (``user``, ``system``, ...). The enum is
      widened to the request roles rather than making a server lie about who spoke.
    * An embedding's ``embedding`` is a list of floats, or, when the request asked for
      ``encoding_format: base64``, the API's base64 text of the same floats (the request's own field
      says so); the schema only spells the list.
    """
    notes: dict[str, int] = {
        "beta path keys removed": 0,
        "discriminator removed": 0,
        "allOf {nullable: true} member folded": 0,
        "nullable -> type [..., null]": 0,
        "nullable without type -> anyOf [schema, null]": 0,
        "query object parameter -> deepObject": 0,
        "parameter nullable dropped": 0,
        "$recursiveRef -> $ref": 0,
        "stored message roles widened": 0,
        "boolean exclusive bound -> number": 0,
        "base64 embedding allowed": 0,
    }
    paths = doc.get("paths", {})
    for key in [k for k in paths if "?" in k]:
        del paths[key]
        notes["beta path keys removed"] += 1

    # Query parameters first, while their schemas still look as the file wrote them.
    for item in paths.values():
        for method in _HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            for param in [*item.get("parameters", []), *op.get("parameters", [])]:
                param = _resolve_ref(doc, param)
                inline = param.get("schema")
                if isinstance(inline, dict) and "nullable" in inline:
                    # A parameter travels as text and cannot be null; and openapi-core's parameter
                    # caster breaks on a list-valued ``type`` (TypeError), so just drop the keyword.
                    del inline["nullable"]
                    notes["parameter nullable dropped"] += 1
                if param.get("in") != "query" or "style" in param:
                    continue
                schema = _resolve_ref(doc, param.get("schema", {}))
                branches = [schema, *schema.get("anyOf", []), *schema.get("oneOf", [])]
                objects = [_resolve_ref(doc, b) for b in branches]
                objects = [b for b in objects if isinstance(b, dict) and b.get("type") == "object"]
                if objects:
                    param["style"], param["explode"] = "deepObject", True
                    param["schema"] = copy.deepcopy(objects[0])
                    notes["query object parameter -> deepObject"] += 1

    items = doc.get("components", {}).get("schemas", {}).get("ChatCompletionMessageList", {}) \
        .get("properties", {}).get("data", {}).get("items", {})
    if isinstance(items.get("allOf"), list):
        items["allOf"].append({"type": "object", "properties": {"role": {
            "type": "string", "enum": ["system", "developer", "user", "assistant", "tool", "function"]}}})
        first = _resolve_ref(doc, items["allOf"][0])
        items["allOf"][0] = {k: v for k, v in copy.deepcopy(first).items()}
        items["allOf"][0]["properties"] = {k: v for k, v in first.get("properties", {}).items() if k != "role"}
        notes["stored message roles widened"] += 1

    embedding = doc.get("components", {}).get("schemas", {}).get("Embedding", {}).get("properties", {})
    if embedding.get("embedding", {}).get("type") == "array":
        vector = embedding.pop("embedding")
        embedding["embedding"] = {"anyOf": [vector, {"type": "string", "contentEncoding": "base64"}],
                                  "description": vector.get("description", "")}
        notes["base64 embedding allowed"] += 1

    # ``$recursiveRef: "#"`` (2019-09) is unknown to the 2020-12 validator, which then reads it as ``{}``:
    # every comparison inside a compound filter would match both ``oneOf`` branches. Point it at the
    # schema that carries the ``$recursiveAnchor`` (CompoundFilter), which is what it means.
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        if isinstance(schema, dict) and schema.get("$recursiveAnchor") is True:
            nodes: list[Any] = [schema]
            while nodes:
                node = nodes.pop()
                if isinstance(node, dict):
                    if node.get("$recursiveRef") == "#":
                        del node["$recursiveRef"]
                        node["$ref"] = f"#/components/schemas/{name}"
                        notes["$recursiveRef -> $ref"] += 1
                    nodes.extend(v for k, v in node.items() if k not in _DATA_KEYS)
                elif isinstance(node, list):
                    nodes.extend(node)

    stack: list[Any] = [doc.get("paths"), doc.get("components"), doc.get("webhooks")]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            _fix_schema_node(node, notes)
            for key, value in node.items():
                if key in _NAME_MAPS and isinstance(value, dict):
                    # Keys here are names (a property may be called "default" or "nullable"):
                    # every value is a schema, none is skipped and the map itself is not a schema.
                    stack.extend(value.values())
                elif key not in _DATA_KEYS:
                    stack.append(value)
    return notes


# --------------------------------------------------------------------------------------------------
# Request/response adapters and error formatting
# --------------------------------------------------------------------------------------------------


def _api_path(url_or_path: str) -> str:
    """``http://127.0.0.1:8765/v1/chat/completions?x=1`` -> ``/chat/completions``.

    Everything up to and including the first ``/v1`` path segment is dropped; a path without ``/v1``
    is taken as already relative to the API root.
    """
    path = urlsplit(url_or_path).path or "/"
    path = _V1_PREFIX.sub("", path, count=1)
    return path if path.startswith("/") else "/" + path


class _SpecRequest(RequestsOpenAPIRequest):
    """A requests ``PreparedRequest`` seen by openapi-core as if sent to the spec's own server.

    Our servers live at ``http://127.0.0.1:PORT/v1``, the spec's at ``https://api.openai.com/v1``;
    rewriting host and prefix here keeps the spec untouched and works for any local port.
    """

    def __init__(self, prepared: requests.PreparedRequest, host_url: str, prefix: str):
        super().__init__(prepared)
        self._host = host_url
        self._path = prefix + _api_path(prepared.url or "/")

    @property
    def host_url(self) -> str:
        return self._host

    @property
    def path(self) -> str:
        return self._path


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _fmt_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _schema_error_lines(errors: Iterable[Any], prefix: str = "") -> list[str]:
    """One line per jsonschema error: field path and the most specific reason."""
    lines: list[str] = []
    for err in errors:
        # For anyOf/oneOf failures the top message ("... is not valid under any of the given
        # schemas") says little; best_match descends into the branch errors to the most relevant one.
        best = best_match([err]) or err
        reason = _short(best.message)
        if best.context:
            # Still ambiguous (every branch failed equally): name a few branch failures.
            hints: list[str] = []
            for sub in sorted(best.context, key=lambda e: (-len(e.absolute_path), e.message)):
                hint = f"{_fmt_path(sub.absolute_path)}: {_short(sub.message, 100)}"
                if hint not in hints:
                    hints.append(hint)
            reason += f" [branches: {'; '.join(hints[:4])}{'; ...' if len(hints) > 4 else ''}]"
        line = f"{prefix}{_fmt_path(best.absolute_path)}: {reason}"
        if line not in lines:
            lines.append(line)
    return lines


def _explain(exc: BaseException) -> list[str]:
    """Readable lines for an openapi-core validation exception (which nests the real cause)."""
    where = ""
    name, location = getattr(exc, "name", None), getattr(exc, "location", None)
    if isinstance(name, str) and isinstance(location, str):
        where = f"{location} parameter {name!r}"
    elif "Body" in type(exc).__name__:
        where = "body"
    elif "Data" in type(exc).__name__ or "Response" in type(exc).__name__:
        where = "body"
    cause: BaseException | None = exc
    if where and exc.__cause__ is not None:
        cause = exc.__cause__  # the wrapper only repeats the parameter name
    chain: list[str] = []
    for _ in range(6):
        if cause is None:
            break
        if getattr(cause, "schema_errors", None):
            return _schema_error_lines(cause.schema_errors, prefix=f"{where} at " if where else "at ")
        chain.append(f"{type(cause).__name__}: {_short(str(cause), 200)}")
        cause = cause.__cause__ or cause.__context__
    return [f"{where}: " + " <- ".join(chain) if where else " <- ".join(chain)]


# --------------------------------------------------------------------------------------------------
# The contract
# --------------------------------------------------------------------------------------------------


class _JsonYamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loader (the C one when available: about 10x faster on this 3 MB file) that leaves
    date-like scalars as strings. JSON has no dates, so ``2024-10-01`` in the description means the
    string; a ``datetime.date`` would never equal the string a server sends."""


_JsonYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _KeylessRequestValidator(V31RequestValidator):
    """openapi-core's request validator (parameters and body, one path lookup) without the security
    check: the local server takes no key, and which key a client sends is not part of the API's shape."""

    def _get_security(self, parameters: Any, operation: Any) -> dict:
        return {}


class _Operation:
    __slots__ = ("method", "template", "operation_id", "spec", "regex", "rank")

    def __init__(self, method: str, template: str, spec: dict):
        self.method = method
        self.template = template
        self.operation_id = spec.get("operationId") or f"{method.upper()} {template}"
        self.spec = spec
        pattern = re.sub(r"\\\{([^}]+)\\\}", r"[^/]+", re.escape(template))
        self.regex = re.compile(f"^{pattern}$")
        segments = template.strip("/").split("/")
        # More literal segments first, so /files/{id}/content beats /files/{a}/{b} style templates.
        self.rank = (-sum(1 for s in segments if "{" not in s), template)

    def label(self) -> str:
        return f"{self.operation_id} ({self.method.upper()} {self.template})"


class Contract:
    """The OpenAI API description, ready to validate requests, responses and bare data.

    Build it with :meth:`load` (one parse per process; thread-safe).
    """

    _instance: "Contract | None" = None
    _lock = threading.Lock()

    def __init__(self, spec_path: Path):
        started = time.perf_counter()
        with open(spec_path, "rb") as fh:
            doc = yaml.load(fh, Loader=_JsonYamlLoader)
        self.parse_seconds = time.perf_counter() - started
        self.spec_path = spec_path
        self.spec_version = str(doc.get("info", {}).get("version"))
        self.fixes = prepare_spec(doc)
        self.doc = doc

        server = urlsplit(doc["servers"][0]["url"])
        self._host_url = f"{server.scheme}://{server.netloc}"
        self._prefix = server.path.rstrip("/")

        # The file fails the strict spec check (duplicate ``required`` entries), hence no spec validator.
        self._app = OpenAPI.from_dict(doc, config=Config(spec_validator_cls=None))
        spec = self._app.spec
        self._request_validator = _KeylessRequestValidator(spec)
        self._params_validator = V31RequestParametersValidator(spec)  # multipart: body checked apart
        self._response_validator = V31ResponseValidator(spec)
        self._schema_validators: dict[str, Any] = {}

        self._operations: list[_Operation] = []
        for template, item in doc["paths"].items():
            for method in _HTTP_METHODS:
                if isinstance(item.get(method), dict):
                    self._operations.append(_Operation(method, template, item[method]))
        self._operations.sort(key=lambda op: op.rank)
        self.load_seconds = time.perf_counter() - started

    # ---- construction ------------------------------------------------------------------------

    @classmethod
    def load(cls) -> "Contract":
        """The session-wide instance, parsed on first use (about a second) and cached."""
        if cls._instance is None:
            with cls._lock:
                if cls._instance is None:
                    cls._instance = cls(find_spec())
        return cls._instance

    # ---- lookup ------------------------------------------------------------------------------

    def _match(self, method: str, url_or_path: str) -> _Operation:
        path = _api_path(url_or_path)
        method = method.lower()
        allowed = []
        for op in self._operations:
            if op.regex.match(path):
                if op.method == method:
                    return op
                allowed.append(op)
        if allowed:
            methods = sorted({op.method.upper() for op in allowed})
            raise ContractViolation(
                f"{method.upper()} {path}: method not in the OpenAI API description for "
                f"{allowed[0].template} (allowed: {', '.join(methods)})"
            )
        raise ContractViolation(f"{method.upper()} {path}: unknown path, no path in the OpenAI API description matches it")

    def operation_id(self, method: str, path: str) -> str:
        """operationId for a method and a URL or API path, e.g. ``("POST", "/chat/completions/x")``."""
        return self._match(method, path).operation_id

    def operation(self, method: str, path: str) -> dict:
        """The operation object of the (prepared) description, for tests that inspect it."""
        return self._match(method, path).spec

    # ---- requests ----------------------------------------------------------------------------

    def validate_request(self, prepared: requests.PreparedRequest) -> None:
        """Validate path, query and body of an outgoing request; raise :class:`ContractViolation`."""
        if isinstance(prepared, requests.Request):
            prepared = prepared.prepare()
        op = self._match(prepared.method or "GET", prepared.url or "/")
        request = _SpecRequest(prepared, self._host_url, self._prefix)
        lines: list[str] = []
        try:
            media = _media_type(prepared.headers.get("Content-Type"))
            if media == "multipart/form-data" or not isinstance(prepared.body, (bytes, str, type(None))):
                for exc in self._params_validator.iter_errors(request):
                    lines.extend(_explain(exc))
                if media == "multipart/form-data":
                    lines.extend(self._multipart_errors(op, prepared))
                # else: a file or generator body cannot be read without consuming it; left alone.
            else:
                for exc in self._request_validator.iter_errors(request):
                    lines.extend(_explain(exc))
        except ContractViolation:
            raise
        except Exception as exc:  # openapi-core itself failed on this input (e.g. IndexError on odd query keys)
            lines.append(f"openapi-core could not process the request: {type(exc).__name__}: {exc}")
        if lines:
            raise ContractViolation(f"{op.label()} request: " + "; ".join(lines), op.operation_id)

    def _multipart_errors(self, op: _Operation, prepared: requests.PreparedRequest) -> list[str]:
        """Loose check of a multipart body: declared media type, field names, required fields, enums.

        openapi-core's multipart decoding does not fit this description (file parts arrive as bytes
        against ``type: string``, text parts are not cast to numbers, absent array fields become ``[]``
        and then fail ``minItems``), so a full schema check would only produce noise.
        Unknown field names are reported even though the schema would allow them: the real API
        rejects unrecognised arguments, and a misspelt optional field is the likely bug here.
        """
        content = (op.spec.get("requestBody") or {}).get("content") or {}
        if "multipart/form-data" not in content:
            return [f"body: multipart/form-data is not accepted (accepts: {', '.join(content) or 'no body'})"]
        schema = _resolve_ref(self.doc, content["multipart/form-data"].get("schema", {}))
        properties: dict[str, Any] = {}
        required: set[str] = set()
        for part in [schema, *schema.get("allOf", [])]:
            part = _resolve_ref(self.doc, part)
            properties.update(part.get("properties", {}))
            required.update(part.get("required", []))

        body = prepared.body if isinstance(prepared.body, bytes) else str(prepared.body or "").encode()
        header = f"Content-Type: {prepared.headers['Content-Type']}\r\n\r\n".encode()
        message = BytesParser(policy=email_policy.HTTP).parsebytes(header + body)
        fields: dict[str, list[Any]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name is None:
                continue
            # ``include[]=…`` is how arrays travel in multipart bodies.
            key = name.split("[", 1)[0]  # include[]=… and expires_after[anchor]=… name one field
            is_file = part.get_param("filename", header="content-disposition") is not None
            fields.setdefault(key, []).append(None if is_file else part.get_payload(decode=True))

        lines = []
        for name in sorted(set(fields) - set(properties)):
            lines.append(f"body at {name}: not a field of this operation (fields: {', '.join(sorted(properties))})")
        for name in sorted(required - set(fields)):
            lines.append(f"body at {name}: required field is missing")
        for name, values in fields.items():
            prop = _resolve_ref(self.doc, properties.get(name, {}))
            enum = prop.get("enum") if isinstance(prop, dict) else None
            if not enum:
                continue
            for raw in values:
                if raw is None:
                    continue
                text = raw.decode("utf-8", "replace")
                if text not in enum:
                    lines.append(f"body at {name}: {text!r} is not one of {enum}")
        return lines

    # ---- responses ---------------------------------------------------------------------------

    def validate_response(self, response: requests.Response) -> None:
        """Validate status and body of a response against ``response.request``'s operation.

        ``text/event-stream`` responses are not checked here (validate each chunk with
        :meth:`validate_schema`). 4xx/5xx bodies must be the API's error envelope
        ``{"error": {"message", "type", "param", "code"}}`` whatever statuses the operation lists.
        """
        prepared = response.request
        if prepared is None:
            raise TypeError("response.request is missing: cannot tell which operation it answers")
        op = self._match(prepared.method or "GET", prepared.url or "/")
        media = _media_type(response.headers.get("Content-Type"))
        if media == "text/event-stream":
            return
        status = int(response.status_code)
        if status >= 400:
            self._check_error(op, status, response.content, media)
            return

        declared = self._declared_response(op, status)
        if declared is None:
            listed = ", ".join(str(s) for s in op.spec.get("responses", {}))
            raise ContractViolation(f"{op.label()} response: status {status} is not declared (declared: {listed})",
                                    op.operation_id)
        content = declared.get("content") or {}
        if not content:
            return
        payloads = [c.get("schema") or {} for ct, c in content.items() if ct != "text/event-stream"]
        if payloads and all(_resolve_ref(self.doc, s).get("type") == "string" for s in payloads):
            # Raw payload (speech audio, file/video/skill contents): the description's media types are
            # only indicative (it says ``application/json`` for a file download and
            # ``application/octet-stream`` for speech, the API sends the file's or audio's own type),
            # and a bare ``type: string`` says nothing about the bytes. Nothing more to check.
            return
        if media not in content:
            raise ContractViolation(
                f"{op.label()} response {status}: content type {media or '(none)'!r} is not declared "
                f"(declared: {', '.join(content)})", op.operation_id)
        if not _is_json(media):
            return  # binary payloads (audio, file contents): the media type is all the contract says
        request = _SpecRequest(prepared, self._host_url, self._prefix)
        lines: list[str] = []
        try:
            for exc in self._response_validator.iter_errors(request, RequestsOpenAPIResponse(response)):
                lines.extend(_explain(exc))
        except Exception as exc:
            lines.append(f"openapi-core could not process the response: {type(exc).__name__}: {exc}")
        if lines:
            raise ContractViolation(f"{op.label()} response {status}: " + "; ".join(lines), op.operation_id)

    def _declared_response(self, op: _Operation, status: int) -> dict | None:
        responses = op.spec.get("responses", {})
        for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
            if key in responses:
                return _resolve_ref(self.doc, responses[key])
        return None

    def _check_error(self, op: _Operation, status: int, raw: bytes, media: str) -> None:
        where = f"{op.label()} response {status}"
        if not _is_json(media):
            raise ContractViolation(f"{where}: an error must be a JSON error object, got content type {media!r}",
                                    op.operation_id)
        try:
            data = json.loads(raw or b"null")
        except ValueError as exc:
            raise ContractViolation(f"{where}: error body is not valid JSON ({exc})", op.operation_id) from None
        errors = self._schema_errors("ErrorResponse", data)
        if not errors:
            return
        # A few operations declare another error schema for a listed status (evals: bare ``Error``);
        # data matching what the operation itself declares is accepted as well.
        declared = self._declared_response(op, status)
        schema = (((declared or {}).get("content") or {}).get("application/json") or {}).get("schema")
        ref = schema.get("$ref", "") if isinstance(schema, dict) else ""
        if ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] != "ErrorResponse":
            if not self._schema_errors(ref.rsplit("/", 1)[1], data):
                return
        raise ContractViolation(f"{where}: error body: " + "; ".join(_schema_error_lines(errors, "at ")),
                                op.operation_id)

    def validate_exchange(self, response: requests.Response) -> None:
        """Validate ``response.request`` and then ``response``."""
        if response.request is None:
            raise TypeError("response.request is missing")
        self.validate_request(response.request)
        self.validate_response(response)

    def validate_body(self, method: str, path: str, body: Any, status: int = 200) -> None:
        """Validate a response body given as data, e.g. ``("GET", "/chat/completions/abc", {...})``."""
        op = self._match(method, path)
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.request = requests.Request(
            op.method.upper(), self._host_url + self._prefix + _api_path(path)).prepare()
        self.validate_response(response)

    # ---- schemas -----------------------------------------------------------------------------

    def _schema_errors(self, schema_name: str, instance: Any) -> tuple:
        validator = self._schema_validators.get(schema_name)
        if validator is None:
            if schema_name not in self.doc["components"]["schemas"]:
                raise KeyError(f"no components/schemas entry named {schema_name!r}")
            spec = self._app.spec
            schema = spec / "components" / "schemas" / schema_name
            # The same factory and format checker openapi-core uses for bodies, so results agree.
            try:
                validator = oas31_schema_validators_factory.create(spec, schema).validator
            except TypeError:  # openapi-core before 0.23 took the schema alone
                validator = oas31_schema_validators_factory.create(schema).validator
            self._schema_validators[schema_name] = validator
        return tuple(validator.iter_errors(instance))

    def validate_schema(self, schema_name: str, instance: Any) -> None:
        """Validate data against ``#/components/schemas/<schema_name>`` (e.g. a stream chunk)."""
        errors = self._schema_errors(schema_name, instance)
        if errors:
            raise ContractViolation(f"{schema_name}: " + "; ".join(_schema_error_lines(errors, "at ")))

    # ---- recording ---------------------------------------------------------------------------

    def recorder(self, *, strict: bool = False, ignore: Iterable[str] = ()) -> "ExchangeRecorder":
        """A ``requests`` response hook that validates and records every exchange it sees."""
        return ExchangeRecorder(self, strict=strict, ignore=ignore)


class ExchangeRecorder:
    """Response hook: ``session.hooks["response"].append(rec)``.

    Each exchange is validated (request always; response too unless it is ``text/event-stream``,
    whose body must not be read here or the caller's stream would be consumed). Violations are
    collected in ``violations`` rather than raised, so the client code under test runs on and a test
    ends with ``rec.assert_clean()``; pass ``strict=True`` to raise at once instead.

    ``operations`` is the set of ``(operation_id, status)`` pairs seen, ``operation_ids`` the set of
    operation ids, ``exchanges`` the same pairs in order. ``ignore`` takes regular expressions matched
    (``re.search``) against the full URL of exchanges that are not part of the API (e.g. a health check).
    """

    def __init__(self, contract: Contract, *, strict: bool = False, ignore: Iterable[str] = ()):
        self.contract = contract
        self.strict = strict
        self.ignore = [re.compile(p) for p in ignore]
        self.violations: list[ContractViolation] = []
        self.operations: set[tuple[str, int]] = set()
        self.exchanges: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    @property
    def operation_ids(self) -> set[str]:
        return {op for op, _ in self.operations}

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        prepared = response.request
        url = (prepared.url if prepared is not None else response.url) or ""
        if any(p.search(url) for p in self.ignore):
            return None
        found: list[ContractViolation] = []
        op_id = None
        try:
            if prepared is None:
                raise ContractViolation(f"{response.url}: response carries no request")
            op_id = self.contract.operation_id(prepared.method or "GET", url)
            try:
                self.contract.validate_request(prepared)
            except ContractViolation as exc:
                found.append(exc)
            self.contract.validate_response(response)  # returns at once for text/event-stream
        except ContractViolation as exc:
            found.append(exc)
        with self._lock:
            if op_id is not None:
                self.operations.add((op_id, int(response.status_code)))
                self.exchanges.append((op_id, int(response.status_code)))
            self.violations.extend(found)
        if found and self.strict:
            raise found[0]
        return None  # a hook returning None leaves the response as it is

    def clear(self) -> None:
        """Forget everything seen so far."""
        with self._lock:
            self.violations.clear()
            self.operations.clear()
            self.exchanges.clear()

    def assert_clean(self) -> None:
        """Raise :class:`ContractViolation` listing every violation seen, if any."""
        if self.violations:
            listing = "\n".join(f"  - {v}" for v in self.violations)
            raise ContractViolation(f"{len(self.violations)} contract violation(s):\n{listing}")

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(list(self.exchanges))
