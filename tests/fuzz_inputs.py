"""Malformed requests for the no-500 fuzz (`test_fuzz_no_500.py`), derived from the shared OpenAPI file.

For each operation of the seed surface this module makes a bounded, deterministic list of `Case`s:
bodies with missing fields, wrong types, out-of-range numbers, huge/empty/unicode strings, deep nesting,
unknown fields, non-JSON and non-object bodies and wrong content types; bad query parameters; unknown,
oddly encoded and wrong-kind ids in the path. The world of real objects they aim at, and the valid
bodies they break, come from `fuzz_world.py`.

Example:
    >>> ops = seed_operations(Contract.load())            # doctest: +SKIP
    >>> len(cases_for(ops[0], world, Contract.load().doc))  # doctest: +SKIP
    24
"""

from __future__ import annotations

import csv
import json
import random
import re
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from tests.contract import Contract, _resolve_ref, find_spec
from tests.fuzz_world import base_body, kind_of, rich_body

#: body cases per operation, on top of the generic ones (keeps the whole fuzz within a minute or two)
FIELD_BUDGET = 14
#: cases per operation that break one value inside a nested structure of a rich body
NESTED_BUDGET = 10
HUGE = 2 ** 70
LONG = "x" * 100_000
#: one value of each JSON type; a field gets the ones its schema does not allow
TYPE_SAMPLES = {"string": "fuzz", "integer": 7, "number": 2.5, "boolean": True, "null": None,
                "array": [1, "x"], "object": {"x": [1]}}
#: a literal spliced into raw JSON text (json.dumps cannot write these; Python's json.loads reads them)
NAN, INF = "__FUZZ_NAN__", "__FUZZ_INF__"

# -------------------------------------------------------------------------------------------------
# The surface and its schemas
# -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    spec: dict = field(repr=False, compare=False, hash=False)

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{([^}]+)\}", self.path)

    @property
    def is_org(self) -> bool:
        # checkpoint permissions are managed with the admin key too
        return self.path.startswith("/organization/") or self.path.startswith("/fine_tuning/checkpoints/")

    @property
    def destructive(self) -> bool:
        """Deleting or ending calls: never aimed at the shared objects, or later operations lose them."""
        oid = self.operation_id.lower()
        return self.method == "DELETE" or any(w in oid for w in ("cancel", "pause", "resume", "archive"))


#: operations the local server serves beyond the seed surface: Conversations, organization users and invites
BEYOND_SEED = (
    ("POST", "/conversations", "createConversation"), ("GET", "/conversations/{conversation_id}", "getConversation"),
    ("POST", "/conversations/{conversation_id}", "updateConversation"),
    ("DELETE", "/conversations/{conversation_id}", "deleteConversation"),
    ("POST", "/conversations/{conversation_id}/items", "createConversationItems"),
    ("GET", "/conversations/{conversation_id}/items", "listConversationItems"),
    ("GET", "/conversations/{conversation_id}/items/{item_id}", "getConversationItem"),
    ("DELETE", "/conversations/{conversation_id}/items/{item_id}", "deleteConversationItem"),
    ("GET", "/organization/users", "list-users"), ("GET", "/organization/users/{user_id}", "retrieve-user"),
    ("POST", "/organization/users/{user_id}", "modify-user"), ("DELETE", "/organization/users/{user_id}", "delete-user"),
    ("GET", "/organization/invites", "list-invites"), ("POST", "/organization/invites", "inviteUser"),
    ("GET", "/organization/invites/{invite_id}", "retrieve-invite"),
    ("DELETE", "/organization/invites/{invite_id}", "delete-invite"),
)


def seed_operations(contract: Contract) -> list[Operation]:
    """The operations of `seed-surface.tsv` and those served beyond it (`BEYOND_SEED`), with their
    operation objects from the description."""
    with open(find_spec().parent / "seed-surface.tsv", newline="", encoding="utf-8") as handle:
        rows = [(r["method"], r["path"], r["operationId"]) for r in csv.DictReader(handle, delimiter="\t")]
    return [Operation(method, path, oid, contract.doc["paths"][path][method.lower()])
            for method, path, oid in rows + list(BEYOND_SEED)]


