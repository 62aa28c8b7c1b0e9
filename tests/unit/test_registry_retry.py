"""The registry client retries 429 and 5xx with backoff, honouring Retry-After, a bounded number of times.

A real HTTP server on 127.0.0.1 (started here, stopped here) answers from a script of statuses.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dockopt.errors import RegistryError
from dockopt.registry import Registry, retry_delay_s


class _Script:
    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str]]] = []
        self.seen: list[tuple[str, float]] = []


@pytest.fixture
def server() -> Iterator[tuple[str, _Script]]:
    script = _Script()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            script.seen.append((self.path, time.monotonic()))
            status, headers = script.answers.pop(0) if script.answers else (200, {})
            body = json.dumps({"tags": ["a", "b"]} if status == 200 else {"errors": [{"code": "TOOMANYREQUESTS"}]})
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}", script
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_429_then_200_waits_as_retry_after_says(server):
    host, script = server
    script.answers = [(429, {"Retry-After": "1"}), (200, {})]
    reg = Registry(host, backoff_s=0.01)
    assert reg.tags("team/app") == ["a", "b"]
    assert len(script.seen) == 2
    waited = script.seen[1][1] - script.seen[0][1]
    assert 0.9 <= waited < 5, waited


def test_5xx_backs_off_and_recovers(server):
    host, script = server
    script.answers = [(503, {}), (502, {}), (200, {})]
    reg = Registry(host, backoff_s=0.05)
    assert reg.tags("team/app") == ["a", "b"]
    stamps = [t for _, t in script.seen]
    assert len(stamps) == 3
    assert stamps[2] - stamps[1] >= 0.09  # the second wait doubles the first (0.05 s, then 0.1 s)


def test_retries_are_bounded_then_a_clear_error(server):
    host, script = server
    script.answers = [(500, {})] * 10
    reg = Registry(host, backoff_s=0.01, max_retries=3)
    with pytest.raises(RegistryError, match=r"HTTP 500 \(after 3 retries\)") as info:
        reg.tags("team/app")
    assert len(script.seen) == 4
    assert info.value.hint and "try again" in info.value.hint


def test_a_4xx_other_than_429_is_not_retried(server):
    host, script = server
    script.answers = [(400, {})]
    with pytest.raises(RegistryError, match="HTTP 400"):
        Registry(host, backoff_s=0.01).tags("team/app")
    assert len(script.seen) == 1


def test_retry_delay_reads_seconds_and_dates_and_is_capped():
    assert retry_delay_s("3", 0) == 3
    assert retry_delay_s(None, 0, backoff_s=0.5) == 0.5
    assert retry_delay_s(None, 3, backoff_s=0.5) == 4
    assert retry_delay_s("3600", 0, max_delay_s=30) == 30
    soon = formatdate(time.time() + 5, usegmt=True)
    assert 3 <= retry_delay_s(soon, 0) <= 5
    assert retry_delay_s(formatdate(time.time() - 60, usegmt=True), 0) == 0
    assert retry_delay_s("not a date", 1, backoff_s=1) == 2
