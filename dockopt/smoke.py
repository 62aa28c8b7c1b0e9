"""Smoke-test an image: start it, wait (bounded) until Docker calls it healthy (when the image has a
HEALTHCHECK) and its service's health path answers 200 on 127.0.0.1; always remove the container.

Depends on a ``samples.Service`` (port, health path) only; ``experiments.smoke_sample`` finds the
service of a sample image."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from . import engine
from .errors import SmokeFailed
from .samples import Service


@dataclass(frozen=True)
class SmokeResult:
    """How one container of an image came up. Times are seconds since the container started."""

    service: str
    image: str
    port: int
    health_path: str
    has_healthcheck: bool
    http_status: int
    http_ok_s: float
    healthy_s: float | None      # None when the image defines no HEALTHCHECK
    total_s: float
    body: str


def _get(url: str, timeout: float) -> tuple[int, str] | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - 127.0.0.1 only
            return resp.status, resp.read(2048).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


def smoke(image: str, service: Service, *, timeout_s: float = 90, poll_s: float = 0.25) -> SmokeResult:
    """Run ``image`` until it is healthy and answers 200 on ``service``'s health path, within
    ``timeout_s``; raises ``SmokeFailed`` (with the container's last log lines)."""
    port, path = service.port, service.health_path
    wants_health = engine.inspect_image(image).has_healthcheck
    with engine.running(image, ports=[port]) as rc:
        started = time.monotonic()
        deadline = started + timeout_s
        http: tuple[int, str] | None = None
        http_ok_s = healthy_s = None
        while True:
            now = time.monotonic()
            state = engine.container_state(rc.id)
            if not state.get("Running"):
                raise SmokeFailed(f"{image}: the container stopped (exit code {state.get('ExitCode')})",
                                  logs=engine.container_logs(rc.id))
            # here: a container that exited before the engine reported its ports has none to ask
            url = rc.url(port, path)
            status = ((state.get("Health") or {}).get("Status")) if wants_health else None
            if status == "unhealthy":
                raise SmokeFailed(f"{image}: Docker reports the container unhealthy",
                                  logs=engine.container_logs(rc.id))
            if wants_health and status == "healthy" and healthy_s is None:
                healthy_s = now - started
            if http_ok_s is None:
                http = _get(url, timeout=2)
                if http is not None and http[0] == 200:
                    http_ok_s = time.monotonic() - started
            if http_ok_s is not None and (healthy_s is not None or not wants_health):
                break
            if now > deadline:
                what = []
                if http_ok_s is None:
                    what.append(f"no HTTP 200 from {url} (last: {http[0] if http else 'no answer'})")
                if wants_health and healthy_s is None:
                    what.append(f"health status still {status!r}")
                raise SmokeFailed(f"{image}: not ready within {timeout_s:.0f}s: {'; '.join(what)}",
                                  logs=engine.container_logs(rc.id))
            time.sleep(poll_s)
        total_s = time.monotonic() - started
    assert http is not None
    return SmokeResult(service=service.name, image=image, port=port, health_path=path,
                       has_healthcheck=wants_health, http_status=http[0], http_ok_s=round(http_ok_s, 3),
                       healthy_s=None if healthy_s is None else round(healthy_s, 3), total_s=round(total_s, 3),
                       body=http[1][:500])
