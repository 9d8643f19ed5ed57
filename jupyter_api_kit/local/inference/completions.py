"""/v1/completions (legacy): text continuation of a prompt by the local language model.

`prompt` is a string, a list of strings, a token array or a list of token arrays (token ids of the
local model's vocabulary); each prompt gets `n` choices (choice index = prompt index * n + j).
`logprobs: k` gives the legacy shape: `tokens`, `token_logprobs`, `top_logprobs` (the k most likely
tokens plus the chosen one, as {token: logprob}) and `text_offset` (character offsets counted from
the start of the prompt, as the API does). With `echo`, the prompt's own tokens come first, scored
by the same model (the first one from the start-of-text context). `best_of` samples that many
candidates per prompt and keeps the `n` with the highest total log-probability. `frequency_penalty`,
`presence_penalty` and `logit_bias` are range-checked and otherwise not applied by the local model.
"""

from __future__ import annotations

import json

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from jupyter_api_kit.local.core.auth import Principal, authenticate
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.raw_request import type_name
from jupyter_api_kit.local.core.request_models import checked
from jupyter_api_kit.local.inference.request import CompletionBody
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.inference.engine import (
    choice_seed,
    fingerprint,
    resolve_language_model,
)
from jupyter_api_kit.local.models.generation import top_alternatives

router = APIRouter()
DEFAULT_MAX_TOKENS = 16  # the legacy endpoint's documented default
def _decode(model, ids: list, param: str) -> str:
    vocabulary = model.vocabulary
    for i, tid in enumerate(ids):
        if isinstance(tid, bool) or not isinstance(tid, int) or not 0 <= tid < len(vocabulary):
            raise BadRequest(f"Invalid '{param}[{i}]': {tid!r} is not a token id of the local model (0 to "
                             f"{len(vocabulary) - 1}).", param=f"{param}[{i}]")
    return "".join(vocabulary[t] for t in ids)


def parse_prompts(model, value) -> list[str]:
    """The prompts of a request: a string, a list of strings, a token array, or a list of token
    arrays (tokens are `model`'s, decoded to text); anything else is a 400 naming the element.

    Example:
        >>> parse_prompts(None, "Once"), parse_prompts(None, ["Once", "The sun"])
        (['Once'], ['Once', 'The sun'])
        >>> parse_prompts(None, ["Once", 3.5])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid type for 'prompt[1]': expected a string or a token array, ...
    """
    if value is None:
        raise BadRequest("Missing required parameter: 'prompt'.", param="prompt")
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not value:
        raise BadRequest("Invalid 'prompt': expected a string, an array of strings, a token array or an array of "
                         "token arrays.", param="prompt")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return [_decode(model, value, "prompt")]
    prompts = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            prompts.append(item)
        elif isinstance(item, list) and item:
            prompts.append(_decode(model, item, f"prompt[{i}]"))
        else:
            raise BadRequest(f"Invalid type for 'prompt[{i}]': expected a string or a token array, got "
                             f"{type_name(item)}.", param=f"prompt[{i}]")
    return prompts


def _stops(stop) -> list[str]:
    if stop is None:
        return []
    return [s for s in ([stop] if isinstance(stop, str) else stop) if s]


def parse_request(app, body: dict) -> dict:
    """Read a legacy `POST /completions` body (checked against `CompletionBody`) into a dict of
    settings (the model resolved, prompts parsed, documented defaults filled in); options the local
    models cannot honour, such as `suffix`, are 400s rather than silently ignored.

    Example:
        >>> req = parse_request(app, {"model": "local-ngram", "prompt": "Once", "n": 2, "best_of": 3})
        >>> req["prompts"], req["n"], req["best_of"], req["max_tokens"], req["model"].id
        (['Once'], 2, 3, 16, 'local-ngram')
        >>> parse_request(app, {"model": "local-ngram", "prompt": "Once", "n": 3, "best_of": 2})
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'best_of': 2 is less than 'n' (3); best_of must be at least n.
    """
    def given(key, default=None):
        return default if body.get(key) is None else body[key]

    model = resolve_language_model(app, body["model"])
    n = given("n", 1)
    best_of = given("best_of", n)
    if best_of < n:
        raise BadRequest(f"Invalid 'best_of': {best_of} is less than 'n' ({n}); best_of must be at least n.",
                         param="best_of")
    stream = bool(body.get("stream"))
    if stream and best_of > n:
        raise BadRequest("'best_of' greater than 'n' cannot be streamed.", param="best_of")
    options = body.get("stream_options")
    if options is not None and not stream:
        raise BadRequest("'stream_options' is only allowed when 'stream' is true.", param="stream_options")
    if body.get("suffix"):
        raise BadRequest("Invalid 'suffix': the local models continue text and cannot fill in before a suffix.",
                         param="suffix")
    return {"model": model, "prompts": parse_prompts(model, body.get("prompt")), "n": n, "best_of": best_of,
            "echo": bool(body.get("echo")), "logprobs": body.get("logprobs"),
            "max_tokens": given("max_tokens", DEFAULT_MAX_TOKENS),
            "temperature": float(given("temperature", 1.0)), "top_p": float(given("top_p", 1.0)),
            "seed": body.get("seed"), "stop": _stops(body.get("stop")), "stream": stream,
            "include_usage": bool(options and options.get("include_usage"))}


