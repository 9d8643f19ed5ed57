"""ipywidgets panels for the notebook: a chat, stored completions, their metadata, threads and usage.

They load lazily, so `import jupyter_api_kit.widgets` does not import ipywidgets until a panel is used.

Example:
    >>> from jupyter_api_kit.widgets import CompletionsBrowser
    >>> browser = CompletionsBrowser(client=client, page_size=10)    # ipywidgets is imported here
    >>> browser.page_number, len(browser.page_ids) <= 10
    (1, True)
"""

from __future__ import annotations

import importlib

# public name -> module that defines it
_EXPORTS = {
    "ChatPanel": "chat_panel",
    "CompletionsBrowser": "completions_browser",
    "MetadataEditor": "metadata_editor",
    "ThreadsPanel": "threads_panel",
    "UsageDashboard": "usage_dashboard",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jupyter_api_kit.widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(f"jupyter_api_kit.widgets.{module}"), name)


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
