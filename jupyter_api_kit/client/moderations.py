"""Moderations: classify one text or several.

Example:
    >>> r = client.moderations.create(input=["hello", "I will hurt you"])
    >>> [x.flagged for x in r.results]
    [False, True]
"""

from __future__ import annotations

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.resource import Resource
from jupyter_api_kit.errors import InvalidInputError


class Moderations(Resource):
    """Moderations (`/moderations`): category flags and scores for texts, as the API's object or a
    DataFrame. Reached as `client.moderations`.

    Example:
        >>> client.moderations.frame(["hello", "I will hurt you"])[["text", "flagged"]].values.tolist()
        [['hello', False], ['I will hurt you', True]]
    """

    def create(self, *, input, model: str | None = None) -> APIObject:
        """Category flags and scores for each input (a string, a list of strings, or text parts).

        Example:
            >>> client.moderations.create(input="hello", model="local-moderation").results[0].flagged
            False
        """
        if input is None or input == []:
            raise InvalidInputError("input must be a string or a non-empty list", param="input")
        return self._post("moderations", {"input": input, "model": model})

    def frame(self, input, *, model: str | None = None):
        """Category scores as a DataFrame, one row per input (see `frames.moderation_scores`)."""
        from jupyter_api_kit.frames.embeddings import moderation_scores

        texts = [input] if isinstance(input, str) else None
        if isinstance(input, list) and all(isinstance(t, str) for t in input):
            texts = input
        return moderation_scores(self.create(input=input, model=model), texts=texts)
