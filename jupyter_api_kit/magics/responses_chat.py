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

from jupyter_api_kit.magics.common import shown_errors
from jupyter_api_kit.magics.display import AnswerFooter, LiveAnswer, final_view

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


def _as_completion(response) -> dict:
    """The response in the shape the footer and `frames.logprobs` read (usage and one choice)."""
    usage = response.get("usage") or {}
    entries = [lp for item in response.get("output") or [] if item.get("type") == "message"
               for part in item.get("content") or [] for lp in part.get("logprobs") or []]
    return {"id": response.get("id"), "model": response.get("model"),
            "usage": {"prompt_tokens": usage.get("input_tokens", 0),
                      "completion_tokens": usage.get("output_tokens", 0)} if usage else None,
            "choices": [{"index": 0, "logprobs": {"content": entries} if entries else None}]}


def chat_via_responses(magics, args, cell: str) -> None:
    """Run one `%%chat --api responses` cell for `magics` (a ChatMagics)."""
    if args.n not in (None, 1):
        raise UsageError("-n is not available with --api responses: a response has one answer")
    if args.seed is not None or args.stop:
        raise UsageError("--seed and --stop are Chat Completions options; the Responses API has neither")
    request = magics._request(args, cell)
    body = responses_request(request)
    with shown_errors():
        client = magics.connection.client
        body.setdefault("model", magics.connection.default_model())
        if magics.stream:
            live = LiveAnswer(n=1, interval=magics.update_interval)
            stream = client.responses.create(**body, stream=True)
            live.start()
            try:
                with stream:
                    for event in stream:
                        if event.get("type") == "response.output_text.delta":
                            live.add(0, event.get("delta") or "")
            finally:
                live.finish([stream.text])
            response = stream.response
            if response is None:
                raise UsageError("the server ended the stream before the response was complete")
        else:
            from IPython.display import display

            response = client.responses.create(**body)
            display(final_view([response.get("output_text") or ""]))
    _extras(magics, response, stored=body["store"])
    magics.messages = request["messages"] + [{"role": "assistant", "content": response.get("output_text") or ""}]
    magics.last_result = response
    if args.output:
        magics.shell.user_ns[args.output] = response


def _extras(magics, response, stored: bool) -> None:
    from IPython.display import display

    view = _as_completion(response)
    if view["choices"][0]["logprobs"]:
        from jupyter_api_kit import frames

        display(frames.logprobs(view))
    if magics.show_usage:
        display(AnswerFooter(view, stored=stored))
