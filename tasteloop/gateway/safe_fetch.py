"""Fetching an image URL that a model's reply names, without server-side request forgery.

A reply is untrusted text (a user's intent can make a model echo any URL), so:
- only http(s); the host is resolved once and every address it resolves to must be public
  (not loopback, private, link-local, reserved, multicast, nor an IPv6 form that carries an IPv4
  address or a site: NAT64, mapped, compatible, 6to4, Teredo, site-local), unless the host is
  named in `TASTELOOP_FETCH_ALLOW_HOSTS` (a self-hosted gateway's file server);
- the connection goes to the address that was checked (no second lookup to rebind), with the
  host name kept for the Host header, TLS SNI and certificate checks;
- no redirects; a cap on bytes and on the time of the whole exchange, connect, headers and
  body: when it runs out the socket is shut, so a server dripping header bytes cannot hold a
  worker thread past it;
- one generic error, so the reply cannot be used to tell open ports from closed ones.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from tasteloop.config import EngineSettings

log = logging.getLogger(__name__)
REFUSED = (
    "the image URL in the model's reply could not be fetched (only public http(s) addresses "
    "are fetched, without redirects, within the size and time limits)"
)


class FetchRefused(ValueError):
    """Always the same message: the reason is logged, never returned to the reply's author."""

    retryable = False

    def __init__(self) -> None:
        super().__init__(REFUSED)


@dataclass(frozen=True)
class FetchPolicy:
    allow_hosts: frozenset[str] = frozenset()
    total_seconds: float = 20.0
    max_bytes: int = 25 * 1024 * 1024

    @classmethod
    def for_settings(cls, settings: EngineSettings) -> FetchPolicy:
        """The gateway's named private hosts, within its timeout (30 s at the most)."""
        return cls(
            allow_hosts=settings.fetch_allow_hosts, total_seconds=min(settings.timeout_s, 30.0)
        )


# IPv6 forms that carry an IPv4 address (or a site) which `is_global` does not look into
TRANSLATED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "::/96",  # IPv4-compatible
        "::ffff:0:0/96",  # IPv4-mapped
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local-use NAT64
        "2002::/16",  # 6to4
        "2001::/32",  # Teredo
        "fec0::/10",  # site-local (deprecated)
    )
)


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if address.version == 6 and any(address in net for net in TRANSLATED):
        return False
    return address.is_global


def _pinned_address(host: str, port: int, policy: FetchPolicy) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _refuse(f"cannot resolve {host}: {exc}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise _refuse(f"{host} resolves to nothing")
    if host.lower() not in policy.allow_hosts and not all(is_public(a) for a in addresses):
        raise _refuse(f"{host} resolves to a non-public address {addresses}")
    return str(addresses[0])


def _refuse(reason: str) -> FetchRefused:
    log.warning("refused to fetch a model's image URL: %s", reason)
    return FetchRefused()


def fetch_image_url(url: str, policy: FetchPolicy) -> bytes:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refuse(f"not an http(s) URL: {url[:100]}")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _refuse(f"bad port in {url[:100]}") from None
    address = _pinned_address(host, port, policy)
    literal = f"[{address}]" if ":" in address else address
    pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    timeout = httpx.Timeout(policy.total_seconds)
    # trust_env=False: a proxy from the environment would resolve the name again
    client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
    cutoff = _Cutoff(policy.total_seconds)
    try:
        request = client.build_request(
            "GET",
            pinned,
            headers={"Host": parts.netloc.rsplit("@", 1)[-1]},
            extensions={"sni_hostname": host, "trace": cutoff.trace},
        )
        response = client.send(request, stream=True)
        try:
            if response.status_code != 200:
                raise _refuse(f"{url[:100]} answered HTTP {response.status_code}")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > policy.max_bytes:
                    raise _refuse(f"{url[:100]} is over {policy.max_bytes} bytes")
                chunks.append(chunk)
            if cutoff.fired:
                raise _refuse(f"{url[:100]} took over {policy.total_seconds:.0f} s")
        finally:
            response.close()
    except httpx.HTTPError as exc:
        late = " (out of time)" if cutoff.fired else ""
        raise _refuse(f"{url[:100]}: {type(exc).__name__}{late}") from None
    finally:
        cutoff.cancel()
        client.close()
    return b"".join(chunks)


class _Cutoff:
    """Shuts the connection's socket when the exchange's time is up: a blocked read (of a
    header line dripping a byte at a time) returns at once, where a per-read timeout never
    would. Started when the request begins; the socket comes from httpcore's trace events."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith(("connect_tcp.complete", "start_tls.complete")):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            with self._lock:
                self._socket = sock if isinstance(sock, socket.socket) else self._socket
                if self.fired:
                    self._shut()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shut()

    def _shut(self) -> None:
        if self._socket is not None:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()