def flatten(doc: dict, schema, depth: int = 0) -> dict:
    """`{"properties", "required", "types"}` of a schema, with `$ref`s followed and `allOf` merged."""
    schema = _resolve_ref(doc, schema) or {}
    out = {"properties": {}, "required": [], "types": set()}
    if depth > 6 or not isinstance(schema, dict):
        return out
    for part in schema.get("allOf", []):
        sub = flatten(doc, part, depth + 1)
        out["properties"].update(sub["properties"])
        out["required"] += sub["required"]
        out["types"] |= sub["types"]
    for key in ("anyOf", "oneOf"):
        for part in schema.get(key, []):
            out["types"] |= flatten(doc, part, depth + 1)["types"]
    kind = schema.get("type")
    out["types"] |= set(kind if isinstance(kind, list) else [kind] if kind else [])
    if schema.get("properties"):
        out["types"].add("object")
    if "enum" in schema or "const" in schema:
        out["types"].add("string" if "enum" not in schema else type(schema["enum"][0]).__name__
                         .replace("str", "string").replace("int", "integer"))
    out["properties"].update(schema.get("properties", {}))
    out["required"] += [r for r in schema.get("required", []) if r not in out["required"]]
    return out


def types_of(doc: dict, schema) -> set[str]:
    types = flatten(doc, schema)["types"]
    if "number" in types:
        types.add("integer")  # an integer is a valid number
    return types


def request_body(doc: dict, op: Operation) -> tuple[str | None, dict | None]:
    """(media type, flattened schema) of the operation's request body, or (None, None)."""
    body = _resolve_ref(doc, op.spec.get("requestBody"))
    if not body:
        return None, None
    media = next(iter(body.get("content", {})), None)
    return media, flatten(doc, body["content"][media].get("schema", {}))


def query_params(doc: dict, op: Operation) -> list[dict]:
    params = [_resolve_ref(doc, p) for p in op.spec.get("parameters", [])]
    return [p for p in params if p.get("in") == "query"]


# -------------------------------------------------------------------------------------------------
# Cases
# -------------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One request: `path` is URL text after /v1 (already escaped where a case wants odd bytes)."""
    name: str
    method: str
    path: str
    query: str = ""
    body: bytes | None = None
    content_type: str | None = None
    auth: str | None = "admin-if-org"


def encode(body) -> bytes:
    """JSON text of `body`, with the NaN/Infinity markers spliced in as bare literals."""
    text = json.dumps(body)
    return text.replace(f'"{NAN}"', "NaN").replace(f'"{INF}"', "1e999").encode()


def field_variants(doc: dict, name: str, schema, rng: random.Random) -> list[tuple[str, object]]:
    """(label, value) pairs that break one field: the types it refuses, numbers out of range, odd strings."""
    types = types_of(doc, schema)
    out = [(f"{name}={kind}", value) for kind, value in TYPE_SAMPLES.items() if types and kind not in types]
    if types & {"integer", "number"}:
        out += [(f"{name}=2**70", HUGE), (f"{name}=-2**70", -HUGE), (f"{name}=-1", -1), (f"{name}=NaN", NAN),
                (f"{name}=1e999", INF), (f"{name}='NaN'", "NaN")]
    if "string" in types or not types:
        out += [(f"{name}=100k chars", LONG), (f"{name}=''", ""), (f"{name}=NUL+surrogate", "a\u0000b\ud800c"),
                (f"{name}=unicode+newline", "h\u00e9ron \U0001f426 \u202e\nsecond line")]
    if types & {"array", "object"}:
        nested = "deep"
        for _ in range(300):
            nested = [nested] if "array" in types else {"a": nested}
        out += [(f"{name}=300-deep", nested)]
        out += [(f"{name}=[{{}}]" if "array" in types else f"{name}={{'':''}}", [{}] if "array" in types else {"": ""})]
    rng.shuffle(out)
    return out


