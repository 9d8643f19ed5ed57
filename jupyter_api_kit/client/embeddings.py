"""Embeddings: create, and the same as a NumPy array or a DataFrame.

Example:
    >>> r = client.embeddings.create(model="local-embed", input=["planets", "moons"])
    >>> client.embeddings.array(["planets", "moons"], model="local-embed").shape
    (2, 512)
"""

from __future__ import annotations

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.resource import Resource
from jupyter_api_kit.errors import InvalidInputError


class Embeddings(Resource):
    """Embeddings (`/embeddings`): vectors for texts or token arrays, as the API's objects, a NumPy
    array or a DataFrame. Reached as `client.embeddings`.

    Example:
        >>> client.embeddings.array(["planets", "moons"], model="local-embed").shape
        (2, 512)
    """

    def create(self, *, input, model: str, dimensions: int | None = None, encoding_format: str | None = None,
               user: str | None = None) -> APIObject:
        """Embed a string, a list of strings, a token array or a list of token arrays.

        Example:
            >>> r = client.embeddings.create(model="local-embed", input="hello", dimensions=64)
            >>> len(r.data[0].embedding)
            64
        """
        if input is None or input == "" or input == []:
            raise InvalidInputError("input must be a non-empty string, list of strings or token arrays",
                                    param="input")
        if dimensions is not None and (isinstance(dimensions, bool) or not isinstance(dimensions, int)
                                       or dimensions < 1):
            raise InvalidInputError(f"dimensions must be a positive integer, got {dimensions!r}", param="dimensions")
        return self._post("embeddings", {"input": input, "model": model, "dimensions": dimensions,
                                         "encoding_format": encoding_format, "user": user})

    def array(self, input, *, model: str, dimensions: int | None = None):
        """The embeddings as an (n, dimensions) float32 NumPy array, in input order."""
        from jupyter_api_kit.frames.embeddings import embeddings_array

        return embeddings_array(self.create(input=input, model=model, dimensions=dimensions,
                                            encoding_format="base64"))

    def frame(self, input, *, model: str, dimensions: int | None = None):
        """The embeddings as a DataFrame: one row per input (`text`, then `e0`, `e1`, ...)."""
        from jupyter_api_kit.frames.embeddings import embeddings_frame

        texts = [input] if isinstance(input, str) else list(input)
        return embeddings_frame(self.create(input=input, model=model, dimensions=dimensions), texts=texts)
