"""How long each test tier takes on this machine: wall time, and the CPU its processes used.

    .venv/bin/python benchmarks/tier_times.py [fast] [engine-tests] [browser] [content] [test] [--make-arg=ARG]

Runs ``make TIER`` for each tier named (default: ``fast`` only, which needs no engine) and records the
wall time, the user and system CPU seconds of every process the tier ran (``resource.RUSAGE_CHILDREN``)
and the machine's load before and after. On a machine shared with other work the wall time grows with
the load; the CPU seconds much less so. Goals (issue 16): fast <= 3 min, ``make test`` <= 15 min warm.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import record  # noqa: E402

GOALS_S = {"fast": 180.0, "test": 900.0}
TIERS = ("fast", "engine-tests", "browser", "content", "test")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tiers", nargs="*", default=["fast"], choices=TIERS)
    ap.add_argument("--make-arg", action="append", default=[], metavar="ARG",
                    help="passed to make (e.g. VENV=/path/to/.venv)")
    args = ap.parse_args()
    rows = []
    for tier in args.tiers:
        load_before = os.getloadavg()[0]
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(["make", "--no-print-directory", *args.make_arg, tier], cwd=REPO, check=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        row = {"tier": tier, "passed": done.returncode == 0, "duration_s": round(wall, 1),
               "user_cpu_s": round(after.ru_utime - used.ru_utime, 1),
               "system_cpu_s": round(after.ru_stime - used.ru_stime, 1),
               "load_before": round(load_before, 1), "load_after": round(os.getloadavg()[0], 1),
               "goal_s": GOALS_S.get(tier)}
        rows.append(row)
        print(f"make {tier}: {'passed' if row['passed'] else 'FAILED'} in {wall / 60:.1f} min wall, "
              f"{row['user_cpu_s']} s user CPU; load {row['load_before']} -> {row['load_after']} "
              f"on {os.cpu_count()} CPUs" + (f"; goal {GOALS_S[tier] / 60:.0f} min" if tier in GOALS_S else ""),
              flush=True)
    record.write("tier_times", rows, notes=[f"{r['tier']}: {r['duration_s']} s wall at load {r['load_before']}"
                                            for r in rows])
    return 0 if all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
