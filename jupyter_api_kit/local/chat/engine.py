"""Building chat completion objects and stream chunks from the local model's output.

Example:
    >>> from jupyter_api_kit.local.chat.request import parse_chat_request
    >>> from jupyter_api_kit.local.models.language import get_language_model
    >>> req = parse_chat_request({"model": "local-ngram", "seed": 3,
    ...                           "messages": [{"role": "user", "content": "Hi"}]})
    >>> body = build_completion(get_language_model("local-ngram"), req, "chatcmpl-x", cached_tokens=0)
    >>> body["object"], body["choices"][0]["message"]["role"]
    ('chat.completion', 'assistant')
"""

from __future__ import annotations

from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.inference.engine import (
    Generated,
    choice_seed,
    fingerprint,
    logprob_entry,
)
from jupyter_api_kit.local.inference.tools import call_arguments, function_to_call, json_text


def tool_to_call(req) -> dict | None:
    """The function the model calls for this request, or None to answer in text (see
    `inference.tools`: a named choice always, "required" an unanswered one, "auto" when asked)."""
    return function_to_call(req.messages, req.tools, req.tool_choice) if req.tools else None


def tool_call_choice(model, req, index: int, function: dict) -> tuple[dict, int]:
    """A choice that calls `function` with arguments valid for its parameters."""
    arguments = call_arguments(model, function, req.messages, seed=choice_seed(req.seed, index),
                               temperature=req.temperature, top_p=req.top_p)
    call = {"id": new_id("call_"), "type": "function", "function": {"name": function["name"], "arguments": arguments}}
    message = {"role": "assistant", "content": None, "refusal": None, "annotations": [], "tool_calls": [call]}
    return ({"index": index, "message": message, "logprobs": None, "finish_reason": "tool_calls"},
            model.count_tokens(function["name"] + arguments))


def choice_tokens(model, req, index: int):
    """Yield the tokens of text choice number `index` as the model produces them; the generator's
    return value is `(choice, generated)`, the finished choice and the `Generated` output it came from.
    The choice's seed is derived from the request's seed and `index`, so `n` choices differ but each is
    reproducible.

    Example:
        >>> from jupyter_api_kit.local.chat.request import parse_chat_request
        >>> from jupyter_api_kit.local.models.language import get_language_model
        >>> req = parse_chat_request({"model": "local-ngram", "seed": 1, "max_completion_tokens": 5,
        ...                           "messages": [{"role": "user", "content": "Hi"}]})
        >>> steps = choice_tokens(get_language_model("local-ngram"), req, 0)
        >>> texts = [tok.text for tok in iter(lambda: next(steps, None), None)]
        >>> 0 < len(texts) <= 5
        True
    """
    if json_mode(req):
        # A JSON answer is made whole from the model's answer (never shown) and the conversation;
        # it counts as the tokens of the JSON returned, and is cut only if it cannot fit.
        gen = model.generate(req.messages, temperature=req.temperature, top_p=req.top_p,
                             seed=choice_seed(req.seed, index))
        out = json_text(model, req.messages, "".join(tok.text for tok in gen), req.response_format, req.max_tokens)
        generated = Generated(text=out.text, tokens=[], finish_reason=out.finish_reason,
                              prompt_tokens=gen.prompt_tokens, completion_tokens=out.tokens)
        message = {"role": "assistant", "content": out.text, "refusal": None, "annotations": []}
        return {"index": index, "message": message, "logprobs": None, "finish_reason": out.finish_reason}, generated
    gen = model.generate(req.messages, max_tokens=req.max_tokens, temperature=req.temperature, top_p=req.top_p,
                         seed=choice_seed(req.seed, index), stop=req.stop or None,
                         top_logprobs=req.top_logprobs if req.logprobs else 0)
    tokens = []
    for tok in gen:
        tokens.append(tok)
        yield tok
    generated = Generated(text=gen.text, tokens=tokens, finish_reason=gen.finish_reason,
                          prompt_tokens=gen.prompt_tokens, completion_tokens=gen.completion_tokens)
    logprobs = {"content": [logprob_entry(t) for t in generated.tokens], "refusal": None} if req.logprobs else None
    message = {"role": "assistant", "content": generated.text, "refusal": None, "annotations": []}
    return {"index": index, "message": message, "logprobs": logprobs, "finish_reason": generated.finish_reason}, generated


