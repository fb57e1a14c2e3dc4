"""A person's browser in tests (the Flask test client sending each page's CSRF token), and the
worker run in-process."""

from __future__ import annotations

import re

from rq import SimpleWorker

from jobs.queue import queue


def work(redis_conn) -> int:
    """Run every queued job in this process (RQ SimpleWorker, burst mode).

    Returns how many jobs were waiting when it started (jobs those jobs enqueue run too)."""
    q = queue(redis_conn)
    before = q.count
    worker = SimpleWorker([q], connection=redis_conn)
    worker.work(burst=True)
    return before


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A Flask test client that behaves like a person's browser: it sends the page's CSRF token."""

    def __init__(self, client) -> None:
        self.client = client
        self.token = ""

    def get(self, url: str, **kwargs):
        response = self.client.get(url, **kwargs)
        if response.mimetype == "text/html":
            match = CSRF.search(response.get_data(as_text=True))
            if match:
                self.token = match.group(1)
        return response

    def post(self, url: str, data=None, *, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            if not self.token:
                self.get("/login")
            data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kwargs)

    def register(self, email: str, password: str = "correct horse battery"):
        self.get("/register")
        return self.post("/register", {"email": email, "password": password})

    def login(self, email: str, password: str = "correct horse battery"):
        self.get("/login")
        return self.post("/login", {"email": email, "password": password})

    def logout(self):
        self.get("/history")
        return self.post("/logout")


def register_admin(app, browser: Browser, email: str) -> None:
    """An admin the way an operator makes one: register, then `flask --app webapp promote`."""
    assert browser.register(email).status_code == 302
    result = app.test_cli_runner().invoke(args=["promote", email])
    assert result.exit_code == 0, result.output
