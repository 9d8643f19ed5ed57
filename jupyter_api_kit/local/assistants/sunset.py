"""The Assistants API switched off, as OpenAI switched it off on 2026-08-26: every `/assistants` and
`/threads` request (runs and steps included) is a 404 whose one line names the way that replaced it,
Conversations with Responses. `create_app(..., assistants=False)` serves this router instead of the
Assistants routers, so notebooks and clients can be tried against what the real API answers today.

Example:
    >>> sunset_error("GET", "/v1/threads/thread_1").status
    404
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from jupyter_api_kit.local.core.errors import NotFound

SUNSET_DATE = "2026-08-26"
router = APIRouter(include_in_schema=False)


def sunset_error(method: str, path: str) -> NotFound:
    """The error every Assistants request gets once the API is switched off.

    Example:
        >>> print(sunset_error("POST", "/v1/threads").message)  # doctest: +NORMALIZE_WHITESPACE
        Invalid URL (POST /v1/threads): the Assistants API was shut down on 2026-08-26. Use the Responses API with
        Conversations: POST /v1/conversations, then POST /v1/responses with 'conversation'.
    """
    return NotFound(f"Invalid URL ({method} {path}): the Assistants API was shut down on {SUNSET_DATE}. Use the "
                    "Responses API with Conversations: POST /v1/conversations, then POST /v1/responses with "
                    "'conversation'.")


def _gone(request: Request):
    raise sunset_error(request.method, request.url.path)


for _path in ("/assistants", "/assistants/{rest:path}", "/threads", "/threads/{rest:path}"):
    router.add_api_route(_path, _gone, methods=["GET", "POST", "DELETE"])
