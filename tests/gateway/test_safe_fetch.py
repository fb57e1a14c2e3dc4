"""Image URLs in a model's reply are fetched only from public addresses (no SSRF)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tasteloop.gateway.engine import gateway_engine
from tasteloop.gateway.safe_fetch import (
    REFUSED,
    FetchPolicy,
    FetchRefused,
    fetch_image_url,
    is_public,
)
from tests.support.gateway_server import FakeGateway, settings_for
from tests.support.images import png_bytes

LOOPBACK = FetchPolicy(allow_hosts=frozenset({"127.0.0.1", "localhost"}), total_seconds=2.0)
IMAGE = png_bytes()


class Files(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hosts: list[str] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        Files.hosts.append(self.headers.get("Host", ""))
        if self.path == "/redirect.png":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/secret.png")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/drip-headers.png":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(600):  # a header line that never ends: 120 s at this pace
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        elif self.path == "/drip.png":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.3)
        else:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(IMAGE)))
            self.end_headers()
            self.wfile.write(IMAGE)


@pytest.fixture(scope="module")
def files():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "http://localhost/x.png",
        "http://[::1]/x.png",
        "http://10.0.0.1/x.png",
        "http://192.168.1.1/x.png",
        "http://169.254.169.254/latest/meta-data.png",
        "http://0.0.0.0/x.png",
        "file:///etc/passwd",
        "ftp://example.com/x.png",
        "gopher://127.0.0.1/x",
    ],
)
def test_non_public_or_non_http_urls_are_refused_before_connecting(url):
    with pytest.raises(FetchRefused) as refused:
        fetch_image_url(url, FetchPolicy())
    assert str(refused.value) == REFUSED


def test_an_allowed_private_host_is_fetched_with_its_host_header(files):
    Files.hosts.clear()
    assert fetch_image_url(f"{files}/image.png", LOOPBACK) == IMAGE
    assert Files.hosts == [files.removeprefix("http://")]


def test_redirects_are_not_followed(files):
    with pytest.raises(FetchRefused):
        fetch_image_url(f"{files}/redirect.png", LOOPBACK)


def test_a_drip_cannot_outlast_the_total_time_cap(files):
    started = time.monotonic()
    with pytest.raises(FetchRefused):
        fetch_image_url(f"{files}/drip.png", LOOPBACK)
    assert time.monotonic() - started < 60  # 1000 bytes at 0.3 s would take 300 s


def test_a_header_drip_is_cut_off_at_the_total_time_cap(files):
    """Each header byte arrives well within any per-read timeout; only a deadline on the whole
    exchange ends it (before, this held a worker thread for as long as the server liked)."""
    started = time.monotonic()
    with pytest.raises(FetchRefused):
        fetch_image_url(f"{files}/drip-headers.png", LOOPBACK)
    assert time.monotonic() - started < LOOPBACK.total_seconds + 5  # the drip lasts 120 s


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254, the metadata address
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b:1::a00:1",
        "::ffff:127.0.0.1",
        "::7f00:1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "fec0::1",
    ],
)
def test_ipv6_forms_carrying_another_address_are_not_public(address):
    import ipaddress

    assert not is_public(ipaddress.ip_address(address))


def test_ordinary_public_addresses_are_public():
    import ipaddress

    assert is_public(ipaddress.ip_address("2606:4700:4700::1111"))
    assert is_public(ipaddress.ip_address("1.1.1.1"))


def test_the_size_cap_holds(files):
    with pytest.raises(FetchRefused):
        fetch_image_url(f"{files}/image.png", FetchPolicy(LOOPBACK.allow_hosts, 2.0, 100))


def test_open_and_closed_ports_give_the_same_message(files):
    messages = set()
    for url in (f"{files}/redirect.png", "http://127.0.0.1:9/x.png"):
        with pytest.raises(FetchRefused) as refused:
            fetch_image_url(url, LOOPBACK)
        messages.add(str(refused.value))
    assert messages == {REFUSED}


def test_a_reply_naming_a_loopback_url_fails_generation_without_a_fetch():
    gateway = FakeGateway(render_size=64).start()
    try:
        gateway.image_shape = "http_url"
        engine = gateway_engine(settings_for(gateway, fetch_allow_hosts=frozenset()))
        with pytest.raises(Exception) as failed:
            engine.generator.generate("circles", seed=1)
        assert REFUSED in str(failed.value)
        assert gateway.file_gets == 0
    finally:
        gateway.stop()
