"""Fixed-window counters in Redis, per client address (and, for logins, per email).

The client address is `request.remote_addr`, which names the proxy in front of the app unless
TASTELOOP_TRUSTED_PROXIES says how many proxies to trust (then ProxyFix takes the address they
report). Fails open, with a warning, when Redis is down: a login page that cannot log anyone in
would be worse than a briefly unlimited one.
"""

from __future__ import annotations

import hashlib
import logging

import redis
from flask import current_app, request

from jobs.queue import QueueUnavailable, connection

log = logging.getLogger(__name__)

# kind → (config key of the attempts allowed, config key of the window in seconds)
LIMITS = {
    "login": ("LOGIN_ATTEMPTS", "LOGIN_WINDOW_SECONDS"),
    "register": ("REGISTER_ATTEMPTS", "LOGIN_WINDOW_SECONDS"),
}


def _key(kind: str, subject: str) -> str:
    # a digest, so the key's size does not depend on what a client sends
    digest = hashlib.sha256(f"{request.remote_addr}\x00{subject}".encode()).hexdigest()
    return f"tasteloop:{kind}:{digest[:32]}"


def window_minutes(kind: str) -> int:
    return max(1, current_app.config[LIMITS[kind][1]] // 60)


def over_limit(kind: str, subject: str = "") -> bool:
    attempts_key, _ = LIMITS[kind]
    try:
        count = int(connection().get(_key(kind, subject)) or 0)
    except (QueueUnavailable, redis.RedisError):
        log.warning("%s rate limiter unavailable; allowing the attempt", kind)
        return False
    return count >= current_app.config[attempts_key]


def count_attempt(kind: str, subject: str = "") -> None:
    _, window_key = LIMITS[kind]
    try:
        conn = connection()
        key = _key(kind, subject)
        if conn.incr(key) == 1:
            conn.expire(key, current_app.config[window_key])
    except (QueueUnavailable, redis.RedisError):
        log.warning("%s rate limiter unavailable; attempt not counted", kind)
