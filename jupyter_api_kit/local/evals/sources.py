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
from jupyter_api_kit.local.core.params import Params, check_metadata
from jupyter_api_kit.local.evals.stored_completions import MAX_ITEMS, check_stored_source, stored_rows
from jupyter_api_kit.local.evals.templates import (  # noqa: F401 (content_texts: read by the engine too)
    VARIABLE_PATH,
    check_template_text,
    content_texts,
    template_message,
)
from jupyter_api_kit.spec import INPUT_ROLES as ROLES

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
    """(stored config, item property names or None, has sample namespace); 400 for a bad config."""
    if not isinstance(config, dict):
        raise BadRequest("Invalid type for 'data_source_config': expected an object.", param="data_source_config")
    p = Params(config, prefix="data_source_config.")
    kind = p.str("type", required=True, choices=("custom", "logs", "stored_completions"))
    if kind == "custom":
        item_schema = p.dict("item_schema")
        if item_schema is None:
            raise BadRequest("Missing required parameter: 'data_source_config.item_schema' (a JSON schema of "
                             "each item, e.g. {\"type\": \"object\", \"properties\": {...}}).",
                             param="data_source_config.item_schema")
        include_sample = p.bool("include_sample_schema", default=False)
        properties = {"item": item_schema}
        if include_sample:
            properties["sample"] = SAMPLE_SCHEMA
        schema = {"type": "object", "properties": properties, "required": list(properties)}
        props = item_schema.get("properties")
        return {"type": "custom", "schema": schema}, (set(props) if isinstance(props, dict) else None), include_sample
    metadata = check_metadata(config.get("metadata"), "data_source_config.metadata")
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
    """The run's data source, checked; the stored form is what the client sent (with defaults)."""
    if not isinstance(source, dict):
        raise BadRequest("Invalid type for 'data_source': expected an object.", param="data_source")
    p = Params(source, prefix="data_source.")
    kind = p.str("type", required=True, choices=("jsonl", "completions", "responses"))
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
    model = p.str("model", default="local-ngram")
    out = dict(source, model=model)
    out["input_messages"] = _check_input_messages(source.get("input_messages"), item_properties)
    out["sampling_params"] = _check_sampling(source.get("sampling_params"))
    return out


def _check_source(source, run_kind: str) -> dict | None:
    """Check a run's `source`; the checked filters of a `stored_completions` source, else None."""
    where = "data_source.source"
    if not isinstance(source, dict):
        raise BadRequest(f"Missing required parameter: '{where}' (type 'file_content' with 'content', or type "
                         "'file_id' with 'id').", param=where)
    kinds = ("file_content", "file_id") if run_kind == "jsonl" else ("file_content", "file_id", "stored_completions")
    kind = Params(source, prefix=f"{where}.").str("type", required=True, choices=kinds)
    if kind == "stored_completions":
        return check_stored_source(source, where)
    if kind == "file_id":
        Params(source, prefix=f"{where}.").str("id", required=True)
        return None
    content = Params(source, prefix=f"{where}.").list("content", required=True, max_items=MAX_ITEMS)
    for i, row in enumerate(content):
        if not isinstance(row, dict) or not isinstance(row.get("item"), dict):
            raise BadRequest(f"Invalid '{where}.content[{i}]': expected an object with an 'item' object.",
                             param=f"{where}.content[{i}]")
    return None


def _check_input_messages(spec, item_properties: set | None) -> dict:
    where = "data_source.input_messages"
    if not isinstance(spec, dict):
        raise BadRequest(f"Missing required parameter: '{where}' (type 'template' with a 'template' list of "
                         "messages, or type 'item_reference').", param=where)
    p = Params(spec, prefix=f"{where}.")
    kind = p.str("type", required=True, choices=("template", "item_reference"))
    if kind == "item_reference":
        ref = p.str("item_reference", required=True)
        if not VARIABLE_PATH.match(ref) or not ref.startswith("item."):
            raise BadRequest(f"Invalid '{where}.item_reference': '{ref}'; expected a path such as "
                             "'item.messages'.", param=f"{where}.item_reference")
        return spec
    template = p.list("template", required=True, max_items=64)
    normalized = []
    for i, message in enumerate(template):
        at = f"{where}.template[{i}]"
        if not isinstance(message, dict):
            raise BadRequest(f"Invalid type for '{at}': expected a message object.", param=at)
        role = Params(message, prefix=f"{at}.").str("role", required=True, choices=ROLES)
        texts = content_texts(message.get("content"), f"{at}.content")
        for text in texts:
            check_template_text(text, f"{at}.content", item_properties, has_sample=False)
        normalized.append(template_message(role, "\n".join(texts), message.get("type")))
    return {"type": "template", "template": normalized}


def _check_sampling(params) -> dict:
    where = "data_source.sampling_params"
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise BadRequest(f"Invalid type for '{where}': expected an object.", param=where)
    p = Params(params, prefix=f"{where}.")
    p.number("temperature", minimum=0, maximum=2)
    p.number("top_p", minimum=0, maximum=1)
    p.int("max_completion_tokens", minimum=1, maximum=4096)
    p.int("seed")
    p.str("reasoning_effort")  # accepted for compatibility; the local models do not reason
    # response_format and tools are checked as a chat completion would check them
    chat = {key: params[key] for key in ("response_format", "tools") if params.get(key) is not None}
    if chat:
        from jupyter_api_kit.local.chat.request import parse_chat_request

        try:
            parse_chat_request({"model": "local-ngram", "messages": [{"role": "user", "content": "x"}], **chat})
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
