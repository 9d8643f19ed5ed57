"""Token counts for the usage record when the upstream engine reports none (some engines leave usage
out of streams): the local tokenizer's count of the prompt and the answer, an estimate of the same
order as the engine's own tokens.

Example:
    >>> usage = estimated_usage([{"role": "user", "content": "Hello there"}],
    ...                         {"choices": [{"message": {"content": "Hi!"}}]})
    >>> usage["prompt_tokens"] > 0, usage["completion_tokens"] > 0
    (True, True)
"""

from __future__ import annotations

import json

from jupyter_api_kit.local.models.tokenizer import pretokenize


def count_tokens(value) -> int:
    """The local tokenizer's count for a text, or for the texts inside any JSON value.

    Example:
        >>> count_tokens("Hello there"), count_tokens([{"type": "text", "text": "Hello there"}]) >= 2
        (2, True)
    """
    if value is None:
        return 0
    if not isinstance(value, str):
        value = json.dumps(value)
    return len(pretokenize(value))


def estimated_usage(messages, completion: dict) -> dict:
    """A chat completion's usage object counted locally."""
    prompt = sum(count_tokens(m.get("content")) + 1 for m in messages or [] if isinstance(m, dict))
    answer = 0
    for choice in completion.get("choices") or []:
        message = choice.get("message") or {}
        answer += count_tokens(message.get("content")) + count_tokens(message.get("tool_calls"))
        answer += count_tokens(choice.get("text"))
    return {"prompt_tokens": prompt, "completion_tokens": answer, "total_tokens": prompt + answer}
