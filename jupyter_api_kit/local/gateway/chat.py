"""Chat completions made by the upstream engine, kept by the local server as its own are: stored with
their metadata when `store` is true, and recorded as usage.

The request goes upstream as sent, less what only the local server acts on (`store`, `metadata`);
the answer comes back with the local server's id (so stored completions never collide) and the model
named as the client asked for it. A streamed answer is passed on chunk by chunk as it arrives; the
local server assembles the whole completion beside it, to store once the stream has ended well. A
failed call stores and records nothing; an upstream failure mid-stream ends the stream with an
`error` event.

Example:
    >>> assembler = ChunkAssembler()
    >>> for chunk in ({"id": "x", "created": 1, "model": "m", "choices": [{"index": 0, "delta": {"role": "assistant",
    ...                "content": "Hel"}}]}, {"choices": [{"index": 0, "delta": {"content": "lo"},
    ...                "finish_reason": "stop"}]}):
    ...     assembler.add(chunk)
    >>> completion = assembler.completion("chatcmpl-1", "m")
    >>> completion["choices"][0]["message"]["content"], completion["choices"][0]["finish_reason"]
    ('Hello', 'stop')
"""

from __future__ import annotations

import json

from fastapi.responses import StreamingResponse

from jupyter_api_kit.local.chat import store as chat_store
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.gateway.upstream import UpstreamError
from jupyter_api_kit.local.gateway.usage import estimated_usage

#: request fields the local server acts on itself and does not send upstream
LOCAL_FIELDS = ("store", "metadata")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class ChunkAssembler:
    """Builds the whole `chat.completion` from the chunks of a streamed one: content, refusals, tool
    calls (arguments joined), logprobs, finish reasons and the usage of the last chunk."""

    def __init__(self):
        self.choices: dict[int, dict] = {}
        self.usage = None
        self.head: dict = {}

    def add(self, chunk: dict) -> None:
        """Take one chunk's deltas in."""
        for key in ("created", "model", "system_fingerprint", "service_tier"):
            if chunk.get(key) is not None:
                self.head.setdefault(key, chunk[key])
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for delta_choice in chunk.get("choices") or []:
            index = delta_choice.get("index", 0)
            choice = self.choices.setdefault(index, {"content": [], "refusal": [], "tool_calls": {},
                                                     "logprobs": None, "finish_reason": None, "role": "assistant"})
            delta = delta_choice.get("delta") or {}
            if delta.get("role"):
                choice["role"] = delta["role"]
            for key in ("content", "refusal"):
                if isinstance(delta.get(key), str):
                    choice[key].append(delta[key])
            for call in delta.get("tool_calls") or []:
                slot = choice["tool_calls"].setdefault(call.get("index", 0), {"id": None, "type": "function",
                                                                              "function": {"name": "", "arguments": ""}})
                slot["id"] = call.get("id") or slot["id"]
                function = call.get("function") or {}
                slot["function"]["name"] += function.get("name") or ""
                slot["function"]["arguments"] += function.get("arguments") or ""
            logprobs = delta_choice.get("logprobs")
            if isinstance(logprobs, dict):
                merged = choice["logprobs"] or {"content": [], "refusal": None}
                merged["content"] += logprobs.get("content") or []
                choice["logprobs"] = merged
            if delta_choice.get("finish_reason"):
                choice["finish_reason"] = delta_choice["finish_reason"]

    def completion(self, completion_id: str, model: str) -> dict:
        """The assembled `chat.completion` (usage as the upstream reported it, or None)."""
        choices = []
        for index in sorted(self.choices):
            c = self.choices[index]
            message = {"role": c["role"], "content": "".join(c["content"]) if c["content"] or not c["tool_calls"]
                       else None, "refusal": "".join(c["refusal"]) or None, "annotations": []}
            if c["tool_calls"]:
                message["tool_calls"] = [c["tool_calls"][i] for i in sorted(c["tool_calls"])]
            choices.append({"index": index, "message": message, "logprobs": c["logprobs"],
                            "finish_reason": c["finish_reason"]})
        return {"id": completion_id, "object": "chat.completion", "created": self.head.get("created", now()),
                "model": model, "choices": choices, "usage": self.usage,
                "service_tier": self.head.get("service_tier"), "system_fingerprint": self.head.get("system_fingerprint")}


