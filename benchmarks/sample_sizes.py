"""Build every sample both ways and print naive vs optimised sizes against the issue's targets.

    .venv/bin/python benchmarks/sample_sizes.py [--csv benchmarks/out/sample_sizes.csv] [SAMPLE ...]

Columns: naive and optimised bytes, reduction % (target: Node >= 80, Vue >= 90, Go >= 97,
Java >= 65, Python >= 50), which base each used and what the engine has there (bases.probe:
stand-in, pulled, local or builtin), and the floor - runtime base + the app's artefacts - with the optimised
image's distance above it (goal: <= 10 %). Exit code 1 if a target or the floor goal is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import record

from dockopt import experiments, samples


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", nargs="*", help="sample names (default: all)")
    parser.add_argument("--csv", type=Path, help="also write the table as CSV here")
    args = parser.parse_args(argv)

    chosen = [samples.load(n) for n in args.samples] if args.samples else samples.all_samples()
    started = time.monotonic()
    df = experiments.measure_sizes(chosen)
    wall = time.monotonic() - started

    measured = df[df["skipped"].isna()].copy()
    table = measured.assign(
        naive=measured["naive_bytes"].map(_mb), optimised=measured["optimised_bytes"].map(_mb),
        reduction=measured["reduction_pct"].map(lambda p: f"{p:.1f} %"),
        target=measured["target_pct"].map(lambda p: "-" if p != p or p is None else f">= {p:.0f} %"),
        ok=measured["meets_target"].map(lambda v: "-" if v is None or v != v else ("yes" if v else "NO")),
        naive_base=measured["naive_base"] + " (" + measured["naive_base_status"] + ")",
        runtime_base=measured["runtime_base"] + " (" + measured["runtime_base_status"] + ")",
        floor=measured["floor_bytes"].map(_mb),
        above_floor=measured["floor_distance_pct"].map(lambda p: f"{p:+.1f} %"),
    )[["sample", "service", "naive", "optimised", "reduction", "target", "ok", "floor", "above_floor",
       "naive_base", "runtime_base"]]
    print(table.to_string(index=False))
    for _, row in df[df["skipped"].notna()].iterrows():
        print(f"{row['sample']}: skipped - {row['skipped']}")
    print(f"\nmeasured in {wall:.0f} s")
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(args.csv, index=False)
    record.write("sample_sizes",
                 [{"sample": r["sample"], "service": r["service"], "naive_bytes": r["naive_bytes"],
                   "optimised_bytes": r["optimised_bytes"], "reduction_pct": r["reduction_pct"],
                   "target_pct": r["target_pct"], "meets_target": r["meets_target"],
                   "above_floor_pct": r["floor_distance_pct"],
                   "runtime_base": f"{r['runtime_base']} ({r['runtime_base_status']})"}
                  for r in measured.to_dict("records")],
                 notes=[*(f"{r['sample']}: skipped - {r['skipped']}"
                          for r in df[df["skipped"].notna()].to_dict("records")), f"measured in {wall:.0f} s"])
    missed = measured[(measured["meets_target"] == False) | (measured["within_floor"] == False)]  # noqa: E712
    if len(missed):
        print("MISSED: " + ", ".join(f"{r.sample}/{r.service}" for r in missed.itertuples()), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
