"""The one error the statistical models raise for bad input.

The models know nothing of HTTP: the server turns a `ModelInputError` into a 400 answer naming
`param`. It is a `ValueError`, so plain Python callers can catch it as such.

Example:
    >>> err = ModelInputError("temperature must be between 0 and 2", param="temperature")
    >>> isinstance(err, ValueError), err.param, str(err)
    (True, 'temperature', 'temperature must be between 0 and 2')
"""

from __future__ import annotations


class ModelInputError(ValueError):
    """A value a model was given is outside what it accepts; `param` names it (or None)."""

    def __init__(self, message: str, *, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
