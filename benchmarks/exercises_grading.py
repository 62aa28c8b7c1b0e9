"""Grade every exercise's starter and solution once; print what was measured and how long grading took.

    .venv/bin/python benchmarks/exercises_grading.py [--goal-s 300]

Run it twice: the first run builds cold (base layers, npm/pip/apt downloads, Go's standard library),
the second shows the warm cost a class pays per check. The goal is the whole set (every starter
and every solution) graded warm within ``--goal-s``; exit 1 if a solution fails, a starter passes,
or the goal is missed. A solution that needs a build secret is skipped while dockopt.build cannot
mount one (it says so).
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import time

import record

from dockopt import exercises
from dockopt.build import build
from dockopt.errors import ExerciseError
from dockopt.units import human_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goal-s", type=float, default=300.0, help="the whole set, warm (default 300 s)")
    args = parser.parse_args()
    os.environ.setdefault("DOCKOPT_NAMESPACE", "dockopt-bench")
    can_mount = "secrets" in inspect.signature(build).parameters
    rows, failures = [], 0
    started = time.monotonic()
    for ex in exercises.all_exercises():
        for side, folder in (("starter", ex.starter), ("solution", ex.solution)):
            try:
                card = exercises.check(ex, folder, progress=False)
            except ExerciseError as exc:
                if side == "solution" and not can_mount:
                    rows.append((ex.name, side, "skipped", exc.message.splitlines()[0][:60], 0.0))
                    continue
                raise
            wrong = card.passed if side == "starter" else not card.passed
            failures += wrong
            measured = "; ".join(f"{r['criterion']} {r['shown']}" for r in card.criteria.to_dict("records")
                                 if r["kind"] not in ("health",))
            rows.append((ex.name, side, card.score + (" (!)" if wrong else ""), measured, card.check_s))
    total = time.monotonic() - started
    width = max(len(r[0]) for r in rows)
    for name, side, score, measured, seconds in rows:
        print(f"{name:<{width}}  {side:<8}  {score:<8}  {human_seconds(seconds):>9}  {measured}")
    print(f"\n{len(rows)} checks in {human_seconds(total)}: {total / args.goal_s:.2f}x the {args.goal_s:.0f} s goal"
          f"; {failures} starter(s) passing or solution(s) failing")
    record.write("exercises_grading",
                 [dict(zip(("exercise", "side", "score", "measured", "check_s"), r)) for r in rows],
                 notes=[f"{len(rows)} checks in {human_seconds(total)}: {total / args.goal_s:.2f}x the "
                        f"{args.goal_s:.0f} s goal; {failures} starter(s) passing or solution(s) failing"])
    return 1 if failures or total > args.goal_s else 0


if __name__ == "__main__":
    sys.exit(main())
