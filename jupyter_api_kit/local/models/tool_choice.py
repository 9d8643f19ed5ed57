"""Which function a conversation calls, if any, and its arguments: the model's side of tool calling.

`choose_function(messages, functions, tool_choice)` decides, from the conversation alone:

* a named choice (`{"type": "function", "function": {"name": ...}}`, or Responses' `{"type":
  "function", "name": ...}`) always calls that function;
* `"required"` calls a function not yet answered since the latest user message, the one that best
  matches it (and the best match of all once every function has answered);
* `"auto"` calls the function the latest user message is about (its name, description, parameters,
  or words related to them: "Will it rain?" is about `get_weather`), unless a function has already
  answered it: then the model answers in text, using the result;
* `"none"` (or no functions) never calls one.

`arguments_for(function, messages)` fills the function's parameter schema from the conversation
(`json_fill`): the city named in the question fills `city`.

Example:
    >>> weather = {"name": "get_weather", "description": "Current weather for a city.",
    ...            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
    >>> asked = [{"role": "user", "content": "Will it rain in Oslo today?"}]
    >>> choose_function(asked, [weather], "auto")["name"], arguments_for(weather, asked)
    ('get_weather', {'city': 'Oslo'})
    >>> choose_function([{"role": "user", "content": "Tell me about volcanoes."}], [weather], "auto") is None
    True
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from jupyter_api_kit.local.models.context import message_text, stem
from jupyter_api_kit.local.models.errors import ModelInputError
from jupyter_api_kit.local.models.extract import field_words
from jupyter_api_kit.local.models.json_fill import fill
from jupyter_api_kit.local.models.sentences import latest_user
from jupyter_api_kit.local.models.structured import extractor_for

RELATED_PATH = Path(__file__).with_name("related_words.txt")
# Verbs that say what a function does, not what it is about.
GENERIC = frozenset("""get set fetch find lookup look list search compute calc make do run create update delete
read write send check return give provide retrieve call use tool function the for and of to by with a an
current given specified input value data info information result results""".split())
NAME_WEIGHT = 1.0
RELATED_WEIGHT = 0.8
DESCRIPTION_WEIGHT = 0.5
PARAMETER_WEIGHT = 0.4
CALL_ABOVE = 0.75          # the relevance an "auto" message needs for a call
_WORD = re.compile(r"[A-Za-z]+")


@lru_cache(maxsize=1)
def related_groups() -> dict[str, frozenset]:
    """stem -> the stems of its groups in related_words.txt.

    Example:
        >>> "weather" in related_groups()["rain"]
        True
    """
    groups: dict[str, set] = {}
    for line in RELATED_PATH.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        stems = {stem(" " + w) or w for w in line.split()}
        for s in stems:
            groups.setdefault(s, set()).update(stems)
    return {s: frozenset(g) for s, g in groups.items()}


def functions_of(tools) -> list[dict]:
    """The function tools of a request as {"name", "description", "parameters"}, whether written
    the chat way (`{"type": "function", "function": {...}}`) or the Responses way (flat).

    Example:
        >>> functions_of([{"type": "function", "function": {"name": "f"}}, {"type": "function", "name": "g"},
        ...               {"type": "file_search"}])
        [{'name': 'f', 'description': '', 'parameters': {}}, {'name': 'g', 'description': '', 'parameters': {}}]
    """
    out = []
    for tool in tools or ():
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            continue
        spec = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        if isinstance(spec.get("name"), str):
            out.append({"name": spec["name"], "description": str(spec.get("description") or ""),
                        "parameters": spec.get("parameters") if isinstance(spec.get("parameters"), dict) else {}})
    return out


def named_choice(tool_choice) -> str | None:
    """The function name a `tool_choice` object names, or None for "auto"/"none"/"required".

    Example:
        >>> named_choice({"type": "function", "function": {"name": "f"}}), named_choice({"type": "function", "name": "g"})
        ('f', 'g')
    """
    if isinstance(tool_choice, dict):
        spec = tool_choice.get("function") if isinstance(tool_choice.get("function"), dict) else tool_choice
        name = spec.get("name")
        return name if isinstance(name, str) else None
    return None


def answered_since_question(messages) -> list[str]:
    """Names of the functions called and answered after the latest user message, in order.

    Example:
        >>> answered_since_question([{"role": "user", "content": "Hi"},
        ...     {"role": "assistant", "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}]},
        ...     {"role": "tool", "tool_call_id": "c1", "content": "ok"}])
        ['f']
    """
    start = latest_user(messages) + 1
    called: dict[str, str] = {}
    answered: list[str] = []
    for message in messages[start:]:
        for call in message.get("tool_calls") or ():
            function = (call or {}).get("function") or {}
            called[(call or {}).get("id")] = function.get("name", "")
        if message.get("role") in ("tool", "function"):
            name = called.get(message.get("tool_call_id")) or message.get("name") or ""
            if name:
                answered.append(name)
    return answered


def _vocabulary(function: dict) -> dict[str, float]:
    """The stems a function is about, each with how much a match on it counts."""
    weights: dict[str, float] = {}

    def add(words, weight):
        for w in words:
            s = stem(" " + w)
            if s and w not in GENERIC and s not in GENERIC:
                weights[s] = max(weights.get(s, 0.0), weight)

    add(field_words(function["name"]), NAME_WEIGHT)
    add([w.lower() for w in _WORD.findall(function["description"])], DESCRIPTION_WEIGHT)
    props = (function["parameters"] or {}).get("properties")
    for key, sub in (props.items() if isinstance(props, dict) else ()):
        add(field_words(key), PARAMETER_WEIGHT)
        if isinstance(sub, dict) and isinstance(sub.get("enum"), list):
            add([str(v).lower() for v in sub["enum"]], PARAMETER_WEIGHT)
    return weights


def relevance(function: dict, text: str) -> float:
    """How much a message is about a function: each of its words counts the most it matches.

    Example:
        >>> f = {"name": "get_weather", "description": "", "parameters": {}}
        >>> relevance(f, "weather in Rome?"), relevance(f, "Is it raining?"), relevance(f, "Hello")
        (1.0, 0.8, 0.0)
    """
    vocabulary = _vocabulary(function)
    groups = related_groups()
    score = 0.0
    for s in Counter(x for x in (stem(" " + w) for w in _WORD.findall(text)) if x):
        best = vocabulary.get(s, 0.0)
        for other in groups.get(s, ()):
            if other != s and other in vocabulary:
                best = max(best, RELATED_WEIGHT * min(vocabulary[other], NAME_WEIGHT))
        score += best
    return round(score, 6)


def choose_function(messages, functions: list[dict], tool_choice) -> dict | None:
    """The function to call now (one of `functions`), or None to answer in text (see the module
    docstring). A named choice that is not among the functions is a `ModelInputError`."""
    if not functions or tool_choice in (None, "none"):
        return None
    name = named_choice(tool_choice)
    if name is not None:
        found = next((f for f in functions if f["name"] == name), None)
        if found is None:
            raise ModelInputError(f"tool_choice names the function {name!r}, which is not among the tools",
                                  param="tool_choice")
        return found
    last = latest_user(messages)
    asked = message_text(messages[last]) if last >= 0 else ""
    answered = answered_since_question(messages)
    scored = sorted(((relevance(f, asked), -i, f) for i, f in enumerate(functions)), key=lambda s: s[:2],
                    reverse=True)
    if tool_choice == "required":
        fresh = [s for s in scored if s[2]["name"] not in answered]
        return (fresh or scored)[0][2]
    if answered or not scored or scored[0][0] < CALL_ABOVE:
        return None
    return scored[0][2]


def arguments_for(function: dict, messages, answer="") -> dict:
    """Arguments valid for the function's parameter schema, filled from the conversation; `answer`
    (the model's answer, or a function making it) fills free-text fields."""
    parameters = function.get("parameters") or {}
    if not parameters:
        return {}
    value = fill(parameters, extractor_for(messages, answer))
    return value if isinstance(value, dict) else {}
