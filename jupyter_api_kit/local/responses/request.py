"""Reading a Responses API request: input items, tools and tool choice, and turning items into the
conversation the local model reads.

Input is a string (one user message) or a list of items: messages (`{"role", "content"}`, content a
string or `input_text`/`output_text`/`input_file` parts), `item_reference`s to stored items,
`function_call`/`function_call_output` pairs, echoed `file_search_call`s, and `compaction` items made
by POST /v1/responses/compact. Stored input items get ids and the shapes GET .../input_items lists.

Example:
    >>> items = parse_input("Hello", store=None, app=None)
    >>> items[0]["type"], items[0]["role"], items[0]["content"][0]["text"]
    ('message', 'user', 'Hello')
    >>> to_messages(items)
    [{'role': 'user', 'content': 'Hello'}]
"""

from __future__ import annotations

import base64
import json

from jupyter_api_kit.local.core.db import loads
from jupyter_api_kit.local.core.errors import BadRequest, NotFound, found
from jupyter_api_kit.local.core.ids import new_id
from jupyter_api_kit.local.core.params import Params, type_name
from jupyter_api_kit.local.inference.tools import check_json_schema
from jupyter_api_kit.spec import INPUT_ROLES as ROLES

TOOL_TYPES = ("function", "file_search")
COMPACTION_PREFIX = "jak1:"


def _text_part(part: dict, where: str, app) -> dict:
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text"):
        if not isinstance(part.get("text"), str):
            raise BadRequest(f"Invalid type for '{where}.text': expected a string.", param=f"{where}.text")
        return {"type": "input_text" if kind == "text" else kind, "text": part["text"]}
    if kind == "input_file":
        return _file_part(part, where, app)
    if kind in ("input_image", "input_audio"):
        raise BadRequest(f"Invalid '{where}': the local models read text only ('{kind}' parts are not supported).",
                         param=f"{where}.type")
    raise BadRequest(f"Invalid value for '{where}.type': {kind!r}. Supported values are: 'input_text', "
                     "'output_text', 'input_file'.", param=f"{where}.type")


def _file_part(part: dict, where: str, app) -> dict:
    """An uploaded file as input (text, Markdown, HTML, JSON, PDF): its text is read now, so the stored item stays readable."""
    from jupyter_api_kit.local.files.store import file_record, read_file_bytes
    from jupyter_api_kit.local.files.text import Unreadable, extract_text

    file_id = part.get("file_id")
    if not isinstance(file_id, str) or app is None:
        raise BadRequest(f"Invalid '{where}': the local server reads 'input_file' parts by 'file_id' only.",
                         param=f"{where}.file_id")
    try:
        name = file_record(app.state.store, file_id)["filename"]
        text = extract_text(read_file_bytes(app, file_id), name)
    except NotFound:
        raise NotFound(f"No file found with id '{file_id}' ({where}.file_id).", param=f"{where}.file_id") from None
    except Unreadable as exc:
        raise BadRequest(f"Invalid '{where}': {exc.message}", param=f"{where}.file_id") from None
    return {"type": "input_file", "file_id": file_id, "filename": name, "_text": text}


def _message(item: dict, where: str, app) -> dict:
    role = Params(item, prefix=f"{where}.").str("role", required=True, choices=ROLES)
    content = item.get("content")
    if isinstance(content, str):
        parts = [{"type": "output_text" if role == "assistant" else "input_text", "text": content}]
    elif isinstance(content, list):
        parts = []
        for j, part in enumerate(content):
            if not isinstance(part, dict):
                raise BadRequest(f"Invalid type for '{where}.content[{j}]': expected an object.",
                                 param=f"{where}.content[{j}]")
            parts.append(_text_part(part, f"{where}.content[{j}]", app))
    else:
        raise BadRequest(f"Invalid type for '{where}.content': expected a string or an array of content parts, "
                         f"got {type_name(content)}.", param=f"{where}.content")
    if role == "assistant":  # stored as the API stores assistant messages: output_text parts
        parts = [{"type": "output_text", "text": p.get("text", p.get("_text", "")), "annotations": [], "logprobs": []}
                 for p in parts]
    return {"id": item.get("id") or new_id("msg_"), "type": "message", "role": role, "content": parts,
            "status": "completed"}