def conform(completion: dict) -> dict:
    """The upstream's completion with the fields the API always sends and some engines leave out
    (`refusal`, `logprobs`, a chunk's `finish_reason`) set to null; everything else as it came.

    Example:
        >>> conform({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}}]})["choices"]
        [{'index': 0, 'message': {'role': 'assistant', 'content': 'Hi', 'refusal': None}, 'logprobs': None, 'finish_reason': None}]
    """
    for choice in completion.get("choices") or []:
        if isinstance(choice, dict):
            if isinstance(choice.get("message"), dict):
                choice["message"].setdefault("content", None)
                choice["message"].setdefault("refusal", None)
            if completion.get("object") == "text_completion" and not isinstance(choice.get("text"), str):
                choice["text"] = ""  # a legacy completion's choice always has its text
            choice.setdefault("logprobs", None)
            choice.setdefault("finish_reason", None)
    return completion


def _checked(body: dict) -> tuple[bool, dict, bool]:
    """(store, metadata, stream): what the local server acts on, from a body `ChatCompletionBody`
    has checked at the boundary as for the local models; the upstream reads the rest."""
    return bool(body.get("store")), body.get("metadata") or {}, bool(body.get("stream"))


def _finish(app, body: dict, completion: dict, store: bool, metadata: dict, principal) -> None:
    """Usage (the upstream's, or estimated when it gave none) and, when asked, storage."""
    usage = completion.get("usage") or estimated_usage(body.get("messages"), completion)
    completion["usage"] = usage
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    record(app.state.store, "completions", model=completion["model"], principal=principal,
           input_tokens=usage.get("prompt_tokens") or 0, output_tokens=usage.get("completion_tokens") or 0,
           input_cached_tokens=cached)
    if store:
        chat_store.save(app.state.store, completion, body, metadata)


def create(app, gateway, body: dict, principal):
    """`POST /chat/completions` for a model the upstream serves: the completion, or a stream of its chunks."""
    store, metadata, stream = _checked(body)
    requested = body["model"]
    outgoing = {k: v for k, v in body.items() if k not in LOCAL_FIELDS}
    outgoing["model"] = gateway.upstream_name(requested)
    completion_id = new_id("chatcmpl-")
    if not stream:
        completion = gateway.upstream.post("/chat/completions", outgoing)
        completion = conform(completion)
        completion.update(id=completion_id, model=gateway.public_name(requested, completion.get("model")))
        _finish(app, body, completion, store, metadata, principal)
        return completion

    wants_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    # Usage is always asked for, to record it; the client sees the usage chunk only if it asked too.
    outgoing["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
    chunks = gateway.upstream.stream("/chat/completions", outgoing)
    # The first chunk is awaited here, so an upstream refusal (429, 5xx, a timeout) is this response's status.
    first = next(chunks, None)
    if first is None:
        raise UpstreamError(502, "The upstream engine ended its stream without sending anything.",
                            code="upstream_error")

    def events():
        assembler = ChunkAssembler()
        chunk = first
        try:
            while chunk is not None:
                assembler.add(chunk)
                model = gateway.public_name(requested, chunk.get("model"))
                out = conform({**chunk, "id": completion_id, "model": model})
                usage_only = not out.get("choices") or all(not c.get("delta") and not c.get("finish_reason")
                                                           for c in out["choices"])
                if not wants_usage:
                    out.pop("usage", None)
                if not (usage_only and chunk.get("usage") and not wants_usage):
                    if usage_only and chunk.get("usage"):
                        out["choices"] = []  # the API's usage chunk has no choices
                    yield f"data: {json.dumps(out)}\n\n"
                chunk = next(chunks, None)
        except UpstreamError as exc:
            yield f"data: {json.dumps(exc.body())}\n\n"
            return
        completion = assembler.completion(completion_id, gateway.public_name(requested, assembler.head.get("model")))
        _finish(app, body, completion, store, metadata, principal)
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)