def _tops(token: str, logprob: float, top: list) -> dict:
    """The legacy `top_logprobs` entry: the top alternatives, plus the chosen token if it is not among them."""
    entry = {alt: lp for alt, lp, _ in top}
    entry.setdefault(token, logprob)
    return entry


def prompt_logprobs(model, prompt: str, k: int) -> list[tuple[str, float, dict]]:
    """(token, logprob, top) for each prompt token, scored by the model left to right."""
    cond = model.condition(prompt)
    index = {t: i for i, t in enumerate(cond.tokens)}
    tokens = model.encode(prompt)
    ids = [index.get(t, -2) for t in tokens]
    out = []
    for i, tok in enumerate(tokens):
        p = model.distribution(cond, ids[:i])  # the first token: from the start-of-text context
        j = index.get(tok)
        lp = float(np.log(p[j])) if j is not None else float(np.log(p.min()))
        out.append((tok, lp, _tops(tok, lp, top_alternatives(p, k, cond.tokens))))
    return out


class Candidate:
    """One choice being produced: its text, tokens and logprob entries."""

    def __init__(self, req: dict, prompt: str, index: int, seed):
        self.req, self.prompt, self.index = req, prompt, index
        model, k = req["model"], req["logprobs"]
        self.echoed = prompt_logprobs(model, prompt, k or 0) if req["echo"] and k is not None else []
        self.finish_reason = "length"
        self.tokens: list = []
        self.gen = None
        if req["max_tokens"] > 0:
            self.gen = model.generate(prompt, max_tokens=req["max_tokens"], temperature=req["temperature"],
                                      top_p=req["top_p"], seed=seed, stop=req["stop"], top_logprobs=k or 0)
        self.prompt_tokens = model.count_tokens(prompt)

    def run(self) -> "Candidate":
        """Generate to the end (streaming iterates `self.gen` itself)."""
        if self.gen is not None:
            self.tokens.extend(self.gen)
            self.finish_reason = self.gen.finish_reason
        return self

    @property
    def total_logprob(self) -> float:
        """The sum of the generated tokens' logprobs: how `best_of` ranks candidates.

        Example:
            >>> req = parse_request(app, {"model": "local-ngram", "prompt": "Once", "max_tokens": 4, "logprobs": 1})
            >>> cand = Candidate(req, "Once", 0, seed=1).run()
            >>> cand.total_logprob == sum(cand.logprobs()["token_logprobs"]), cand.total_logprob <= 0
            (True, True)
        """
        return sum(t.logprob for t in self.tokens)

    def logprobs(self, tokens=None, start_offset=None, with_prompt=True) -> dict | None:
        """The legacy `logprobs` object (tokens, token_logprobs, top_logprobs, text_offset) for
        `tokens` (default: all generated so far), with the echoed prompt's entries first when
        `with_prompt`; None when the request asked for no logprobs. Offsets count characters from the
        start of the prompt, or from `start_offset` (streamed chunks continue where the last one ended).

        Example:
            >>> req = parse_request(app, {"model": "local-ngram", "prompt": "Once", "max_tokens": 4, "logprobs": 1})
            >>> cand = Candidate(req, "Once", 0, seed=1).run()
            >>> lp = cand.logprobs()
            >>> len(lp["tokens"]) == len(cand.tokens), all(offset >= len("Once") for offset in lp["text_offset"])
            (True, True)
        """
        if self.req["logprobs"] is None:
            return None
        entries = list(self.echoed) if with_prompt else []
        entries += [(t.text, t.logprob, _tops(t.text, t.logprob, t.top)) for t in (self.tokens if tokens is None
                                                                                else tokens)]
        offset = 0 if with_prompt and self.req["echo"] else len(self.prompt)
        if start_offset is not None:
            offset = start_offset
        offsets = []
        for tok, _, _ in entries:
            offsets.append(offset)
            offset += len(tok)
        return {"tokens": [e[0] for e in entries], "token_logprobs": [e[1] for e in entries],
                "top_logprobs": [e[2] for e in entries], "text_offset": offsets}

    def choice(self, index: int) -> dict:
        """The finished candidate as choice number `index` of the answer (the prompt prepended to the
        text when `echo`).

        Example:
            >>> req = parse_request(app, {"model": "local-ngram", "prompt": "Once", "max_tokens": 4, "logprobs": 1})
            >>> cand = Candidate(req, "Once", 0, seed=1).run()
            >>> choice = cand.choice(0)
            >>> choice["text"] == "".join(cand.logprobs()["tokens"]), choice["finish_reason"] in ("stop", "length")
            (True, True)
        """
        text = "".join(t.text for t in self.tokens)
        return {"text": (self.prompt + text) if self.req["echo"] else text, "index": index,
                "logprobs": self.logprobs(), "finish_reason": self.finish_reason}


