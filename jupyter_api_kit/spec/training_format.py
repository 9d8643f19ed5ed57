"""Fine-tuning training data, line by line: the checks the client runs before uploading a JSONL file and
the local server runs when a job validates its training file, so both report the same problems.

Pure standard library, below both `client` and `local`. A line is a JSON object in chat format
(`{"messages": [...]}` with at least one assistant message that has text) or in the older
prompt/completion format (`{"prompt": "...", "completion": "..."}`).

Example:
    >>> good = '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}'
    >>> examples, problems = check_lines(good + "\\n\\n{oops\\n")
    >>> len(examples), problems
    (1, ['line 2: the line is empty', 'line 3: not valid JSON (Expecting property name enclosed in double quotes)'])
"""

from __future__ import annotations

import json
from jupyter_api_kit.spec import CHAT_ROLES as ROLES

TEXT_PART_TYPES = ("text", "input_text", "output_text")
#: problems reported per file before the rest are summarized as "and N more"
MAX_REPORTED = 10


def message_problem(message, where: str) -> str | None:
    """Why one chat message is unusable, or None."""
    if not isinstance(message, dict):
        return f"{where} is not an object"
    role = message.get("role")
    if role not in ROLES:
        return f"{where}.role is {role!r}; expected one of {', '.join(ROLES)}"
    content = message.get("content")
    if content is None:
        if role == "assistant" and (message.get("tool_calls") or message.get("function_call")):
            return None
        return f"{where} ({role}) has no content"
    if isinstance(content, str):
        return None
    if isinstance(content, list):
        for i, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") not in TEXT_PART_TYPES:
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                return f"{where}.content[{i}] is of type {kind!r}; training data is text only"
        return None
    return f"{where}.content should be a string or a list of text parts, not {type(content).__name__}"


def _text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text") or "") for p in content if isinstance(p, dict))
    return ""


def example_problem(value) -> str | None:
    """Why one parsed line is not a usable training example, or None.

    Example:
        >>> example_problem({"messages": [{"role": "user", "content": "Hi"}]})
        'no assistant message with text to learn from'
    """
    if not isinstance(value, dict):
        return f"expected a JSON object, got {type(value).__name__}"
    if "messages" in value:
        messages = value["messages"]
        if not isinstance(messages, list) or not messages:
            return "'messages' must be a non-empty list"
        for i, message in enumerate(messages):
            problem = message_problem(message, f"messages[{i}]")
            if problem:
                return problem
        if not any(m.get("role") == "assistant" and _text(m.get("content")).strip() for m in messages):
            return "no assistant message with text to learn from"
        return None
    if "prompt" in value or "completion" in value:
        if not isinstance(value.get("prompt", ""), str) or not isinstance(value.get("completion"), str):
            return "'prompt' and 'completion' must be strings"
        if not value["completion"].strip():
            return "'completion' is empty"
        return None
    return "expected 'messages' (chat format) or 'prompt' and 'completion'"


def check_lines(text: str) -> tuple[list[dict], list[str]]:
    """(examples, problems) of a JSONL text; each problem starts with its 1-based line number. A final
    newline is fine; an empty line anywhere else is a problem.

    Example:
        >>> check_lines('{"prompt": "a", "completion": "b"}\\n')
        ([{'prompt': 'a', 'completion': 'b'}], [])
    """
    examples, problems = [], []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line.strip():
            problems.append(f"line {number}: the line is empty")
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            problems.append(f"line {number}: not valid JSON ({getattr(exc, 'msg', exc)})")
            continue
        problem = example_problem(value)
        if problem:
            problems.append(f"line {number}: {problem}")
        else:
            examples.append(value)
    if not lines:
        problems.append("the file has no lines")
    return examples, problems


def summarize(problems: list[str]) -> str:
    """The problems as one line, at most MAX_REPORTED of them named.

    Example:
        >>> summarize(["line 2: the line is empty"])
        '1 invalid line: line 2: the line is empty'
    """
    shown = "; ".join(problems[:MAX_REPORTED])
    more = f"; and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
    noun = "invalid line" if len(problems) == 1 else "invalid lines"
    return f"{len(problems)} {noun}: {shown}{more}"
