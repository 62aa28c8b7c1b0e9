"""Job processing and the polling loop (no I/O in ``process``, so it is trivially testable)."""

from __future__ import annotations

import logging
import time

import requests

log = logging.getLogger("worker")


def process(text: str) -> str:
    """The work itself: shout the text."""
    return text.upper() + "!"


class Worker:
    def __init__(self, api_url: str, interval_s: float = 1.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.interval_s = interval_s
        self.session = requests.Session()
        self.processed = 0
        self.api_reachable = False
        self.last_loop = time.monotonic()

    def step(self) -> bool:
        """Claim and finish one job; False when there was none (or the API is away)."""
        self.last_loop = time.monotonic()
        try:
            resp = self.session.post(f"{self.api_url}/api/jobs/next", timeout=2)
        except requests.RequestException as exc:
            if self.api_reachable:
                log.warning("API unreachable: %s", exc)
            self.api_reachable = False
            return False
        self.api_reachable = True
        if resp.status_code != 200:
            return False
        job = resp.json()
        result = process(job["text"])
        self.session.post(f"{self.api_url}/api/jobs/{job['id']}/result", json={"result": result}, timeout=2)
        self.processed += 1
        return True

    def run_forever(self) -> None:
        while True:
            if not self.step():
                time.sleep(self.interval_s)
