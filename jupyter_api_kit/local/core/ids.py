"""Ids and times in the API's style: `chatcmpl-...`, `msg_...`; whole Unix seconds.

Example:
    >>> new_id("msg_").startswith("msg_"), now() > 1_700_000_000
    (True, True)
"""

from __future__ import annotations

import time
import uuid


def now() -> int:
    """The current time in whole Unix seconds, as the API's `created`/`created_at` fields use.

    Example:
        >>> now() > 1_700_000_000
        True
    """
    return int(time.time())


def new_id(prefix: str) -> str:
    """A fresh id in the API's style, e.g. `chatcmpl-...`, `msg_...`.

    Example:
        >>> new_id("chatcmpl-").startswith("chatcmpl-")
        True
    """
    return f"{prefix}{uuid.uuid4().hex[:24]}"
