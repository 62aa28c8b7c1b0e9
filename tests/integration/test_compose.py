"""The mono-repo's compose.yaml, brought up with Debian's docker-compose 1.29 and taken down again.

Images come from the session's namespace (built here through dockopt, so they carry the session
label and are removed with the session); compose.yaml names them through ``DOCKOPT_NAMESPACE``.
Each service is checked on its 127.0.0.1 port, then a job goes through all three (frontend proxy →
api → worker → api); ``down`` must leave no container and no network of the project behind.
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.request
import uuid

import pytest

from dockopt import engine, experiments, naming, proc, samples

COMPOSE_DIR = samples.load("monorepo").root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, data: dict | None = None, timeout: float = 5) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=json.dumps(data).encode() if data is not None else None,
                                 headers={"Content-Type": "application/json"} if data is not None else {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def _wait_ok(url: str, timeout_s: float = 60) -> bytes:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            status, body = _get(url)
            if status == 200:
                return body
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer 200 within {timeout_s}s ({last})")


def test_compose_up_check_down(docker_engine):
    compose = proc.which("docker-compose")
    if compose is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker-compose is a test dependency (scripts/system-deps.sh --test installs it)")
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    for target in ("frontend", "api", "worker"):
        experiments.build_sample("monorepo", "optimised", target=target, progress=False)
    project = f"dockopt-compose-{uuid.uuid4().hex[:8]}"
    ports = {"FRONTEND_PORT": _free_port(), "API_PORT": _free_port(), "WORKER_PORT": _free_port()}
    env = {"DOCKOPT_NAMESPACE": naming.namespace(), **{k: str(v) for k, v in ports.items()}}
    base = [compose, "-p", project, "-f", str(COMPOSE_DIR / "compose.yaml")]
    try:
        proc.run([*base, "up", "-d", "--no-build"], env=env, cwd=COMPOSE_DIR, timeout=300)
        for name in ("FRONTEND_PORT", "API_PORT", "WORKER_PORT"):
            _wait_ok(f"http://127.0.0.1:{ports[name]}/health")
        front = f"http://127.0.0.1:{ports['FRONTEND_PORT']}"
        assert b"<" in _wait_ok(front + "/"), "the frontend serves its page"
        status, body = _get(front + "/api/jobs", {"text": "hello compose"})
        assert status in (200, 201), body
        job_id = json.loads(body)["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            jobs = {j["id"]: j for j in json.loads(_get(f"http://127.0.0.1:{ports['API_PORT']}/api/jobs")[1])}
            if jobs[job_id]["state"] == "done":
                break
            time.sleep(0.5)
        assert jobs[job_id]["state"] == "done" and jobs[job_id].get("result"), jobs[job_id]
    finally:
        proc.run([*base, "down", "--volumes", "--remove-orphans", "--timeout", "5"], env=env, cwd=COMPOSE_DIR,
                 timeout=300, check=False)
    label = f"com.docker.compose.project={project}"
    left = engine.client().containers.list(all=True, filters={"label": label}, ignore_removed=True)
    networks = engine.client().networks.list(filters={"label": label})
    assert not left and not networks, (left, networks)