_DELETE = object()
#: what a nested value is replaced by (or `_DELETE`d)
NESTED_VALUES = [_DELETE, "fuzz", 7, -1, HUGE, 2.5, True, None, [], {}, [1, "x"], {"x": [1]}, "", LONG, "a\u0000b\n"]


def _nested_paths(value, path=()):
    """Paths (key/index tuples) of every value at least two levels down in a body."""
    items = value.items() if isinstance(value, dict) else enumerate(value[:3]) if isinstance(value, list) else ()
    for key, child in items:
        if len(path) >= 1:
            yield (*path, key)
        yield from _nested_paths(child, (*path, key))


def _replaced(body, path, new):
    body = json.loads(json.dumps(body))
    parent = body
    for key in path[:-1]:
        parent = parent[key]
    if new is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return body


def nested_cases(op: Operation, w: dict, path: str, rng: random.Random) -> list[Case]:
    """The rich body as is, then NESTED_BUDGET copies with one nested value replaced or removed."""
    rich = rich_body(op, w)
    cases = [Case("rich body", op.method, path, body=encode(rich), content_type="application/json")]
    paths = list(_nested_paths(rich))
    rng.shuffle(paths)
    for where in paths[:NESTED_BUDGET]:
        new = rng.choice(NESTED_VALUES)
        label = "deleted" if new is _DELETE else (f"{len(new)} chars" if isinstance(new, str) and len(new) > 50
                                                   else json.dumps(new)[:20])
        cases.append(Case(f"{'.'.join(map(str, where))}={label}", op.method, path,
                          body=encode(_replaced(rich, where, new)), content_type="application/json"))
    return cases


