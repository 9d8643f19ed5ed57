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
cache dir.

Example:
    >>> s = Settings.resolve(api_key="sk-test", base_url="http://localhost:1/v1/", env={})
    >>> s.base_url, s.uses_embedded_server
    ('http://localhost:1/v1', False)
    >>> "sk-test" in repr(s)
    False
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

OPENAI_BASE_URL = "https://api.openai.com/v1"
DATA_DIR_ENV = "JUPYTER_API_KIT_DATA_DIR"
CACHE_DIR_ENV = "JUPYTER_API_KIT_CACHE_DIR"
LOCAL_URL_ENV = "JUPYTER_API_KIT_LOCAL_URL"


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
    path.mkdir(parents=True, exist_ok=True)
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
