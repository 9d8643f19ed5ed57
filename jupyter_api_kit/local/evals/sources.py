"""Eval data: checking data source configs and run data sources, and loading a run's items.

An eval's `data_source_config` fixes the item schema (and whether a `sample` namespace exists); a run's
`data_source` says where items come from (inline content, an uploaded file, or, for `completions`, the
stored chat completions: `stored_completions`) and, for `completions`, how to sample the model (an input template over `{{item.x}}`, sampling parameters).

Example:
    >>> config, props, has_sample = check_data_source_config(
    ...     {"type": "custom", "item_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
    ...      "include_sample_schema": True})
    >>> config["type"], sorted(props), has_sample
    ('custom', ['q'], True)
"""

from __future__ import annotations

import json

from jupyter_api_kit.local.core.errors import BadRequest, NotFound
from jupyter_api_kit.local.core.metadata import read_metadata
from jupyter_api_kit.local.evals.request import MAX_ITEMS
from jupyter_api_kit.local.evals.stored_completions import check_stored_source, stored_rows
from jupyter_api_kit.local.evals.templates import (  # noqa: F401 (content_texts: read by the engine too)
    VARIABLE_PATH,
    check_template_text,
    content_texts,
    template_message,
)

SAMPLE_SCHEMA = {
    "type": "object",
    "properties": {"model": {"type": "string"}, "choices": {"type": "array"}, "output_text": {"type": "string"},
                   "output_json": {"type": "object"}, "output_tools": {"type": "array"}},
    "required": ["model", "choices"],
}
LOGS_ITEM_SCHEMA = {"type": "object", "properties": {"input": {"type": "array"}, "metadata": {"type": "object"},
                                                    "completion_id": {"type": "string"}}}
_JSON_TYPES = {"string": str, "boolean": bool, "object": dict, "array": list, "null": type(None)}


def check_data_source_config(config) -> tuple[dict, set | None, bool]:
    """(stored config, item property names or None, has sample namespace) of a config shaped as
    `request.CreateEvalBody` checked it; the metadata of a logs config is read by the metadata limits."""
    kind = config["type"]
    if kind == "custom":
        item_schema = config["item_schema"]
        include_sample = bool(config.get("include_sample_schema"))
        properties = {"item": item_schema}
        if include_sample:
            properties["sample"] = SAMPLE_SCHEMA
        schema = {"type": "object", "properties": properties, "required": list(properties)}
        props = item_schema.get("properties")
        return {"type": "custom", "schema": schema}, (set(props) if isinstance(props, dict) else None), include_sample
    metadata = read_metadata(config.get("metadata"), "data_source_config.metadata")
    schema = {"type": "object", "properties": {"item": LOGS_ITEM_SCHEMA, "sample": SAMPLE_SCHEMA},
              "required": ["item", "sample"]}
    return {"type": kind, "metadata": metadata or None, "schema": schema}, None, True


def eval_namespaces(config: dict) -> tuple[dict | None, set | None, bool]:
    """(item schema, item property names, has sample) of a stored data source config."""
    properties = config["schema"]["properties"]
    item_schema = properties.get("item")
    props = item_schema.get("properties") if isinstance(item_schema, dict) else None
    return item_schema, (set(props) if isinstance(props, dict) else None), "sample" in properties


def schema_problem(schema, value, where: str = "item") -> str | None:
    """Why `value` breaks `schema`, or None. Checks the common subset of JSON Schema: `type`,
    `required`, `properties`, `items`, `enum`.

    Example:
        >>> schema_problem({"type": "object", "required": ["answer"]}, {"question": "?"})
        "item is missing required property 'answer'"
    """
    if not isinstance(schema, dict):
        return None
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if not any(_is_type(value, k) for k in kinds):
            return f"{where} should be {' or '.join(map(str, kinds))}, not {type(value).__name__}"
    if "enum" in schema and isinstance(schema["enum"], list) and value not in schema["enum"]:
        return f"{where} is {value!r}, not one of {schema['enum']}"
    if isinstance(value, dict):
        for key in schema.get("required") or []:
            if key not in value:
                return f"{where} is missing required property '{key}'"
        for key, sub in (schema.get("properties") or {}).items():
            if key in value:
                problem = schema_problem(sub, value[key], f"{where}.{key}")
                if problem:
                    return problem
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, entry in enumerate(value):
            problem = schema_problem(schema["items"], entry, f"{where}[{i}]")
            if problem:
                return problem
    return None