def body_cases(doc: dict, op: Operation, w: dict, path: str, rng: random.Random) -> list[Case]:
    media, schema = request_body(doc, op)
    if media is None:
        # bodies an operation never reads must not upset it either
        return [Case("garbage body", op.method, path, body=b"{not json", content_type="application/json"),
                Case("array body", op.method, path, body=b"[1, 2]", content_type="application/json")]
    if media.startswith("multipart/"):
        return multipart_cases(op, path)
    base = base_body(op, w)
    props = schema["properties"]
    post = lambda name, body, ct="application/json": Case(name, op.method, path, body=body, content_type=ct)  # noqa: E731
    cases = [
        post("no body", None), post("empty object", b"{}"), post("not JSON", b'{"model": '),
        post("JSON array", encode([base])), post("JSON null", b"null"), post("JSON string", b'"text"'),
        post("text/plain JSON", encode(base), "text/plain"),
        post("form-encoded", b"model=local-ngram&input=x", "application/x-www-form-urlencoded"),
        post("invalid UTF-8", b'{"model": "\xff\xfe\xfd", "input": "\xc3("}'),
        post("unknown extra field", encode({**base, "zz_unknown_field": {"x": 1}})),
        post("100k-deep JSON", b'{"zz": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        post("lone surrogate escape", b'{"zz": "\\ud800", "name": "\\udfff"}'),
    ]
    for name in schema["required"][:3]:
        cases.append(post(f"missing required '{name}'", encode({k: v for k, v in base.items() if k != name})))
    numeric = [n for n, s in props.items() if types_of(doc, s) & {"integer", "number"}]
    if numeric:
        cases.append(post("every number NaN", encode({**base, **{n: NAN for n in numeric}})))
        cases.append(post("every number 2**70", encode({**base, **{n: HUGE for n in numeric}})))
    # field cases: round-robin over the fields (required first), one variant per field per round
    names = list(dict.fromkeys([*schema["required"], *sorted(props)]))
    pools = {n: field_variants(doc, n, props.get(n, {}), rng) for n in names}
    picked: list[Case] = []
    while len(picked) < FIELD_BUDGET and any(pools.values()):
        for n in names:
            if pools[n] and len(picked) < FIELD_BUDGET:
                label, value = pools[n].pop()
                picked.append(post(label, encode({**base, n: value})))
    return cases + picked + nested_cases(op, w, path, rng)


def _multipart(fields: list[tuple[str, str | None, bytes]], boundary: str = "fuzzBoundary") -> bytes:
    parts = []
    for name, filename, data in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def multipart_cases(op: Operation, path: str) -> list[Case]:
    ct = "multipart/form-data; boundary=fuzzBoundary"
    form = lambda name, fields, ctype=ct: Case(name, op.method, path, body=_multipart(fields), content_type=ctype)  # noqa: E731
    good = ("file", "a.txt", b"herons")
    purpose = lambda v: ("purpose", None, v.encode("utf-8", "surrogatepass"))  # noqa: E731
    return [
        Case("no body", op.method, path, content_type=ct),
        Case("JSON instead of a form", op.method, path, body=b'{"purpose": "assistants"}',
             content_type="application/json"),
        form("missing file", [purpose("assistants")]), form("missing purpose", [good]),
        form("unknown purpose", [good, purpose("sideways")]), form("empty purpose", [good, purpose("")]),
        form("purpose NUL+surrogate", [good, purpose("a\u0000\ud800")]),
        form("file as a text field", [("file", None, b"herons"), purpose("assistants")]),
        form("empty file", [("file", "a.txt", b""), purpose("assistants")]),
        form("two files", [good, good, purpose("assistants")]),
        form("unknown field", [good, purpose("assistants"), ("zz_unknown", None, b"1")]),
        form("5000-char filename", [("file", "a" * 5000 + ".txt", b"x"), purpose("assistants")]),
        form("odd filename", [("file", "../..\\%00'\".txt", b"x"), purpose("assistants")]),
        form("binary fine-tune file", [("file", "t.jsonl", b"\xff\xfe\x00{"), purpose("fine-tune")]),
        form("expires_after bad anchor", [good, purpose("assistants"), ("expires_after[anchor]", None, b"sideways"),
                                          ("expires_after[seconds]", None, b"3600")]),
        form("expires_after seconds abc", [good, purpose("assistants"), ("expires_after[anchor]", None, b"created_at"),
                                           ("expires_after[seconds]", None, b"abc")]),
        form("expires_after seconds 2**70", [good, purpose("assistants"),
                                             ("expires_after[anchor]", None, b"created_at"),
                                             ("expires_after[seconds]", None, str(HUGE).encode())]),
        form("expires_after JSON array", [good, purpose("assistants"), ("expires_after", None, b"[1]")]),
        form("expires_after JSON NaN", [good, purpose("assistants"),
                                        ("expires_after", None, b'{"anchor": "created_at", "seconds": NaN}')]),
        form("no boundary", [good, purpose("assistants")], "multipart/form-data"),
        Case("truncated form", op.method, path, body=_multipart([good, purpose("assistants")])[:40], content_type=ct),
    ]


#: odd ids for the last path parameter; `{other}` is a real id of another kind
ODD_IDS = [("unknown id", "fuzz_unknown_000000"), ("encoded slash", "a%2Fb"), ("dot dot", "%2E%2E"),
           ("quotes", "%27%22%3B--"), ("percent sign", "100%25"), ("NUL", "x%00y"), ("unicode", "h%C3%A9ron%E2%9C%93"),
           ("invalid UTF-8", "%FF%FE"), ("3000-char id", "i" * 3000), ("space", "a%20b"), ("newline", "a%0Ab"),
           ("semicolon", "a;b=1"), ("encoded slash alone", "%2F"), ("another kind", "{other}")]
#: for the earlier path parameters (the last one stays real when it can)
ODD_PARENT_IDS = [("unknown id", "fuzz_unknown_000000"), ("encoded slash", "a%2Fb"), ("another kind", "{other}")]


def real_path(op: Operation, w: dict, overrides: dict | None = None) -> str:
    values = {p: w[kind_of(op, p)] for p in op.params}
    values.update(overrides or {})
    return op.path.format(**values)


def other_kind(op: Operation, param: str, w: dict) -> str:
    """A real id of some other kind (never one equal to this parameter's own real id)."""
    own = w[kind_of(op, param)]
    kinds = sorted(k for k in w if w[k] != own)
    return w[kinds[zlib.crc32(f"{op.operation_id}:{param}".encode()) % len(kinds)]]


def path_cases(op: Operation, w: dict) -> list[Case]:
    cases = []
    params = op.params
    for i, param in enumerate(params):
        last = i == len(params) - 1
        for label, value in (ODD_IDS if last else ODD_PARENT_IDS):
            value = other_kind(op, param, w) if value == "{other}" else value
            overrides = {param: value}
            if op.destructive and not last:
                overrides[params[-1]] = "fuzz_unknown_000000"  # the real last object must survive
            cases.append(Case(f"{param}: {label}", op.method, real_path(op, w, overrides)))
    return cases


def query_cases(doc: dict, op: Operation, path: str) -> list[Case]:
    declared = {p["name"]: p for p in query_params(doc, op)}
    base = [("start_time", "1700000000")] if "start_time" in declared else []
    q = lambda name, *pairs: Case(name, op.method, path, query=urlencode([*base, *pairs]))  # noqa: E731
    cases = [q("unknown query parameter", ("zz_unknown", "1"))]
    if "start_time" in declared:
        cases.append(Case("missing start_time", op.method, path))
    for name, param in declared.items():
        schema = param.get("schema", {})
        kind = types_of(doc, schema)
        if name == "limit":
            cases += [q(f"limit={v}", ("limit", v)) for v in ("-1", "abc", str(HUGE), "0", "--1", "\u00b2", "1.5", "")]
        elif name in ("after", "before"):
            cases += [q(f"{name}=unknown", (name, "fuzz_unknown_000000")), q(f"{name}=quotes%", (name, "'\"%;--"))]
        elif name == "start_time":
            cases += [Case(f"start_time={v}", op.method, path, query=urlencode([("start_time", v)]))
                      for v in ("-1", str(HUGE), "abc", "1e3")]
        elif "integer" in kind or "number" in kind:
            cases += [q(f"{name}={v}", (name, v)) for v in ("abc", str(HUGE), "-1")]
        elif "boolean" in kind:
            cases.append(q(f"{name}=maybe", (name, "maybe")))
        elif "array" in kind:
            cases += [q(f"{name}=odd items", (name, "sideways"), (name, "\u0000")), q(f"{name}=''", (name, ""))]
        elif "object" in kind:
            cases += [q(f"{name}=text", (name, "x")), q(f"{name}[k]=long", (f"{name}[{'k' * 100}]", "v" * 600)),
                      q(f"{name}[gt]=2**70", (f"{name}[gt]", str(HUGE))), q(f"{name}[gte]=abc", (f"{name}[gte]", "abc"))]
        else:
            cases += [q(f"{name}=sideways", (name, "sideways")), q(f"{name}=3000 chars", (name, "s" * 3000)),
                      q(f"{name}=NUL", (name, "\u0000"))]
    return cases


def cases_for(op: Operation, w: dict, doc: dict) -> list[Case]:
    """Every malformed request made for `op` (deterministic for a given world)."""
    rng = random.Random(zlib.crc32(op.operation_id.encode()))
    # destructive calls aim at an id that does not exist, so the shared objects survive
    target = real_path(op, w, {op.params[-1]: "fuzz_unknown_000000"} if op.destructive and op.params else None)
    cases = path_cases(op, w) + body_cases(doc, op, w, target, rng) + query_cases(doc, op, target)
    cases.append(Case("method not allowed", "PATCH", target))
    if op.is_org:
        cases += [Case("no key", op.method, target, auth=None), Case("wrong key", op.method, target, auth="sk-wrong")]
    return cases
