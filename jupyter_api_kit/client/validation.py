"""Checks done before anything is sent, so a mistake costs no request and loses nothing.

Example:
    >>> check_metadata({"topic": "demo"})
    {'topic': 'demo'}
    >>> check_metadata({"k" * 65: "v"})
    Traceback (most recent call last):
    ...
    jupyter_api_kit.errors.InvalidInputError: metadata key 'kkkkkkkkkkkkkkkkkkkk...' is 65 characters; keys are at most 64 characters
"""

from __future__ import annotations

from collections.abc import Mapping

from jupyter_api_kit.errors import InvalidInputError
from jupyter_api_kit.spec import MAX_METADATA_KEY, MAX_METADATA_PAIRS, MAX_METADATA_VALUE


def _short(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def metadata_problem(metadata) -> str | None:
    """The first reason `metadata` breaks the API's limits, as one line, or None when it is valid.

    The widgets use this to show the problem inline as the user types.
    """
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        return f"metadata must be a mapping of strings to strings, not {type(metadata).__name__}"
    if len(metadata) > MAX_METADATA_PAIRS:
        return f"metadata has {len(metadata)} pairs; at most {MAX_METADATA_PAIRS} are allowed"
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            return f"metadata key {key!r} must be a non-empty string"
        if len(key) > MAX_METADATA_KEY:
            return (f"metadata key '{_short(key)}' is {len(key)} characters; "
                    f"keys are at most {MAX_METADATA_KEY} characters")
        if not isinstance(value, str):
            return (f"metadata value for key '{_short(key)}' is {type(value).__name__}; "
                    f"values must be strings")
        if len(value) > MAX_METADATA_VALUE:
            return (f"metadata value for key '{_short(key)}' is {len(value)} characters; "
                    f"values are at most {MAX_METADATA_VALUE} characters")
    return None


def check_metadata(metadata):
    """Return `metadata` unchanged if it meets the API's limits, else raise `InvalidInputError`."""
    problem = metadata_problem(metadata)
    if problem:
        raise InvalidInputError(problem, param="metadata")
    return metadata


def drop_unset(params: Mapping) -> dict:
    """Remove keys whose value is None, so only what the caller chose is sent."""
    return {k: v for k, v in params.items() if v is not None}
