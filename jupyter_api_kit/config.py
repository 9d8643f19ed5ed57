"""Settings: explicit arguments first, then environment variables, then defaults.

| setting      | argument      | environment          |
|--------------|---------------|----------------------|
| API key      | api_key       | OPENAI_API_KEY       |
| base URL     | base_url      | OPENAI_BASE_URL      |
| organization | organization  | OPENAI_ORG_ID        |
| project      | project       | OPENAI_PROJECT_ID    |
| admin key    | admin_key     | OPENAI_ADMIN_KEY     |

With neither a key nor a base URL the embedded local server is used. The user data directory
(local database, remembered threads) is `JUPYTER_API_KIT_DATA_DIR` or the platform's user data dir; the
cache directory (files that can be fetched again) is `JUPYTER_API_KIT_CACHE_DIR` or the platform's user
cache dir. Both are private to their owner (0700), and so is every file the toolkit writes (0600):
on a shared machine other users can read neither.

Example:
    >>> s = Settings.resolve(api_key="sk-test", base_url="http://localhost:1/v1/", env={})
    >>> s.base_url, s.uses_embedded_server
    ('http://localhost:1/v1', False)
    >>> "sk-test" in repr(s)
    False
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

OPENAI_BASE_URL = "https://api.openai.com/v1"
DATA_DIR_ENV = "JUPYTER_API_KIT_DATA_DIR"
CACHE_DIR_ENV = "JUPYTER_API_KIT_CACHE_DIR"
LOCAL_URL_ENV = "JUPYTER_API_KIT_LOCAL_URL"
#: the key of the local server named by LOCAL_URL_ENV (`make lab` sets both for its kernels)
LOCAL_KEY_ENV = "JUPYTER_API_KIT_LOCAL_KEY"
#: modes of what the toolkit writes: readable by its owner only
PRIVATE_DIR_MODE, PRIVATE_FILE_MODE = 0o700, 0o600

log = logging.getLogger("jupyter_api_kit")


def data_dir() -> Path:
    """The user data directory (created on demand), overridable with JUPYTER_API_KIT_DATA_DIR.

    Example:
        >>> isinstance(data_dir(), Path)
        True
    """
    return _user_dir(DATA_DIR_ENV, "user_data_dir")


def cache_dir() -> Path:
    """The user cache directory (created on demand), overridable with JUPYTER_API_KIT_CACHE_DIR.

    Example:
        >>> cache_dir().is_dir()
        True
    """
    return _user_dir(CACHE_DIR_ENV, "user_cache_dir")


def _user_dir(env_name: str, platform_kind: str) -> Path:
    override = os.environ.get(env_name)
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(getattr(platformdirs, platform_kind)("jupyter-api-kit", appauthor=False))
    return private_dir(path, tighten=True)


def private_dir(path: str | Path, *, tighten: bool = False) -> Path:
    """`path` as a directory only its owner can open: made with mode 0700 when missing (parents too);
    with `tighten`, an existing one that others could read is narrowed to 0700, with a one-line notice.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> oct(private_dir(root / "a" / "b").stat().st_mode & 0o777), oct((root / "a").stat().st_mode & 0o777)
        ('0o700', '0o700')
    """
    path = Path(path)
    if not path.is_dir():
        for missing in reversed([p for p in [path, *path.parents] if not p.exists()]):
            missing.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
            missing.chmod(PRIVATE_DIR_MODE)  # in case the umask took bits away from mkdir's mode
    elif tighten and path.stat().st_mode & 0o077:
        wide = path.stat().st_mode & 0o777
        path.chmod(PRIVATE_DIR_MODE)
        log.warning("jupyter-api-kit: %s was readable by other users (mode %s); it is now 0700", path, oct(wide))
    return path


def private_file(path: str | Path) -> Path:
    """`path` as a file only its owner can read: created empty with mode 0600 when missing (its folder
    as `private_dir`), narrowed to 0600 when it exists. Files written through this path keep the mode.

    Example:
        >>> import tempfile
        >>> oct(private_file(Path(tempfile.mkdtemp()) / "x" / "f.db").stat().st_mode & 0o777)
        '0o600'
    """
    path = Path(path)
    private_dir(path.parent)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE))
    if path.stat().st_mode & 0o777 != PRIVATE_FILE_MODE:
        path.chmod(PRIVATE_FILE_MODE)
    return path


def mask_secret(value: str | None) -> str:
    """Show that a secret is set without showing it.

    Example:
        >>> mask_secret("sk-abcdefghijklmnop"), mask_secret(None)
        ('set', 'not set')
    """
    return "set" if value else "not set"


@dataclass(frozen=True)
class Settings:
    """Resolved connection settings. Secrets never appear in the repr."""

    base_url: str | None
    api_key: str | None = field(default=None, repr=False)
    organization: str | None = None
    project: str | None = None
    admin_key: str | None = field(default=None, repr=False)

    @property
    def uses_embedded_server(self) -> bool:
        """True when no base URL is set (neither given nor in the environment, and no API key): the
        client then starts and uses the embedded local server.

        Example:
            >>> Settings.resolve(env={}).uses_embedded_server
            True
            >>> Settings.resolve(api_key="sk-x", env={}).uses_embedded_server
            False
        """
        return self.base_url is None

    @classmethod
    def resolve(cls, api_key=None, base_url=None, organization=None, project=None, admin_key=None,
                env=None) -> "Settings":
        """Settings from the arguments, then `env` (default `os.environ`; see the module's table). An API
        key without a base URL means OpenAI's API; a trailing slash is dropped from the URL.

        Example:
            >>> s = Settings.resolve(env={"OPENAI_API_KEY": "sk-x", "OPENAI_PROJECT_ID": "proj_1"})
            >>> s.base_url, s.project, s.api_key == "sk-x"
            ('https://api.openai.com/v1', 'proj_1', True)
        """
        env = os.environ if env is None else env
        api_key = api_key or env.get("OPENAI_API_KEY") or None
        base_url = base_url or env.get("OPENAI_BASE_URL") or None
        if base_url is None and api_key:
            base_url = OPENAI_BASE_URL
        return cls(
            base_url=base_url.rstrip("/") if base_url else None,
            api_key=api_key,
            organization=organization or env.get("OPENAI_ORG_ID") or None,
            project=project or env.get("OPENAI_PROJECT_ID") or None,
            admin_key=admin_key or env.get("OPENAI_ADMIN_KEY") or None,
        )

    def __repr__(self) -> str:
        return (f"Settings(base_url={self.base_url!r}, api_key={mask_secret(self.api_key)}, "
                f"organization={self.organization!r}, project={self.project!r}, "
                f"admin_key={mask_secret(self.admin_key)})")
