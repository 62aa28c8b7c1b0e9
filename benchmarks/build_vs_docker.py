"""dockopt.build against plain `docker build` (BuildKit) on the same contexts, alternating runs.

Prints medians and the dockopt/docker wall-time ratio per context and cache state (goal ≤ 1.05×).
Contexts: a busybox multi-stage build that needs no base image, and each sample app whose bases
are present. Run: .venv/bin/python benchmarks/build_vs_docker.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import dockopt  # noqa: E402
from dockopt import engine, samples  # noqa: E402
from dockopt.errors import NeedsRegistry  # noqa: E402

ROWS: list[dict[str, object]] = []  # what benchmarks/results/build_vs_docker.json records

DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else (shutil.which("docker") or "docker")
BUSYBOX_DOCKERFILE = """\
FROM scratch AS base
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
FROM base AS build
RUN seq 1 200000 > /numbers && sleep 1
FROM base
COPY --from=build /numbers /numbers
CMD ["/bin/sh"]
"""


def docker_build(ctx: Path, dockerfile: str, target: str | None, tag: str, no_cache: bool) -> float:
    cmd = [DOCKER, "build", "-q", "-f", str(ctx / dockerfile), "-t", tag]
    cmd += ["--target", target] if target else []
    cmd += ["--no-cache"] if no_cache else []
    started = time.monotonic()
    subprocess.run([*cmd, str(ctx)], check=True, capture_output=True, env={**os.environ, "DOCKER_BUILDKIT": "1"})
    return time.monotonic() - started


def dockopt_build(ctx: Path, dockerfile: str, target: str | None, tag: str, no_cache: bool) -> float:
    started = time.monotonic()
    dockopt.build(ctx, dockerfile, target=target, tag=tag, no_cache=no_cache, progress=False)
    return time.monotonic() - started


def compare(name: str, ctx: Path, dockerfile: str, target: str | None, runs: int) -> list[str]:
    lines = []
    for state, no_cache in (("cold", True), ("warm", False)):
        times: dict[str, list[float]] = {"dockopt": [], "docker": []}
        for i in range(runs):
            order = [("dockopt", dockopt_build), ("docker", docker_build)]
            for label, fn in order if i % 2 == 0 else reversed(order):
                times[label].append(fn(ctx, dockerfile, target, f"dockopt-bench/{name}:{label}", no_cache))
        a, b = statistics.median(times["dockopt"]), statistics.median(times["docker"])
        lines.append(f"{name:<28} {state:<5} dockopt {a:7.2f} s   docker build {b:7.2f} s   ratio {a / b:5.2f}x")
        ROWS.append({"context": name, "cache": state, "dockopt_s": a, "docker_build_s": b, "ratio": a / b})
    for label in ("dockopt", "docker"):
        engine.remove_image(f"dockopt-bench/{name}:{label}", force=True)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"engine {engine.info().server_version}; docker CLI {DOCKER}; {args.runs} alternating runs, medians")
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        shutil.copy2(shutil.which("busybox") or "/bin/busybox", ctx / "busybox")
        (ctx / "Dockerfile").write_text(BUSYBOX_DOCKERFILE)
        for line in compare("busybox-multistage", ctx, "Dockerfile", None, args.runs):
            print(line, flush=True)
    for sample in samples.all_samples():
        spec = sample.dockerfile_spec("optimised")
        try:
            samples.check_buildable(sample, "optimised")
            dockopt.build(sample.root, spec.path.name, target=spec.target, progress=False)  # bases present?
        except NeedsRegistry as exc:
            print(f"{sample.name:<28} skipped: {exc.message.splitlines()[0]}")
            continue
        for line in compare(sample.name, sample.root, spec.path.name, spec.target, args.runs):
            print(line, flush=True)
    import record

    record.write("build_vs_docker", ROWS, notes=[f"medians of {args.runs} alternating runs; goal <= 1.05x"])


if __name__ == "__main__":
    main()
