"""The two routes for builds with secrets, on the same context, alternating runs: dockopt's own BuildKit
session (``dockopt.build(secrets=...)``: ``POST /session`` + ``/build?version=2``) against the engine's CLI
(``DOCKER_BUILDKIT=1 docker build --secret id=...,src=... --progress=plain``).

Prints the median wall seconds of each, cold (``--no-cache``) and warm, and their ratio. Both must succeed
and both images must hold no trace of the secret. Run: .venv/bin/python benchmarks/secret_build.py [--runs 3]
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
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import dockopt  # noqa: E402
from dockopt import engine  # noqa: E402

DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else (shutil.which("docker") or "docker")
DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /token-length && sleep 1
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    token = "dockopt-bench-" + uuid.uuid4().hex
    times: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="dockopt-secret-bench-") as tmp:
        ctx = Path(tmp) / "ctx"
        ctx.mkdir()
        shutil.copy2("/bin/busybox", ctx / "busybox")
        (ctx / "Dockerfile").write_text(DOCKERFILE)
        secret = Path(tmp) / "token"
        secret.write_text(token)
        tags = {"session": "dockopt-bench/secret:session", "cli": "dockopt-bench/secret:cli"}
        try:
            for _ in range(args.runs):
                for state in ("cold", "warm"):
                    t = time.monotonic()
                    dockopt.build(ctx, tag=tags["session"], secrets={"token": secret}, no_cache=state == "cold",
                                  progress=False)
                    times.setdefault(("session", state), []).append(time.monotonic() - t)
                    t = time.monotonic()
                    cmd = [DOCKER, "build", "--progress=plain", "--secret", f"id=token,src={secret}", "-t",
                           tags["cli"], *(["--no-cache"] if state == "cold" else []), str(ctx)]
                    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "DOCKER_BUILDKIT": "1"})
                    times.setdefault(("cli", state), []).append(time.monotonic() - t)
            for route, tag in tags.items():
                saved = b"".join(engine.save_image(tag))
                print(f"{route}: secret in the saved image: {token.encode() in saved}")
        finally:
            for tag in tags.values():
                if engine.image_exists(tag):
                    engine.remove_image(tag)
    rows = []
    for state in ("cold", "warm"):
        s = statistics.median(times[("session", state)])
        c = statistics.median(times[("cli", state)])
        print(f"{state}: session {s:.2f} s, docker CLI {c:.2f} s, ratio {s / c:.2f}x (median of {args.runs})")
        rows.append({"build": state, "dockopt_session_s": s, "docker_cli_s": c, "ratio": s / c})
    import record

    record.write("secret_build", rows, notes=[f"medians of {args.runs} alternating runs"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
