"""What a run sends to the model and whether it calls a function first.

The context is the run's instructions (as a system message), the thread's messages after the
truncation strategy, and the outputs of the run's function calls. With `max_prompt_tokens` the
oldest messages are dropped until the prompt fits; if even the newest does not fit, the run ends
`incomplete` (reason `max_prompt_tokens`).

Function calls are chosen as in chat completions and Responses (`inference.tools`): a `tool_choice`
naming a function calls it, `required` calls the function that best matches the latest user
message, and `auto` calls the function that message is about (its name, description, parameters,
or related words: "Will it rain in Oslo?" is about `get_weather`). Once the run has the outputs of
its calls it answers in text, using them.

Example:
    >>> run = {"tools": [{"type": "function", "function": {"name": "get_weather"}}], "tool_choice": "auto"}
    >>> [f["name"] for f in choose_calls(run, [{"role": "user", "content": "Weather in Oslo?"}], [])]
    ['get_weather']
    >>> choose_calls(run, [{"role": "user", "content": "Tell me a story"}], [])
    []
"""

from __future__ import annotations

from jupyter_api_kit.local.assistants.store import message_text, thread_messages
from jupyter_api_kit.local.inference.tools import function_to_call

class PromptTooLong(Exception):
    """Even the newest message does not fit in `max_prompt_tokens`."""


def count_prompt(model, context: list) -> int:
    """Prompt tokens, counted the way chat completions count them (function calls included)."""
    def text(m):
        calls = "".join(f"{c['function']['name']}({c['function']['arguments']})" for c in m.get("tool_calls") or ())
        return f"{m['role']}: {m['content']}{calls}"

    return model.count_tokens("\n".join(text(m) for m in context))


def tool_outputs(steps: list) -> list[dict]:
    """(name, arguments, output) of every answered function call of the run, in order."""
    out = []
    for step in steps:
        if step["type"] != "tool_calls" or step["status"] != "completed":
            continue
        for call in step["step_details"]["tool_calls"]:
            function = call.get("function") or {}
            if function.get("output") is not None:
                out.append({"id": call["id"], "name": function["name"], "arguments": function["arguments"],
                            "output": function["output"]})
    return out


def build_context(store, run: dict, model) -> list[dict]:
    """The messages the model reads for this run (see the module docstring)."""
    from jupyter_api_kit.local.assistants.store import run_steps

    messages = [m for m in thread_messages(store, run["thread_id"]) if m["status"] != "in_progress"]
    convo = [{"role": m["role"], "content": message_text(m)} for m in messages]
    truncation = run.get("truncation_strategy") or {"type": "auto"}
    if truncation.get("type") == "last_messages" and truncation.get("last_messages"):
        convo = convo[-truncation["last_messages"]:]
    head = [{"role": "system", "content": run["instructions"]}] if run.get("instructions") else []
    # The run's function calls and their outputs come last, as in a chat conversation: the
    # assistant's call, then the tool's answer, the newest information the reply should use.
    tail = []
    for o in tool_outputs(run_steps(store, run["id"])):
        call = {"id": o["id"], "type": "function", "function": {"name": o["name"], "arguments": o["arguments"]}}
        tail += [{"role": "assistant", "content": "", "tool_calls": [call]},
                 {"role": "tool", "content": o["output"], "tool_call_id": o["id"]}]
    limit = run.get("max_prompt_tokens")
    if limit:
        while count_prompt(model, head + convo + tail) > limit:
            if len(convo) <= 1:
                raise PromptTooLong(f"the prompt needs more than {limit} tokens")
            convo = convo[1:]
    return head + convo + tail


def choose_calls(run: dict, context: list, steps: list) -> list[dict]:
    """The functions ({"name", "description", "parameters"}) this run calls now (empty: answer in text)."""
    functions = [t for t in run.get("tools") or [] if t.get("type") == "function"]
    choice = run.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "file_search":
        return []  # the run was told to search, not to call a function
    if not functions or tool_outputs(steps):
        return []
    found = function_to_call(context, functions, run.get("tool_choice") or "auto")
    return [found] if found is not None else []
