"""Push every sample's naive and optimised images to the registry and print what each sends.

    .venv/bin/python benchmarks/pushed_sizes.py [SAMPLE ...]      (needs a registry: `make registry`)

For each service of each sample: bytes in the engine (uncompressed, what the README's size table
shows) and bytes pushed (the layers' compressed sizes from the registry's manifest), naive and
optimised, and the ratio naive/optimised of each. Images are built first (cached builds when
`make samples` ran) under the usual namespace.
"""

from __future__ import annotations

import argparse
import time

import record

from dockopt import experiments, samples


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", nargs="*", help="sample names (default: all)")
    args = parser.parse_args(argv)
    chosen = [samples.load(n) for n in args.samples] if args.samples else samples.all_samples()
    started = time.monotonic()
    rows, notes = [], []
    print(f"{'sample/service':32} {'naive':>12} {'pushed':>11} {'optimised':>11} {'pushed':>10} "
          f"{'ratio (engine)':>15} {'ratio (pushed)':>15}")
    for s in chosen:
        if s.registry_only:
            print(f"{s.name:32} skipped: {s.registry_reason}")
            notes.append(f"{s.name}: skipped - {s.registry_reason}")
            continue
        for svc in s.services("optimised"):
            builds = [experiments.build_sample(s, v, target=svc.target, progress=False) for v in ("naive", "optimised")]
            t = experiments.transfer(builds, pull=False, fetch=False, progress=False).images
            (n_size, o_size), (n_push, o_push) = t["size_bytes"].tolist(), t["compressed_bytes"].tolist()
            name = s.name if svc.target is None else f"{s.name}/{svc.name}"
            print(f"{name:32} {_mb(n_size):>12} {_mb(n_push):>11} {_mb(o_size):>11} {_mb(o_push):>10} "
                  f"{n_size / o_size:>14.1f}x {n_push / o_push:>14.1f}x", flush=True)
            rows.append({"image": name, "naive_bytes": n_size, "naive_pushed_bytes": n_push, "optimised_bytes": o_size,
                         "optimised_pushed_bytes": o_push, "engine_ratio": n_size / o_size,
                         "pushed_ratio": n_push / o_push})
    print(f"\nmeasured in {time.monotonic() - started:.0f} s")
    record.write("pushed_sizes", rows, notes=[*notes, f"measured in {time.monotonic() - started:.0f} s"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
