"""Small, loud readers for settings that come from the environment.

Each helper names the variable and the bad value in its error, so a typo in a
deployment fails at start-up with a sentence a person can act on.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, *, required: bool, dev_file: Path | None = None) -> str:
    """Read a secret from NAME, or from the file named by NAME_FILE.

    In development (not required) a missing secret is generated once into
    `dev_file` and reused, so sessions and encrypted data survive restarts.
    """
    value = os.environ.get(name, "").strip()
    file_name = os.environ.get(f"{name}_FILE", "").strip()
    if value and file_name:
        raise ImproperlyConfigured(f"Set either {name} or {name}_FILE, not both.")
    if file_name:
        try:
            value = Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE={file_name!r} cannot be read: {exc.strerror}."
            ) from None
        if not value:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} is empty.")
    if value:
        return value
    if required or dev_file is None:
        raise ImproperlyConfigured(f"{name} is required in production: set {name} or {name}_FILE.")
    if dev_file.exists():
        return dev_file.read_text().strip()
    dev_file.parent.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(50)
    dev_file.write_text(generated)
    dev_file.chmod(0o600)
    return generated


def database_from_url(name: str, url: str) -> dict[str, Any]:
    """Parse a database URL; a malformed one names the variable, not the password."""
    import dj_database_url

    supported = ("postgres://", "postgresql://", "sqlite://")
    if not url.startswith(supported):
        scheme = url.split(":", 1)[0] if ":" in url else url[:20]
        raise ImproperlyConfigured(
            f"{name} has an unsupported scheme {scheme!r}: "
            "use postgres://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH."
        )
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"{name} is malformed: {exc}.") from None
    if config["ENGINE"].endswith("postgresql"):
        config["ENGINE"] = "django.db.backends.postgresql"
        if not config.get("NAME"):
            raise ImproperlyConfigured(f"{name} names no database: add /NAME at the end.")
        port = config.get("PORT")
        if port not in ("", None) and not str(port).isdigit():
            raise ImproperlyConfigured(f"{name} has a port that is not a number.")
    return config
