"""One response being made: tools run (`file_search` over vector stores, forced `function` calls), the
local model's answer generated, and every step reported as the documented stream events.

`Run.events()` is the one code path: a plain request drains it, a streamed one sends each event, a
background one drains it on a worker thread (`responses.background`). It checks the response's cancel
flag between tokens.
"""

from __future__ import annotations

import json
import threading

from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.inference.engine import logprob_entry
from jupyter_api_kit.local.inference.tools import call_arguments, function_to_call, json_text
from jupyter_api_kit.local.responses.engine import ResponseRequest, count_input_tokens, present
from jupyter_api_kit.local.responses.request import public_item


class Run:
    """One response being made. `events()` yields (type, payload) pairs and leaves `response` final."""

    def __init__(self, app, req: ResponseRequest, response: dict, cancel: threading.Event | None = None):
        self.app, self.req, self.response = app, req, response
        self.cancel = cancel or threading.Event()
        self.output_tokens = 0
        self.incomplete = False

    def _event(self, kind: str, **payload) -> tuple[str, dict]:
        return kind, {"type": kind, **payload}

    def _snapshot(self) -> dict:
        return present(json.loads(json.dumps(self.response)), self.req.include)

    def _function(self):
        """The function this response calls (see `inference.tools`), or None to search and answer."""
        choice, functions = self.req.tool_choice, [t for t in self.req.tools if t["type"] == "function"]
        if not functions or (isinstance(choice, dict) and choice.get("type") != "function"):
            return None
        return function_to_call(self.req.messages, functions, choice)

    def _searches(self) -> list[dict]:
        choice = self.req.tool_choice
        if choice == "none" or (isinstance(choice, dict) and choice.get("type") == "function"):
            return []
        return [t for t in self.req.tools if t["type"] == "file_search"]

    def events(self):
        """Do the work, yielding each stream event as it happens."""
        yield self._event("response.created", response=self._snapshot())
        if self.response["status"] == "queued":
            yield self._event("response.queued", response=self._snapshot())
        self.response["status"] = "in_progress"
        yield self._event("response.in_progress", response=self._snapshot())
        messages = list(self.req.messages)
        function = self._function()
        if function is not None:
            yield from self._function_call(function)
        else:
            for tool in self._searches():
                results = yield from self._file_search(tool, messages)
                if results:
                    messages.append({"role": "tool", "content": "\n\n".join(r["text"] for r in results)})
            yield from self._message(messages)
        yield from self._finish(messages)

    def _add(self, item: dict):
        self.response["output"].append(item)
        index = len(self.response["output"]) - 1
        return index, self._event("response.output_item.added", output_index=index, item=public_item(item))

    def _function_call(self, tool: dict):
        req = self.req
        arguments = call_arguments(req.model, tool, req.messages, temperature=req.temperature, top_p=req.top_p)
        item = {"id": new_id("fc_"), "type": "function_call", "status": "in_progress", "arguments": "",
                "call_id": new_id("call_"), "name": tool["name"]}
        index, added = self._add(item)
        yield added
        yield self._event("response.function_call_arguments.delta", item_id=item["id"], output_index=index,
                          delta=arguments)
        item.update(arguments=arguments, status="completed")
        self.output_tokens += self.req.model.count_tokens(tool["name"] + arguments)
        yield self._event("response.function_call_arguments.done", item_id=item["id"], output_index=index,
                          name=tool["name"], arguments=arguments)
        yield self._event("response.output_item.done", output_index=index, item=public_item(item))

    def _file_search(self, tool: dict, messages: list[dict]):
        from jupyter_api_kit.local.vector_stores.embedding import embed_query
        from jupyter_api_kit.local.vector_stores.search import rewrite_query, search
        from jupyter_api_kit.local.vector_stores.store import store_row

        store = self.app.state.store
        for vsid in tool["vector_store_ids"]:
            store_row(store, vsid)
        question = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        query = rewrite_query(question) if question.strip() else ""
        item = {"id": new_id("fs_"), "type": "file_search_call", "status": "in_progress", "queries": [query],
                "results": None}
        index, added = self._add(item)
        yield added
        for step in ("in_progress", "searching"):
            yield self._event(f"response.file_search_call.{step}", output_index=index, item_id=item["id"])
        ranking = tool.get("ranking_options") or {}
        found = search(store, tool["vector_store_ids"], [query], max_num_results=tool.get("max_num_results") or 10,
                       filters=tool.get("filters"), ranker=ranking.get("ranker", "auto"),
                       score_threshold=float(ranking.get("score_threshold") or 0.0),
                       embed=embed_query(self.app)) if query else []
        results = [{"file_id": r["file_id"], "filename": r["filename"], "score": r["score"],
                    "attributes": r["attributes"], "text": r["content"][0]["text"]} for r in found]
        item.update(status="completed", results=results)
        yield self._event("response.file_search_call.completed", output_index=index, item_id=item["id"])
        yield self._event("response.output_item.done", output_index=index,
                          item=present({"output": [public_item(item)]}, self.req.include)["output"][0])
        return results

    def _message(self, messages: list[dict]):
        req = self.req
        item = {"id": new_id("msg_"), "type": "message", "role": "assistant", "status": "in_progress", "content": []}
        index, added = self._add(item)
        yield added
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        item["content"].append(part)
        yield self._event("response.content_part.added", item_id=item["id"], output_index=index, content_index=0,
                          part=dict(part))
        want_logprobs = "message.output_text.logprobs" in req.include
        plain = req.text_format["type"] == "text"
        gen = req.model.generate(messages, max_tokens=req.max_output_tokens if plain else None,
                                 temperature=req.temperature, top_p=req.top_p,
                                 top_logprobs=req.top_logprobs if plain else 0)
        for tok in gen:
            part["text"] += tok.text
            if plain:  # a JSON answer is made whole from this one, which is never shown
                self.output_tokens += 1
                entry = [logprob_entry(tok)] if want_logprobs and tok.logprob is not None else []  # upstreams may give none
                part["logprobs"] += entry
                yield self._event("response.output_text.delta", item_id=item["id"], output_index=index,
                                  content_index=0, delta=tok.text, logprobs=entry)
            if self.cancel.is_set():
                return
        self.incomplete = gen.finish_reason == "length" and req.max_output_tokens is not None
        if not plain:  # JSON modes: the whole object, in one delta, counted as the tokens it has
            out = json_text(req.model, messages, part["text"], req.text_format, req.max_output_tokens)
            part["text"], self.incomplete = out.text, out.finish_reason == "length"
            self.output_tokens += out.tokens
            yield self._event("response.output_text.delta", item_id=item["id"], output_index=index,
                              content_index=0, delta=part["text"], logprobs=[])
        self._cite(part)
        item["status"] = "incomplete" if self.incomplete else "completed"
        yield self._event("response.output_text.done", item_id=item["id"], output_index=index, content_index=0,
                          text=part["text"], logprobs=part["logprobs"])
        yield self._event("response.content_part.done", item_id=item["id"], output_index=index, content_index=0,
                          part=dict(part))
        yield self._event("response.output_item.done", output_index=index, item=public_item(item))

    def _cite(self, part: dict) -> None:
        """A file_citation for each file the answer drew on (the files file_search returned)."""
        seen = []
        for item in self.response["output"]:
            for r in (item.get("results") or []) if item.get("type") == "file_search_call" else []:
                if r["file_id"] not in [s[0] for s in seen]:
                    seen.append((r["file_id"], r["filename"]))
        part["annotations"] = [{"type": "file_citation", "file_id": fid, "filename": name, "index": len(part["text"])}
                               for fid, name in seen]

    def _finish(self, messages: list[dict]):
        response, req = self.response, self.req
        if self.cancel.is_set():
            response["status"] = "cancelled"
            return
        input_tokens = count_input_tokens(req.model, messages)
        cache = self.app.state.prompt_cache
        cached = cache.cached_tokens(req.model, req.messages) if cache is not None else 0
        if cache is not None:
            cache.remember(req.model, req.messages)
        response["usage"] = {"input_tokens": input_tokens,
                             "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
                             "output_tokens": self.output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                             "total_tokens": input_tokens + self.output_tokens}
        response["output_text"] = "".join(p["text"] for item in response["output"] if item["type"] == "message"
                                          for p in item["content"])
        response["completed_at"] = now()
        if self.incomplete:
            response["status"] = "incomplete"
            response["incomplete_details"] = {"reason": "max_output_tokens"}
            yield self._event("response.incomplete", response=self._snapshot())
        else:
            response["status"] = "completed"
            yield self._event("response.completed", response=self._snapshot())
