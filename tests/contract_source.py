"""Where the OpenAI API description (the contract the suite checks exchanges against) comes from.

The description is OpenAI's, not part of this repository. :func:`find_spec` looks, in this order, at

1. ``JUPYTER_API_KIT_OPENAPI``: a path to the YAML file (a setting that names no file is an error);
2. ``../shared/openapi/openapi.yaml`` beside the repository (or beside a folder above it, for a worktree
   kept in a subfolder);
3. the copy kept in the user cache directory (``JUPYTER_API_KIT_CACHE_DIR`` moves it);
4. a download of ``openapi.yaml`` from the public openai/openai-openapi repository at the pinned commit
   (``JUPYTER_API_KIT_OPENAPI_URL`` replaces the URL up to the file name), kept in the cache for next time.

A cached or downloaded file is used only if its sha256 is the pinned one; any other is refused with one
line naming both hashes. When nothing works, :class:`SpecUnavailable` says what was tried and names
``JUPYTER_API_KIT_OPENAPI``: tests that need the description are then skipped, and the exchanges of the
others go unchecked (:class:`UncheckedRecorder`), as the pytest summary reports.

Example:
    >>> download_url("http://127.0.0.1:9/pinned/")
    'http://127.0.0.1:9/pinned/openapi.yaml'
    >>> len(PINNED_SHA256), PINNED_COMMIT[:7]
    (64, 'f85dbe2')
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from jupyter_api_kit.config import cache_dir

SPEC_ENV_VAR = "JUPYTER_API_KIT_OPENAPI"
URL_ENV_VAR = "JUPYTER_API_KIT_OPENAPI_URL"
PINNED_COMMIT = "f85dbe223d40e1a31cba812ab2d755c7e98a92a3"
PINNED_SHA256 = "db5d7478feae10b4d331834c60d9765a8aa042e38419f9b1694288c11aa8ebc8"
DEFAULT_URL = f"https://raw.githubusercontent.com/openai/openai-openapi/{PINNED_COMMIT}"
REPO = Path(__file__).resolve().parents[1]
BESIDE = Path("shared") / "openapi" / "openapi.yaml"
#: seconds to wait for the server to answer (and between two chunks of the 3 MB file)
TIMEOUT = 30

# One download attempt per process and URL: a machine that is offline stays offline for the whole run.
_failed_downloads: dict[tuple[str, Path], "SpecUnavailable"] = {}


class SpecUnavailable(FileNotFoundError):
    """No usable copy of the description could be found or fetched."""


class SpecRefused(SpecUnavailable):
    """A copy was found or fetched, but its sha256 is not the pinned description's."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cached_copy() -> Path:
    """Where the downloaded description is kept: one file per pinned commit."""
    return cache_dir() / "openapi" / PINNED_COMMIT / "openapi.yaml"


def download_url(base: str | None = None) -> str:
    return (base or os.environ.get(URL_ENV_VAR) or DEFAULT_URL).rstrip("/") + "/openapi.yaml"


def download(url: str, dest: Path, timeout: float = TIMEOUT) -> Path:
    """Fetch ``url`` into ``dest`` if its sha256 is the pinned one; ``dest`` is only ever replaced whole.

    Raises :class:`SpecRefused` for another file and :class:`SpecUnavailable` when the fetch fails.
    """
    digest = hashlib.sha256()
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, part = tempfile.mkstemp(dir=dest.parent, prefix=".openapi-", suffix=".part")
    except OSError as exc:
        raise SpecUnavailable(f"cannot keep a download in {dest.parent}: {exc}") from None
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                digest.update(chunk)
                out.write(chunk)
        got = digest.hexdigest()
        if got != PINNED_SHA256:
            raise SpecRefused(f"refused the file downloaded from {url}: its sha256 is {got}, "
                              f"the pinned description's is {PINNED_SHA256}")
        os.replace(part, dest)
        return dest
    except SpecUnavailable:
        raise
    except urllib.error.HTTPError as exc:
        raise SpecUnavailable(f"could not download {url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise SpecUnavailable(f"could not download {url}: {exc.reason}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise SpecUnavailable(f"could not download {url}: {type(exc).__name__}: {exc}") from None
    finally:
        if os.path.exists(part):
            os.unlink(part)


def find_spec() -> Path:
    """The path of ``openapi.yaml``, found or fetched in the order the module describes."""
    env = os.environ.get(SPEC_ENV_VAR)
    if env:
        candidate = Path(env).expanduser()
        if candidate.is_file():
            return candidate.resolve()
        # An explicit setting that points nowhere is a configuration error, not a hint to look elsewhere.
        raise FileNotFoundError(f"${SPEC_ENV_VAR} is set to {env!r}, which is not a file")
    for folder in REPO.parents:
        if (folder / BESIDE).is_file():
            return folder / BESIDE
    try:
        copy = cached_copy()
    except OSError as exc:  # no writable cache directory (a build sandbox without a home, say)
        raise SpecUnavailable(f"no {BESIDE} beside {REPO} or a folder above it, and no cache directory "
                              f"({exc}); set {SPEC_ENV_VAR} to the path of a copy of openapi.yaml") from None
    refused = ""
    if copy.is_file():
        got = sha256_of(copy)
        if got == PINNED_SHA256:
            return copy
        # Left in place until a good download replaces it: it is never read.
        refused = f"refused the cached {copy}: its sha256 is {got}, the pinned description's is {PINNED_SHA256}; "
    url = download_url()
    try:
        if (url, copy) in _failed_downloads:
            raise _failed_downloads[url, copy]
        return download(url, copy)
    except SpecUnavailable as exc:
        _failed_downloads[url, copy] = exc
        raise type(exc)(f"no {BESIDE} beside {REPO} or a folder above it; {refused}{exc}; "
                        f"set {SPEC_ENV_VAR} to the path of a copy of openapi.yaml") from None


#: node ids of the tests whose exchanges went unchecked, each with the reason
unchecked: dict[str, str] = {}


def contract_or_reason() -> tuple[Any, str | None]:
    """``(Contract, None)``, or ``(None, why)`` when the description is unavailable."""
    from tests.contract import Contract

    try:
        return Contract.load(), None
    except SpecUnavailable as exc:
        return None, str(exc)


def recorder_for(contract: Any, **options: Any) -> Any:
    """``contract.recorder(**options)``, or an :class:`UncheckedRecorder` when ``contract`` is None."""
    if contract is None:
        return UncheckedRecorder(contract_or_reason()[1])
    return contract.recorder(**options)


SKIP_PREFIX = "needs the OpenAI API description, which is unavailable: "


def skip_reason(unavailable: BaseException | str) -> str:
    return SKIP_PREFIX + str(unavailable)


class UncheckedRecorder:
    """Stands in for :class:`tests.contract.ExchangeRecorder` when the description is unavailable.

    As a response hook it lets every exchange through unchecked. Asking it which operations it saw skips
    the test, since only the description can answer: the test's earlier steps have run by then.
    """

    def __init__(self, reason: str):
        self.reason = reason

    def __call__(self, response: Any, *args: Any, **kwargs: Any) -> None:
        return None

    def _needs_the_description(self) -> Any:
        pytest.skip(skip_reason(self.reason))

    operations = operation_ids = exchanges = violations = property(lambda self: self._needs_the_description())

    def __iter__(self):
        return self._needs_the_description()

    def clear(self) -> None:
        pass

    def assert_clean(self) -> None:
        pass