def _is_type(value, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    expected = _JSON_TYPES.get(kind)
    return expected is None or isinstance(value, expected)


def check_run_data_source(source, item_properties: set | None) -> dict:
    """The run's data source (shaped as `request.CreateRunBody` checked it) as stored: what the client
    sent, with defaults; what the local server cannot run is a 400."""
    kind = source["type"]
    if kind == "responses":
        raise BadRequest("Invalid 'data_source.type': 'responses' is not run by the local server; use "
                         "'completions' to sample a local model, or 'jsonl' to grade given samples.",
                         param="data_source.type")
    stored = _check_source(source.get("source"), kind)
    if kind == "jsonl":
        return source
    if stored is not None:
        source = dict(source, source=stored)
        if source.get("input_messages") is None:  # grade the stored answers as they are
            return {key: value for key, value in source.items() if key not in ("model", "sampling_params")}
    out = dict(source, model=source.get("model") or "local-ngram")
    out["input_messages"] = _check_input_messages(source.get("input_messages"), item_properties)
    out["sampling_params"] = _check_sampling(source.get("sampling_params"))
    return out


def _check_source(source, run_kind: str) -> dict | None:
    """A run's `source`: the filters of a `stored_completions` source, else None; inline rows need
    their `item` (a content row may leave it out in the API's schema, but there is nothing to grade)."""
    where = "data_source.source"
    if source["type"] == "stored_completions":
        return check_stored_source(source, where)
    for i, row in enumerate(source.get("content") or []):
        if not isinstance(row.get("item"), dict):
            raise BadRequest(f"Invalid '{where}.content[{i}]': expected an object with an 'item' object.",
                             param=f"{where}.content[{i}]")
    return None


def _check_input_messages(spec, item_properties: set | None) -> dict:
    where = "data_source.input_messages"
    if spec is None:
        raise BadRequest(f"Missing required parameter: '{where}' (type 'template' with a 'template' list of "
                         "messages, or type 'item_reference').", param=where)
    if spec["type"] == "item_reference":
        ref = spec["item_reference"]
        if not VARIABLE_PATH.match(ref) or not ref.startswith("item."):
            raise BadRequest(f"Invalid '{where}.item_reference': '{ref}'; expected a path such as "
                             "'item.messages'.", param=f"{where}.item_reference")
        return spec
    normalized = []
    for i, message in enumerate(spec["template"]):
        at = f"{where}.template[{i}]"
        role = message["role"]
        texts = content_texts(message.get("content"), f"{at}.content")
        for text in texts:
            check_template_text(text, f"{at}.content", item_properties, has_sample=False)
        normalized.append(template_message(role, "\n".join(texts), message.get("type")))
    return {"type": "template", "template": normalized}


def _check_sampling(params) -> dict:
    where = "data_source.sampling_params"
    if params is None:
        return {}
    # numbers are checked by `request.SamplingParams`; response_format and tools as a chat completion's
    chat = {key: params[key] for key in ("response_format", "tools") if params.get(key) is not None}
    if chat:
        from jupyter_api_kit.local.chat.request import chat_request

        try:
            chat_request({"model": "local-ngram", "messages": [{"role": "user", "content": "x"}], **chat})
        except BadRequest as exc:
            raise BadRequest(exc.message.replace("'", f"'{where}.", 1), param=f"{where}.{exc.param}") from None
    return params


def load_items(app, source: dict, item_schema) -> list[dict]:
    """The run's rows (`{"item": ..., "sample": ...}`) from inline content or an uploaded JSONL file,
    each checked against the item schema; a 400 names the first bad row (or line)."""
    spec = source["source"]
    if spec["type"] == "file_content":
        rows, label = spec["content"], "data_source.source.content[{}]"
    elif spec["type"] == "stored_completions":
        rows, label = stored_rows(app, spec), "stored completion {}"
    else:
        rows, label = _file_rows(app, spec["id"]), "line {} of file " + spec["id"]
    if not rows:
        raise BadRequest("The data source has no items.", param="data_source.source")
    if len(rows) > MAX_ITEMS:
        raise BadRequest(f"The data source has {len(rows)} items; at most {MAX_ITEMS} are allowed.",
                         param="data_source.source")
    for i, row in enumerate(rows):
        problem = schema_problem(item_schema, row["item"])
        if problem:
            where = label.format(row["_line"] if "_line" in row else
                                 row["item"]["completion_id"] if "output_sample" in row else i)
            raise BadRequest(f"Invalid {where}: {problem}.", param="data_source.source")
    return rows


def _file_rows(app, file_id: str) -> list[dict]:
    """Rows of an uploaded JSONL file. A line is `{"item": {...}, "sample": {...}}`, or a bare object
    taken as the item itself."""
    from jupyter_api_kit.local.files.store import read_file_bytes

    try:
        raw = read_file_bytes(app, file_id)
    except NotFound:
        raise BadRequest(f"Invalid 'data_source.source.id': no file with id '{file_id}'.",
                         param="data_source.source.id") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(f"File {file_id} is not UTF-8 text; upload a JSONL file.",
                         param="data_source.source.id") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise BadRequest(f"Invalid line {number} of file {file_id}: not valid JSON ({exc.msg}).",
                             param="data_source.source.id") from None
        if not isinstance(value, dict):
            raise BadRequest(f"Invalid line {number} of file {file_id}: expected a JSON object.",
                             param="data_source.source.id")
        if isinstance(value.get("item"), dict):
            rows.append({"item": value["item"], "sample": value.get("sample"), "_line": number})
        else:
            rows.append({"item": value, "_line": number})
    return rows