def _reference(item: dict, where: str, store) -> dict:
    """The stored item an `item_reference` names: a response's item or a conversation's."""
    from jupyter_api_kit.local.conversations.store import find_item

    ref = item.get("id")
    if store is None or not isinstance(ref, str):
        raise BadRequest(f"Invalid '{where}.id': expected the id of a stored item.", param=f"{where}.id")
    row = store.one("SELECT item FROM response_items WHERE id = ? ORDER BY seq DESC LIMIT 1", (ref,))
    return found(loads(row["item"]) if row else find_item(store, ref),
                 f"Invalid '{where}': no stored item with id '{ref}'.", f"{where}.id")


def parse_input(value, *, store, app, name: str = "input") -> list[dict]:
    """The request's `input` (or, for conversations, `items`: `name`) as stored items (ids
    assigned; references resolved); a bad item is a 400 naming it, e.g. `input[2].role`."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [{"role": "user", "content": value}]
    if not isinstance(value, list):
        raise BadRequest(f"Invalid type for '{name}': expected a string or an array of items, got "
                         f"{type_name(value)}.", param=name)
    items = []
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(item, dict):
            raise BadRequest(f"Invalid type for '{where}': expected an object.", param=where)
        kind = item.get("type", "message" if "role" in item else None)
        if kind == "message":
            items.append(_message(item, where, app))
        elif kind == "item_reference":
            items.append(_reference(item, where, store))
        elif kind == "function_call_output":
            p = Params(item, prefix=f"{where}.")
            output = item.get("output")
            if isinstance(output, list):
                output = "\n".join(str(part.get("text", "")) for part in output if isinstance(part, dict))
            if not isinstance(output, str):
                raise BadRequest(f"Invalid type for '{where}.output': expected a string.", param=f"{where}.output")
            items.append({"id": item.get("id") or new_id("fco_"), "type": "function_call_output",
                          "call_id": p.str("call_id", required=True), "output": output, "status": "completed"})
        elif kind == "function_call":
            p = Params(item, prefix=f"{where}.")
            items.append({"id": item.get("id") or new_id("fc_"), "type": "function_call",
                          "call_id": p.str("call_id", required=True), "name": p.str("name", required=True),
                          "arguments": p.str("arguments", default="{}"), "status": "completed"})
        elif kind == "file_search_call":
            items.append({"id": item.get("id") or new_id("fs_"), "type": "file_search_call", "status": "completed",
                          "queries": list(item.get("queries") or []), "results": item.get("results")})
        elif kind == "compaction":
            items.append(decode_compaction(item, where))
        else:
            raise BadRequest(f"Invalid value for '{where}.type': {kind!r}. The local server reads 'message', "
                             "'item_reference', 'function_call', 'function_call_output', 'file_search_call' and "
                             "'compaction' items.", param=f"{where}.type")
    return items


def encode_compaction(messages: list[dict]) -> str:
    """The opaque `encrypted_content` of a compaction item (encoded, not encrypted: it is local)."""
    raw = json.dumps(messages, separators=(",", ":")).encode("utf-8")
    return COMPACTION_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii")


def decode_compaction(item: dict, where: str) -> dict:
    """A `compaction` input item read back: the messages `encode_compaction` packed into its
    `encrypted_content` (kept in the private `_messages`), or a 400 for content this server did not make.

    Example:
        >>> item = {"type": "compaction", "encrypted_content": encode_compaction([{"role": "user", "content": "Hi"}])}
        >>> decode_compaction(item, "input[0]")["_messages"]
        [{'role': 'user', 'content': 'Hi'}]
        >>> decode_compaction({"type": "compaction", "encrypted_content": "gAAAA"}, "input[0]")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'input[0].encrypted_content': it is not a compaction ...
    """
    content = item.get("encrypted_content")
    try:
        if not isinstance(content, str) or not content.startswith(COMPACTION_PREFIX):
            raise ValueError
        messages = json.loads(base64.urlsafe_b64decode(content[len(COMPACTION_PREFIX):]))
        assert isinstance(messages, list)
    except Exception:
        raise BadRequest(f"Invalid '{where}.encrypted_content': it is not a compaction made by this server "
                         "(POST /v1/responses/compact).", param=f"{where}.encrypted_content") from None
    return {"id": item.get("id") or new_id("cmp_"), "type": "compaction", "encrypted_content": content,
            "_messages": messages}


def part_text(part: dict) -> str:
    """The text a content part contributes to the conversation; a file part is its name and extracted text.

    Example:
        >>> part_text({"type": "input_text", "text": "Hello"})
        'Hello'
        >>> part_text({"type": "input_file", "filename": "notes.txt", "_text": "Mars is red."})
        '[file notes.txt]\\nMars is red.'
    """
    if part.get("type") == "input_file":
        return f"[file {part.get('filename')}]\n{part.get('_text', '')}"
    return str(part.get("text") or "")


def to_messages(items: list[dict]) -> list[dict]:
    """The conversation the language model reads, from stored items in order."""
    messages = []
    for item in items:
        kind = item.get("type")
        if kind == "message":
            messages.append({"role": item["role"], "content": "\n".join(part_text(p) for p in item["content"])})
        elif kind == "function_call":
            call = {"id": item.get("call_id") or "", "type": "function",
                    "function": {"name": item["name"], "arguments": item["arguments"]}}
            messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
        elif kind == "function_call_output":
            messages.append({"role": "tool", "content": item["output"], "tool_call_id": item.get("call_id") or ""})
        elif kind == "file_search_call" and item.get("results"):
            messages.append({"role": "tool", "content": "\n\n".join(r.get("text") or "" for r in item["results"])})
        elif kind == "compaction":
            messages.extend(item.get("_messages") or decode_compaction(item, "input")["_messages"])
    return messages


def public_item(item: dict) -> dict:
    """An item as the API shows it (private `_` fields removed)."""
    out = {k: v for k, v in item.items() if not k.startswith("_")}
    if out.get("type") == "message":
        out["content"] = [{k: v for k, v in p.items() if not k.startswith("_")} for p in out["content"]]
    return out


def parse_tools(p: Params) -> tuple[list, object]:
    """`tools` (function and file_search) and `tool_choice`, checked."""
    tools = p.list("tools", default=[], max_items=128)
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or tool.get("type") not in TOOL_TYPES:
            kind = tool.get("type") if isinstance(tool, dict) else type_name(tool)
            raise BadRequest(f"Invalid 'tools[{i}].type': {kind!r}. The local server runs 'function' and "
                             "'file_search' tools.", param=f"tools[{i}].type")
        tp = Params(tool, prefix=f"tools[{i}].")
        if tool["type"] == "function":
            tp.str("name", required=True)
            if tool.get("parameters") is not None:
                check_json_schema(tp.dict("parameters"), f"tools[{i}].parameters")
        else:
            ids = tp.list("vector_store_ids", required=True)
            if not all(isinstance(v, str) for v in ids):
                raise BadRequest(f"Invalid 'tools[{i}].vector_store_ids': expected an array of ids.",
                                 param=f"tools[{i}].vector_store_ids")
            tp.int("max_num_results", minimum=1, maximum=50)
    choice = p.raw("tool_choice", "auto")
    names = {t["name"] for t in tools if t["type"] == "function"}
    if isinstance(choice, str):
        if choice not in ("none", "auto", "required"):
            raise BadRequest(f"Invalid value for 'tool_choice': '{choice}'. Supported values are: 'none', 'auto', "
                             "'required', or an object.", param="tool_choice")
        if choice == "required" and not tools:
            raise BadRequest("'tool_choice' is 'required' but no 'tools' were given.", param="tool_choice")
    elif isinstance(choice, dict):
        if choice.get("type") == "function" and choice.get("name") not in names:
            raise BadRequest(f"Invalid 'tool_choice': function {choice.get('name')!r} is not among the given 'tools'.",
                             param="tool_choice")
        if choice.get("type") == "file_search" and not any(t["type"] == "file_search" for t in tools):
            raise BadRequest("Invalid 'tool_choice': 'file_search' needs a file_search tool in 'tools'.",
                             param="tool_choice")
        if choice.get("type") not in ("function", "file_search"):
            raise BadRequest(f"Invalid 'tool_choice.type': {choice.get('type')!r}. The local server supports "
                             "'function' and 'file_search'.", param="tool_choice.type")
    else:
        raise BadRequest("Invalid type for 'tool_choice': expected a string or an object.", param="tool_choice")
    return tools, choice
