"""What the magics share: the connection (one client for every magic), option helpers,
`{name}` interpolation and the one-line display of errors.

Example:
    >>> interpolate("Tell me about {topic} in {{braces}}", {"topic": "planets"})
    'Tell me about planets in {braces}'
    >>> parse_pairs(["topic=demo", "level=2"])
    {'topic': 'demo', 'level': '2'}
    >>> range_problem("temperature", 3.0, 0, 2)
    'temperature must be between 0 and 2, got 3.0'
"""

from __future__ import annotations

import re
import shlex
import string
from contextlib import contextmanager
from urllib.parse import urlsplit

from IPython.core.error import UsageError

from jupyter_api_kit.config import Settings, mask_secret
from jupyter_api_kit.errors import APIError, InvalidInputError

LOCAL_MODEL = "local-ngram"
OPENAI_MODEL = "gpt-4o-mini"


class Connection:
    """The client every magic of one shell uses.

    Settings are re-read on each use, so setting OPENAI_API_KEY or OPENAI_BASE_URL in a running
    notebook (or `%config ChatMagics.base_url = ...`) takes effect on the next cell; the client, and
    with it the HTTP connection pool, is rebuilt only when the settings really changed.

    Example:
        >>> conn = Connection(base_url="http://127.0.0.1:8765/v1")
        >>> conn.client.base_url
        'http://127.0.0.1:8765/v1'
    """

    def __init__(self, base_url: str | None = None):
        from jupyter_api_kit.magics.history import CallLog

        self.base_url = base_url or None
        #: id of the latest completion %%chat made (`%completions tag last ...`)
        self.last_completion_id: str | None = None
        #: this kernel's answered calls (`%chat history`) and the meter the budget reads
        self.history = CallLog()
        #: dollars the notebook may spend (`ChatMagics.budget_usd`), None for no limit
        self.budget_usd: float | None = None
        self._client = None
        self._settings: Settings | None = None

    @property
    def client(self):
        """The client for the current settings: made on first use, and made again (closing the old one)
        only when the environment's settings have changed since.

        Example:
            >>> conn = Connection(base_url="http://127.0.0.1:8765/v1")
            >>> conn.client is conn.client, conn.client.base_url
            (True, 'http://127.0.0.1:8765/v1')
        """
        settings = Settings.resolve(base_url=self.base_url)
        if self._client is None or settings != self._settings:
            from jupyter_api_kit.client import Client

            if self._client is not None:
                self._client.close()
            self._client = Client(api_key=settings.api_key, base_url=settings.base_url,
                                  organization=settings.organization, project=settings.project,
                                  admin_key=settings.admin_key)
            self._settings = settings
        return self._client

    def default_model(self) -> str:
        """`gpt-4o-mini` on the real API; `local-ngram` anywhere else (the local server answers any
        id with a local model, and another compatible server needs `-m` or `%config` anyway)."""
        host = urlsplit(self.client.base_url).hostname or ""
        return OPENAI_MODEL if host == "api.openai.com" else LOCAL_MODEL

    def status_line(self) -> str:
        """One line saying where the magics send requests, and how to change it. Never the key."""
        client = self.client
        if client.uses_local_server:
            return (f"jupyter_api_kit: no OPENAI_API_KEY set, so %%chat and %completions use the embedded "
                    f"local server at {client.base_url} (offline, model {LOCAL_MODEL}). To use the real API "
                    f"set OPENAI_API_KEY; for another OpenAI-compatible server set OPENAI_BASE_URL.")
        key = "API key set" if mask_secret(client.settings.api_key) == "set" else "no API key"
        return (f"jupyter_api_kit: %%chat and %completions use {shown_url(client.base_url)} ({key}, "
                f"default model {self.default_model()}).")


def register_magics(ipython, cls, connection: Connection):
    """Register one magics class on a shell, sharing `connection`: a stale instance from an earlier load
    is replaced (so `%config` finds one), and a setting it refused before is dropped with a note.

    Example:
        >>> from IPython.core.interactiveshell import InteractiveShell
        >>> from jupyter_api_kit.magics.usage import UsageMagics
        >>> shell = InteractiveShell.instance()
        >>> magics = register_magics(shell, UsageMagics, Connection())
        >>> shell.magics_manager.registry["UsageMagics"] is magics
        True
        >>> unregister_magics(shell, ["UsageMagics"])
        ['%usage']
    """
    name = cls.__name__
    ipython.configurables[:] = [c for c in ipython.configurables if type(c).__name__ != name]
    drop_refused_settings(ipython, cls)
    instance = cls(ipython, connection=connection)
    ipython.register_magics(instance)
    return instance


def unregister_magics(ipython, names) -> list[str]:
    """Remove the magics of the named classes from a shell, and their settings objects; returns the magic
    names removed. Magics another extension has since registered under the same name are kept.

    Example:
        >>> from IPython.core.interactiveshell import InteractiveShell
        >>> unregister_magics(InteractiveShell.instance(), ["NoSuchMagics"])
        []
    """
    manager, removed = ipython.magics_manager, []
    for name in names:
        instance = manager.registry.pop(name, None)
        ipython.configurables[:] = [c for c in ipython.configurables if type(c).__name__ != name]
        if instance is None:
            continue
        for kind, table in instance.magics.items():
            for magic in table:
                if getattr(manager.magics[kind].get(magic), "__self__", None) is instance:
                    del manager.magics[kind][magic]
                    removed.append(("%%" if kind == "cell" else "%") + magic)
    return removed


