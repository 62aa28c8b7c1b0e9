"""Smoke-test an image: start it, wait (bounded) until it is ready, take one memory sample; always
remove the container.

Ready means, by what the service offers (``project.Service``):

- ``http``: its health path answers 200 on 127.0.0.1 (and Docker calls it healthy, when the image
  has a HEALTHCHECK);
- ``healthcheck``: no health path to ask, but the image has a HEALTHCHECK: Docker calls it healthy;
- ``stays up``: neither: the process is still running ``stay_up_s`` seconds after it started.

Depends on a ``project.Service`` only; ``experiments.smoke_project`` / ``smoke_sample`` find it."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from . import engine
from .errors import SmokeFailed
from .project import Service

READINESS = ("http", "healthcheck", "stays up")


@dataclass(frozen=True)
class SmokeResult:
    """How one container of an image came up.

    ``http_ok_s``, ``healthy_s`` and ``total_s`` are seconds since the container started;
    ``start_s`` is what ``docker run`` took to create and start it; ``ready_s`` is seconds from
    ``docker run`` until the ``readiness`` check (one of ``READINESS``) first passed: the first HTTP
    200, Docker's "healthy", or the end of the stay-up time. (Docker's own status comes only at the
    HEALTHCHECK's interval, so it says more about the interval than about the app: ``healthy_s``
    keeps it.) ``memory_bytes`` is one ``docker stats`` sample taken once ready (None when not asked).
    """

    service: str
    image: str
    port: int | None
    health_path: str | None
    readiness: str
    has_healthcheck: bool
    http_status: int | None
    http_ok_s: float | None
    healthy_s: float | None      # None when the image defines no HEALTHCHECK
    total_s: float
    start_s: float
    ready_s: float
    memory_bytes: int | None
    body: str


def _get(url: str, timeout: float) -> tuple[int, str] | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - 127.0.0.1 only
            return resp.status, resp.read(2048).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


def readiness_of(service: Service, has_healthcheck: bool) -> str:
    """Which check ``smoke`` applies to ``service`` (one of ``READINESS``)."""
    if service.port is not None and service.health_path is not None:
        return "http"
    return "healthcheck" if has_healthcheck else "stays up"


def smoke(image: str, service: Service, *, timeout_s: float = 90, poll_s: float = 0.25,
          memory: bool = True) -> SmokeResult:
    """Run ``image`` until it is ready (see the module docstring), within ``timeout_s``; raises
    ``SmokeFailed`` with the container's last log lines when it stops, turns unhealthy or is not
    ready in time. With ``memory``, one ``docker stats`` sample is taken once it is ready."""
    port, path = service.port, service.health_path
    wants_health = engine.inspect_image(image).has_healthcheck
    mode = readiness_of(service, wants_health)
    timeout_s = max(timeout_s, service.stay_up_s + 5) if mode == "stays up" else timeout_s
    run_started = time.monotonic()
    with engine.running(image, ports=[port] if port is not None else []) as rc:
        started = time.monotonic()
        deadline = started + timeout_s
        http: tuple[int, str] | None = None
        http_ok_s = healthy_s = None
        url = rc.url(port, path) if mode == "http" and port is not None and path is not None else ""
        while True:
            now = time.monotonic()
            state = engine.container_state(rc.id)
            if not state.get("Running"):
                hint = ("a service must keep running; check its CMD/ENTRYPOINT" if mode == "stays up" else None)
                raise SmokeFailed(f"{image}: the container stopped after {now - started:.1f}s "
                                  f"(exit code {state.get('ExitCode')})", logs=engine.container_logs(rc.id), hint=hint)
            status = ((state.get("Health") or {}).get("Status")) if wants_health else None
            if status == "unhealthy":
                raise SmokeFailed(f"{image}: Docker reports the container unhealthy",
                                  logs=engine.container_logs(rc.id))
            if wants_health and status == "healthy" and healthy_s is None:
                healthy_s = now - started
            if mode == "http" and http_ok_s is None:
                http = _get(url, timeout=2)
                if http is not None and http[0] == 200:
                    http_ok_s = time.monotonic() - started
            if mode == "http":
                ready = http_ok_s is not None and (healthy_s is not None or not wants_health)
            elif mode == "healthcheck":
                ready = healthy_s is not None
            else:
                ready = now - started >= service.stay_up_s
            if ready:
                break
            if now > deadline:
                what = []
                if mode == "http" and http_ok_s is None:
                    what.append(f"no HTTP 200 from {url} (last: {http[0] if http else 'no answer'})")
                if wants_health and healthy_s is None:
                    what.append(f"health status still {status!r}")
                raise SmokeFailed(f"{image}: not ready within {timeout_s:.0f}s: {'; '.join(what) or mode}",
                                  logs=engine.container_logs(rc.id))
            time.sleep(poll_s)
        done_at = time.monotonic()
        mem = engine.container_stats(rc.id).memory_bytes if memory else None
    start_s = started - run_started
    passed = {"http": http_ok_s, "healthcheck": healthy_s}.get(mode, service.stay_up_s)
    return SmokeResult(service=service.name, image=image, port=port, health_path=path if mode == "http" else None,
                       readiness=mode, has_healthcheck=wants_health, http_status=http[0] if http else None,
                       http_ok_s=None if http_ok_s is None else round(http_ok_s, 3),
                       healthy_s=None if healthy_s is None else round(healthy_s, 3),
                       total_s=round(done_at - started, 3), start_s=round(start_s, 3),
                       ready_s=round(start_s + (passed or 0.0), 3), memory_bytes=mem,
                       body=http[1][:500] if http else "")
