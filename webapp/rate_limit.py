"""Fixed-window counters in Redis, per client (and, for logins, per email), and one for the
whole site's sign-ups.

- `login`: failed logins per client and email; `password`: failed password checks per client,
  whatever the email (so fresh emails do not buy fresh guesses), at login and on the account
  pages that ask for the current password;
- `register`: sign-ups per client; `signup`: sign-ups on the whole site (a crowd of addresses
  cannot make accounts without end).

A client is its address, or for IPv6 its /64 (one connection holds 2^64 addresses). The address
is `request.remote_addr`, which names the proxy in front of the app unless
TASTELOOP_TRUSTED_PROXIES says how many proxies to trust (then ProxyFix takes the address they
report). Fails open, with a warning, when Redis is down: a login page that cannot log anyone in
would be worse than a briefly unlimited one.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging

import redis
from flask import current_app, request

from jobs.queue import QueueUnavailable, connection

log = logging.getLogger(__name__)

# kind → (config key of the attempts allowed, config key of the window in seconds)
LIMITS = {
    "login": ("LOGIN_ATTEMPTS", "LOGIN_WINDOW_SECONDS"),
    "password": ("PASSWORD_ATTEMPTS", "LOGIN_WINDOW_SECONDS"),
    "register": ("REGISTER_ATTEMPTS", "LOGIN_WINDOW_SECONDS"),
    "signup": ("SITE_SIGNUPS", "LOGIN_WINDOW_SECONDS"),
}
SITE_WIDE = {"signup"}


def client() -> str:
    """The client a limit counts: its address, or its /64 for IPv6."""
    raw = request.remote_addr or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _key(kind: str, subject: str) -> str:
    # a digest, so the key's size does not depend on what a client sends
    who = "site" if kind in SITE_WIDE else client()
    digest = hashlib.sha256(f"{who}\x00{subject}".encode()).hexdigest()
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
