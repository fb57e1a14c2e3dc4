"""Web app configuration from the environment (and `.env`)."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

from store.db import database_url, default_data_dir
from tasteloop.config import env_flag

MAX_REQUEST_BYTES = 80 * 1024 * 1024


def secret_key(data_dir: Path) -> str:
    """TASTELOOP_SECRET_KEY, or one generated once and kept in the data directory."""
    configured = os.environ.get("TASTELOOP_SECRET_KEY", "").strip()
    if configured:
        return configured
    path = data_dir / "secret_key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        # exclusive create: several gunicorn workers starting at once must agree on one key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process is writing it right now
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty; delete it and start again") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _count(name: str) -> int:
    raw = os.environ.get(name, "").strip() or "0"
    if not raw.isdigit() or int(raw) > 10:
        raise ValueError(f"{name} must be a number of proxies from 0 to 10, got {raw!r}")
    return int(raw)


def config_from_env(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = dict(overrides or {})
    data_dir = Path(overrides.pop("DATA_DIR", None) or default_data_dir())
    https = env_flag("TASTELOOP_HTTPS")
    config: dict[str, Any] = {
        "DATA_DIR": data_dir,
        "DATABASE_URL": database_url(data_dir),
        "SECRET_KEY": None,
        "MAX_CONTENT_LENGTH": MAX_REQUEST_BYTES,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "WTF_CSRF_TIME_LIMIT": None,
        "ADMIN_EMAILS": {
            e.strip().lower()
            for e in os.environ.get("TASTELOOP_ADMIN_EMAILS", "").split(",")
            if e.strip()
        },
        "LOGIN_ATTEMPTS": 10,
        "REGISTER_ATTEMPTS": 20,
        "PASSWORD_ATTEMPTS": 30,  # failed password checks per client, whatever the email
        "SITE_SIGNUPS": 200,  # sign-ups on the whole site per window
        "LOGIN_WINDOW_SECONDS": 300,
        "RESET_LINK_SECONDS": 24 * 3600,
        "ADMIN_CLAIM_SECONDS": 24 * 3600,
        "TRUSTED_PROXIES": _count("TASTELOOP_TRUSTED_PROXIES"),
        "POLL_MS": int(os.environ.get("TASTELOOP_POLL_MS", "1500")),
    }
    config.update(overrides)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = secret_key(data_dir)
    return config
