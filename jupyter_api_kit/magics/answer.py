"""How one `%%chat` answer is got and shown, for Chat Completions and the Responses API alike.

1. With the replay cache on, an identical request recorded before is answered from it (no call, no
   cost, even past the budget); the footer says "replayed".
2. Otherwise the budget is checked (`ChatMagics.budget_usd`), then the server is asked: the answer
   streams into the cell (or arrives whole) and, unless the cache is off, is recorded.
3. The final rendering (Markdown, choices side by side, or the logprobs view when logprobs were asked
   for) carries the answer's provenance in its display metadata; the call goes into the kernel's
   history and meter, and the footer sums it up.

Example (what `%%chat` does for a cell)::

    result = get_answer(CHAT, magics, body, cache="replay")
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from IPython.core.error import UsageError

from jupyter_api_kit.client.replay import ReplayCache, server_key
from jupyter_api_kit.client.streaming import ChunkAssembler
from jupyter_api_kit.magics.display import AnswerFooter, LiveAnswer, final_view
from jupyter_api_kit.magics.history import cost_usd, usage_counts
from jupyter_api_kit.magics.provenance import outputs_with, provenance, server_of


@dataclass(frozen=True)
class API:
    """What differs between the two APIs `%%chat` speaks: where to send, how to stream, where the text is."""

    name: str
    endpoint: str

    def open_stream(self, client, body):
        if self.name == "responses":
            return client.responses.create(**body, stream=True)
        return client.chat.completions.create(**body, stream=True, stream_options={"include_usage": True})

    def read_stream(self, stream, live: LiveAnswer, clock: list):
        """Feed the live display from the stream; the complete answer. `clock` gets the time of the first text."""
        if self.name == "responses":
            for event in stream:
                if event.get("type") == "response.output_text.delta" and event.get("delta"):
                    clock.append(time.perf_counter())
                    live.add(0, event["delta"])
            if stream.response is None:
                raise UsageError("the server ended the stream before the response was complete")
            stream.response.request_id = stream.request_id
            return stream.response
        assembler = ChunkAssembler()
        try:
            for chunk in stream:
                assembler.add(chunk)
                for part in chunk.get("choices") or ():
                    content = (part.get("delta") or {}).get("content")
                    if content:
                        clock.append(time.perf_counter())
                        live.add(part.get("index", 0), content)
        finally:
            live.texts = assembler.texts() or live.texts
        return assembler.completion(request_id=stream.request_id)

    def create(self, client, body):
        return (client.responses if self.name == "responses" else client.chat.completions).create(**body)

    def texts(self, result) -> list[str]:
        if self.name == "responses":
            return [result.get("output_text") or _output_text(result)]
        return [(c.get("message") or {}).get("content") or "" for c in result.get("choices") or []] or [""]

    def asked_for_logprobs(self, body: dict) -> bool:
        return bool(body.get("logprobs")) or "message.output_text.logprobs" in (body.get("include") or ())


CHAT = API("chat.completions", "chat/completions")
RESPONSES = API("responses", "responses")


def _output_text(response) -> str:
    return "".join(part.get("text") or "" for item in response.get("output") or [] if item.get("type") == "message"
                   for part in item.get("content") or [] if part.get("type") == "output_text")


def final_display(api: API, body: dict, result):
    """The final rendering: the logprobs view when they were asked for and came back, else the text."""
    if api.asked_for_logprobs(body):
        from jupyter_api_kit.frames.logprobs_view import logprobs_view

        view = logprobs_view(result)
        if view.tokens:
            return view
        print(repr(view))  # asked for, none came back: one line, not an error
    return final_view(api.texts(result))


def check_budget(connection) -> None:
    """A UsageError once the notebook has spent its budget (`ChatMagics.budget_usd`); nothing is sent."""
    from jupyter_api_kit.frames.readable import money

    budget = connection.budget_usd
    spent = connection.history.spent_usd()
    if budget is not None and spent >= budget:
        raise UsageError(f"budget reached: this notebook has spent {money([spent])[0]} of its "
                         f"{money([budget])[0]} (ChatMagics.budget_usd), so nothing was sent; raise it with "
                         f"%config ChatMagics.budget_usd = ... to go on")


def get_answer(api: API, magics, body: dict, cache: str, source: str = "%%chat"):
    """Answer one request as the module says, show it with its provenance and footer; the result."""
    from IPython.display import display

    connection = magics.connection
    client = connection.client
    server, cell = server_of(client), getattr(magics.shell, "execution_count", None)
    replay = ReplayCache(mode=cache) if cache != "off" else None
    hit = replay.get(server_key(client), api.endpoint, body) if cache == "replay" else None
    if hit is not None:
        result, recorded, replayed = hit.object(), hit.info or _rebuilt(api, body, hit, server), True
        display(final_display(api, body, result), metadata=outputs_with(recorded, cell=cell, replayed=True))
    else:
        check_budget(connection)
        result, timing = _ask(api, magics, client, body)
        cost = cost_usd(result.get("model") or body.get("model"), result.get("usage"), local=server[0] == "local")
        recorded = provenance(api=api.name, body=body, result=result, request_id=result.request_id, server=server,
                              latency_s=timing["latency_s"], cost_usd=cost)
        if timing.get("first_token_s") is not None:
            recorded["first_token_s"] = round(timing["first_token_s"], 3)
        metadata = outputs_with(recorded, cell=cell)
        if timing["live"] is not None:
            timing["live"].finish(view=final_display(api, body, result), metadata=metadata)
        else:
            display(final_display(api, body, result), metadata=metadata)
        if replay is not None:
            replay.put(server_key(client), api.endpoint, body, dict(result), request_id=result.request_id,
                       info=recorded)
        replayed = False
    result.provenance = outputs_with(recorded, cell=cell, replayed=replayed)["jupyter_api_kit"]
    record_call(connection, recorded, result, cell=cell, replayed=replayed, source=source)
    if magics.show_usage:
        cost = recorded.get("cost_usd")
        display(AnswerFooter(result, stored=bool(body.get("store")), cost_usd=cost, replayed=replayed,
                             meter=connection.history.summary(), priced=cost is not None))
    return result


def _rebuilt(api: API, body: dict, hit, server) -> dict:
    """The provenance of an answer recorded without one (by `Client(cache=...)` code): what the answer
    itself says, timed by its own `created` so that every replay shows the same."""
    import datetime as dt

    result = hit.object()
    created = result.get("created") or result.get("created_at") or hit.recorded_at
    cost = cost_usd(result.get("model") or body.get("model"), result.get("usage"), local=server[0] == "local")
    return provenance(api=api.name, body=body, result=result, request_id=result.request_id, server=server,
                      latency_s=None, cost_usd=cost, at=dt.datetime.fromtimestamp(created, dt.timezone.utc))


def _ask(api: API, magics, client, body: dict):
    started = time.perf_counter()
    if not magics.stream:
        result = api.create(client, body)
        return result, {"latency_s": time.perf_counter() - started, "live": None}
    live = LiveAnswer(n=body.get("n") or 1, interval=magics.update_interval)
    stream = api.open_stream(client, body)
    live.start()  # after the request was accepted, so a refused one leaves only its error line
    clock: list = []
    try:
        with stream:
            result = api.read_stream(stream, live, clock)
    except BaseException:
        live.finish()  # on an error or an interrupt, what arrived stays visible, without the cursor
        raise
    return result, {"latency_s": time.perf_counter() - started, "live": live,
                    "first_token_s": clock[0] - started if clock else None}


def record_call(connection, recorded: dict, result, *, cell, replayed: bool, source: str) -> None:
    """Add one answered call to the kernel's history (and so to its meter)."""
    prompt, _cached, completion = usage_counts(result.get("usage"))
    connection.history.add({"time": recorded.get("time"), "cell": cell, "api": recorded.get("api"),
                            "model": result.get("model"), "prompt_tokens": prompt, "completion_tokens": completion,
                            "latency_s": recorded.get("latency_s"), "cost_usd": recorded.get("cost_usd"),
                            "replayed": replayed, "source": source, "request_id": result.request_id,
                            "id": result.get("id")})