def _usage(prompt_tokens: int, completion_tokens: int) -> dict:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def _record(app, req, principal, usage) -> None:
    record(app.state.store, "completions", model=req["model"].id, principal=principal,
           input_tokens=usage["prompt_tokens"], output_tokens=usage["completion_tokens"])


@router.post("/completions")
def create_completion(request: Request, body: dict = Depends(checked(CompletionBody)),
                      principal: Principal = Depends(authenticate)):
    app = request.app
    if app.state.gateway and app.state.gateway.serves(body.get("model")):
        return app.state.gateway.completion(app, body, principal)
    req = parse_request(app, body)
    model, n = req["model"], req["n"]
    head = {"id": new_id("cmpl-"), "object": "text_completion", "created": now(), "model": model.id,
            "system_fingerprint": fingerprint(model)}
    prompt_tokens = sum(model.count_tokens(p) for p in req["prompts"])
    if req["stream"]:
        return StreamingResponse(_stream(app, req, head, prompt_tokens, principal), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    choices, completion_tokens = [], 0
    for pi, prompt in enumerate(req["prompts"]):
        candidates = [Candidate(req, prompt, j, choice_seed(req["seed"], j)).run() for j in range(req["best_of"])]
        completion_tokens += sum(len(c.tokens) for c in candidates)
        if req["best_of"] > n:
            candidates = sorted(candidates, key=lambda c: -c.total_logprob)[:n]
        choices += [c.choice(pi * n + j) for j, c in enumerate(candidates)]
    usage = _usage(prompt_tokens, completion_tokens)
    _record(app, req, principal, usage)
    return {**head, "choices": choices, "usage": usage}


def _chunk(head: dict, choices: list, usage=None) -> str:
    body = {**head, "choices": choices}
    if usage is not None:
        body["usage"] = usage
    return f"data: {json.dumps(body)}\n\n"


def _stream(app, req, head, prompt_tokens, principal):
    completion_tokens = 0
    n = req["n"]
    for pi, prompt in enumerate(req["prompts"]):
        for j in range(n):
            index = pi * n + j
            cand = Candidate(req, prompt, j, choice_seed(req["seed"], j))
            if req["echo"]:
                echo_lp = cand.logprobs(tokens=[], start_offset=0) if req["logprobs"] is not None else None
                yield _chunk(head, [{"text": prompt, "index": index, "logprobs": echo_lp, "finish_reason": None}])
            offset = len(prompt)
            for tok in cand.gen if cand.gen is not None else ():
                cand.tokens.append(tok)
                lp = (cand.logprobs(tokens=[tok], start_offset=offset, with_prompt=False)
                      if req["logprobs"] is not None else None)
                offset += len(tok.text)
                yield _chunk(head, [{"text": tok.text, "index": index, "logprobs": lp, "finish_reason": None}])
            finish = cand.gen.finish_reason if cand.gen is not None else "length"
            completion_tokens += len(cand.tokens)
            yield _chunk(head, [{"text": "", "index": index, "logprobs": None, "finish_reason": finish}])
    usage = _usage(prompt_tokens, completion_tokens)
    _record(app, req, principal, usage)
    if req["include_usage"]:
        yield _chunk(head, [], usage)
    yield "data: [DONE]\n\n"