def drop_refused_settings(ipython, cls) -> None:
    """Drop a `%config` value that the class refuses, with a one-line note.

    `%config` merges a value into the shell's config before the trait refuses it, so a value that was
    refused once would make every later load fail.
    """
    from traitlets import TraitError
    from traitlets.config import Config

    section = ipython.config[cls.__name__] if cls.__name__ in ipython.config else {}
    for key, value in list(section.items()):
        try:
            cls(config=Config({cls.__name__: {key: value}}))
        except TraitError as err:
            print(f"jupyter_api_kit: ignoring the setting {cls.__name__}.{key}: {err}")
            del section[key]


def shown_url(url: str) -> str:
    """A URL fit to print: credentials written into it (`https://user:secret@host`) are hidden.

    Example:
        >>> shown_url("https://me:sk-123@example.org/v1"), shown_url("http://127.0.0.1:8765/v1")
        ('https://***@example.org/v1', 'http://127.0.0.1:8765/v1')
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


class APIErrorLine(Exception):
    """An API error as the notebook shows it: one line with the request id, no traceback.

    IPython prints what `_render_traceback_` returns instead of a traceback, and the cell still
    counts as failed, so "Run All" stops there rather than carrying on with a broken conversation.
    """

    def __init__(self, error: APIError):
        super().__init__(error.one_line())
        self.error = error

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


@contextmanager
def shown_errors():
    """Turn the toolkit's errors into what a notebook user should see.

    Example:
        >>> with shown_errors():
        ...     raise InvalidInputError("metadata key 'x' is too long")
        Traceback (most recent call last):
        ...
        IPython.core.error.UsageError: metadata key 'x' is too long
    """
    try:
        yield
    except InvalidInputError as err:
        raise UsageError(str(err)) from None
    except APIError as err:
        raise APIErrorLine(err) from None


def parse_options(magic, line: str):
    """Parse a magic's line with its `magic_arguments` parser, splitting it like a POSIX shell.

    IPython's own `parse_argstring` splits without POSIX rules, so `-s "Be brief."` would keep its
    quotes; here quotes group words and are removed. Mistakes are UsageErrors.

    Example:
        >>> from IPython.core.magic_arguments import argument, magic_arguments
        >>> @magic_arguments()
        ... @argument("-s")
        ... def demo(line): ...
        >>> parse_options(demo, '-s "Be brief."').s
        'Be brief.'
    """
    try:
        argv = shlex.split(line)
    except ValueError as err:
        raise UsageError(f"could not read the options {line.strip()!r}: {err}") from None
    return magic.parser.parse_args(argv)


def parse_pairs(items, option: str = "--metadata") -> dict[str, str]:
    """`["k=v", ...]` as a dict (the value may contain `=`); a malformed item is a UsageError.

    Example:
        >>> parse_pairs(["url=http://x?a=b"])
        {'url': 'http://x?a=b'}
    """
    pairs: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} expects KEY=VALUE, got {item!r}")
        pairs[key.strip()] = value
    return pairs


def checked_metadata(metadata: dict) -> dict:
    """`metadata` if it fits the API's limits, else a UsageError naming the key and the limit."""
    from jupyter_api_kit.client.validation import metadata_problem

    problem = metadata_problem(metadata)
    if problem:
        raise UsageError(problem)
    return metadata


def range_problem(name: str, value, low, high=None) -> str | None:
    """Why `value` is outside [low, high] (high None: no upper bound), as one line, or None.

    Example:
        >>> range_problem("n", 0, 1) , range_problem("top_p", 0.5, 0, 1)
        ('n must be at least 1, got 0', None)
    """
    if value is None:
        return None
    if high is None:
        return None if value >= low else f"{name} must be at least {low}, got {value}"
    return None if low <= value <= high else f"{name} must be between {low} and {high}, got {value}"


def check_ranges(checks) -> None:
    """Raise a UsageError for the first `(name, value, low, high)` out of range."""
    for check in checks:
        problem = range_problem(*check)
        if problem:
            raise UsageError(problem)


# `{{` and `}}` are escapes; `{name}`, `{name.attr}`, `{name[0]}`, `{name!r}`, `{name:.2f}` interpolate.
# Anything else in braces (JSON, code) is left exactly as written, so prompts about code just work.
_FIELD = re.compile(r"\{\{|\}\}|\{([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*|\[\w+\])*)(![rsa])?(:[^{}]*)?\}")


def interpolate(text: str, namespace) -> str:
    """Fill `{name}` from the notebook's variables; an unknown name is a UsageError naming it.

    Example:
        >>> interpolate("{n:03d} {xs[1]} {d!r}", {"n": 7, "xs": [1, 2], "d": "a"})
        "007 2 'a'"
        >>> interpolate('JSON stays: {"a": 1}', {})
        'JSON stays: {"a": 1}'
    """
    formatter = string.Formatter()

    def replace(match: re.Match) -> str:
        whole = match.group(0)
        if whole in ("{{", "}}"):
            return whole[0]
        name, chain, conversion, spec = match.groups()
        if name not in namespace:
            raise UsageError(f"{{{name}}} in the cell: no variable named '{name}' in the notebook "
                             f"(write {{{{ and }}}} for literal braces)")
        try:
            return formatter.format("{0" + chain + (conversion or "") + (spec or "") + "}", namespace[name])
        except Exception as err:  # bad attribute, index or format spec: the user's to fix
            raise UsageError(f"{whole} in the cell: {type(err).__name__}: {err}") from None

    return _FIELD.sub(replace, text)


def check_output_name(name: str | None) -> str | None:
    """`-o NAME` must be a variable name; checked before any request is sent."""
    if name is not None and not name.isidentifier():
        raise UsageError(f"-o expects a Python variable name, got {name!r}")
    return name