def text_choice(model, req, index: int) -> tuple[dict, Generated]:
    """One whole text choice (number `index`) for the request, with the `Generated` output it came from.

    Example:
        >>> from jupyter_api_kit.local.chat.request import parse_chat_request
        >>> from jupyter_api_kit.local.models.language import get_language_model
        >>> req = parse_chat_request({"model": "local-ngram", "seed": 1, "max_completion_tokens": 5,
        ...                           "messages": [{"role": "user", "content": "Hi"}]})
        >>> choice, generated = text_choice(get_language_model("local-ngram"), req, 0)
        >>> choice["message"]["content"] == generated.text, generated.completion_tokens <= 5
        (True, True)
    """
    steps = choice_tokens(model, req, index)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def json_mode(req) -> bool:
    """True when `response_format` asks for JSON, which is only whole once the answer is."""
    return (req.response_format or {}).get("type") in ("json_object", "json_schema")


def usage_object(prompt_tokens: int, completion_tokens: int, cached_tokens: int) -> dict:
    """The chat completion's `usage` object; the details the local server never produces are zeros.

    Example:
        >>> usage = usage_object(12, 5, cached_tokens=8)
        >>> usage["total_tokens"], usage["prompt_tokens_details"]
        (17, {'cached_tokens': 8, 'audio_tokens': 0})
    """
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}


def prompt_tokens(model, req) -> int:
    """The prompt's size in the model's tokens, counted over `role: content` lines of every message.

    Example:
        >>> words = SimpleNamespace(count_tokens=lambda text: len(text.split()))
        >>> prompt_tokens(words, SimpleNamespace(messages=[{"role": "user", "content": "Hello there"}]))
        3
    """
    return model.count_tokens("\n".join(f"{m['role']}: {m['content']}" for m in req.messages))


def build_completion(model, req, completion_id: str, cached_tokens: int) -> dict:
    """The whole `chat.completion` object for a non-streamed request."""
    choices, completion_tokens = [], 0
    function = tool_to_call(req)
    for index in range(req.n):
        if function is not None:
            choice, used = tool_call_choice(model, req, index, function)
        else:
            choice, generated = text_choice(model, req, index)
            used = generated.completion_tokens
        choices.append(choice)
        completion_tokens += used
    return {"id": completion_id, "object": "chat.completion", "created": now(), "model": model.id,
            "choices": choices, "usage": usage_object(prompt_tokens(model, req), completion_tokens, cached_tokens),
            "service_tier": "default", "system_fingerprint": fingerprint(model)}


def stream_chunks(model, req, completion_id: str, cached_tokens: int, finished: list):
    """`chat.completion.chunk` objects as tokens are produced. When done, the assembled
    `chat.completion` is appended to `finished` (for storing)."""
    created, fp = now(), fingerprint(model)

    def chunk(choices, usage=None):
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model.id,
                "choices": choices, "service_tier": "default", "system_fingerprint": fp}
        if req.include_usage:
            body["usage"] = usage
        return body

    choices, completion_tokens = [], 0
    function = tool_to_call(req)
    for index in range(req.n):
        yield chunk([{"index": index, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
                      "finish_reason": None}])
        if function is not None:
            choice, used = tool_call_choice(model, req, index, function)
            calls = [{"index": 0, **c} for c in choice["message"]["tool_calls"]]
            yield chunk([{"index": index, "delta": {"tool_calls": calls}, "logprobs": None, "finish_reason": None}])
        elif json_mode(req):
            choice, generated = text_choice(model, req, index)
            used = generated.completion_tokens
            yield chunk([{"index": index, "delta": {"content": choice["message"]["content"]}, "logprobs": None,
                          "finish_reason": None}])
        else:
            steps = choice_tokens(model, req, index)
            while True:
                try:
                    tok = next(steps)
                except StopIteration as done:
                    choice, generated = done.value
                    used = generated.completion_tokens
                    break
                logprobs = {"content": [logprob_entry(tok)], "refusal": None} if req.logprobs else None
                yield chunk([{"index": index, "delta": {"content": tok.text}, "logprobs": logprobs,
                              "finish_reason": None}])
        completion_tokens += used
        choices.append(choice)
        yield chunk([{"index": index, "delta": {}, "logprobs": None, "finish_reason": choice["finish_reason"]}])
    usage = usage_object(prompt_tokens(model, req), completion_tokens, cached_tokens)
    if req.include_usage:
        yield chunk([], usage)
    finished.append({"id": completion_id, "object": "chat.completion", "created": created, "model": model.id,
                     "choices": choices, "usage": usage, "service_tier": "default", "system_fingerprint": fp})
