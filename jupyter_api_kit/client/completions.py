"""Legacy completions: continue a prompt (string, list, or token arrays), optionally streamed.

Example:
    >>> c = client.completions.create(model="local-ngram", prompt="The planets", max_tokens=20,
    ...                               logprobs=3, seed=1)
    >>> from jupyter_api_kit import frames
    >>> frames.logprobs(c)[["token", "alternatives"]].head(2).values.tolist()
    [[',', 3], [' Mercury', 3]]
"""

from __future__ import annotations

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.resource import Resource
from jupyter_api_kit.client.streaming import Stream
from jupyter_api_kit.errors import InvalidInputError


class Completions(Resource):
    """Legacy text completions (`/completions`): continue a prompt, optionally streamed, with
    per-token logprobs. Reached as `client.completions` (chat is `client.chat.completions`).

    Example:
        >>> client.completions.create(model="local-ngram", prompt="The planets", logprobs=True)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: logprobs is an integer from 0 to 5 for legacy completions ...
        >>> greedy = client.completions.create(model="local-ngram", prompt="The planets", max_tokens=20,
        ...                                    logprobs=2, temperature=0)
        >>> len(greedy.choices[0].logprobs.top_logprobs[0])     # greedy picks the first of the two
        2
    """

    def create(self, *, model: str, prompt, stream: bool = False, **params) -> APIObject | Stream:
        """Create a text completion. API parameters pass through as keywords: `max_tokens` (default 16),
        `temperature`, `top_p`, `n`, `best_of`, `stop`, `echo`, `logprobs` (0 to 5), `seed`,
        `stream_options`, ... With `stream=True` the result is a `Stream` of `text_completion` chunks.

        Example:
            >>> c = client.completions.create(model="local-ngram", prompt=["Once", "The sun"], n=2)
            >>> [choice.index for choice in c.choices]
            [0, 1, 2, 3]
        """
        if prompt is None or (isinstance(prompt, (list, str)) and len(prompt) == 0 and not isinstance(prompt, str)):
            raise InvalidInputError("prompt must be a string, a list of strings or token arrays", param="prompt")
        logprobs = params.get("logprobs")
        if logprobs is not None and (isinstance(logprobs, bool) or not isinstance(logprobs, int)):
            raise InvalidInputError("logprobs is an integer from 0 to 5 for legacy completions (the number of "
                                    "alternatives per token)", param="logprobs")
        body = {"model": model, "prompt": prompt, **params}
        if stream:
            return self._stream("completions", {**body, "stream": True})
        return self._post("completions", body)
