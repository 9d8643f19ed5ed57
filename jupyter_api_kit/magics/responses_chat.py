"""`%%chat --api responses`: the same cell, conversation and options, sent through the Responses API.

The conversation `%%chat` keeps is sent as `input` (its system prompt as `instructions`), so a
notebook can switch APIs between cells without losing the thread. `--max-tokens` becomes
`max_output_tokens` (the Responses API wants at least 16); `--logprobs`/`--top-logprobs` ask for
`message.output_text.logprobs`. `-n`, `--seed` and `--stop` are Chat Completions options that the
Responses API does not have, so they are refused before anything is sent. `-o NAME` stores the
`response` object.

Example (in a notebook)::

    %%chat --api responses -s "Answer briefly." -o r
    What is a planet?
"""

from __future__ import annotations

from IPython.core.error import UsageError

from jupyter_api_kit.magics.answer import RESPONSES, get_answer
from jupyter_api_kit.magics.common import shown_errors

MIN_OUTPUT_TOKENS = 16


def responses_request(request: dict) -> dict:
    """A Responses API body from the Chat Completions body `%%chat` builds.

    Example:
        >>> body = responses_request({"model": "m", "max_completion_tokens": 20, "messages": [
        ...     {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]})
        >>> body["instructions"], body["input"], body["max_output_tokens"], body["store"]
        ('Be brief.', [{'role': 'user', 'content': 'Hi'}], 20, False)
    """
    body = {k: request[k] for k in ("model", "temperature", "top_p", "metadata") if k in request}
    if "max_completion_tokens" in request:
        if request["max_completion_tokens"] < MIN_OUTPUT_TOKENS:
            raise UsageError(f"--max-tokens must be at least {MIN_OUTPUT_TOKENS} with --api responses, got "
                             f"{request['max_completion_tokens']}")
        body["max_output_tokens"] = request["max_completion_tokens"]
    if request.get("logprobs"):
        body["include"] = ["message.output_text.logprobs"]
        if request.get("top_logprobs") is not None:
            body["top_logprobs"] = request["top_logprobs"]
    body["store"] = bool(request.get("store"))  # the Responses API stores by default; %%chat does not
    messages = list(request["messages"])
    if messages and messages[0]["role"] == "system":
        body["instructions"] = messages.pop(0)["content"]
    body["input"] = messages
    return body


def chat_via_responses(magics, args, cell: str) -> None:
    """Run one `%%chat --api responses` cell for `magics` (a ChatMagics)."""
    if args.n not in (None, 1):
        raise UsageError("-n is not available with --api responses: a response has one answer")
    if args.seed is not None or args.stop:
        raise UsageError("--seed and --stop are Chat Completions options; the Responses API has neither")
    request = magics._request(args, cell)
    body = responses_request(request)
    with shown_errors():
        body.setdefault("model", magics.connection.default_model())
        response = get_answer(RESPONSES, magics, body, args.cache or magics.cache)
    magics.messages = request["messages"] + [{"role": "assistant", "content": RESPONSES.texts(response)[0]}]
    magics.last_result = response
    if args.output:
        magics.shell.user_ns[args.output] = response
