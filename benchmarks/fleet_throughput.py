"""Fleet audit throughput against the local registry, and what it projects for 10,000 images.

    PYTHONPATH=. .venv/bin/python benchmarks/fleet_throughput.py [--repos 6 --versions 5 --payload-kb 2000]
    PYTHONPATH=. .venv/bin/python benchmarks/fleet_throughput.py --repo 'team/*'   (audit what a registry holds)

Measured in one run, on one registry ($DOCKOPT_REGISTRY, default 127.0.0.1:5000):

1. a fleet of real images pushed under a unique prefix (tests/fleet_images.py; image i carries an
   incompressible layer of (i % 3) × payload-kB so sizes differ), deleted at the end when the
   registry allows deletion;
2. ``dockopt audit`` with one worker: seconds and bytes read per image (the manifest, config and
   every layer blob), and a fit of seconds = fixed + bytes / rate over the images;
3. ``dockopt audit --jobs N`` (N = the CPUs here): throughput, and its ratio to one worker;
4. the registry's own bandwidth: every distinct blob downloaded (no parsing) by 8 threads;
5. the projection for 10,000 images on W workers: time = images × seconds/image / W while the
   workers ask for less than the registry serves; past that, time = bytes / registry bandwidth.
   The worker count where that happens is printed: beyond it, more workers do not help.

The projection (one row per worker count) and the measurements it rests on (as notes) are recorded in
benchmarks/results/fleet_throughput.json (``record.write``), which docs/fleet.md shows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/fleet_images.py, from a checkout

import record  # noqa: E402

from dockopt.fleet import audit  # noqa: E402
from dockopt.registry import Registry, default_registry  # noqa: E402

PROJECTED_IMAGES = 10_000


def _mb(n: float) -> str:
    return f"{n / 1e6:,.2f} MB"


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least squares y = a + b·x; (a, b)."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0
    return my - b * mx, b


def registry_bandwidth(host: str, blobs: list[tuple[str, str]], threads: int = 8) -> tuple[float, int, float]:
    """(bytes/s, bytes, seconds): every blob downloaded once, ``threads`` at a time, bytes discarded."""
    reg = Registry(host)

    def fetch(item: tuple[str, str]) -> int:
        return sum(len(chunk) for chunk in reg.blob(*item))

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(fetch, blobs))
    took = time.perf_counter() - started
    return total / took, total, took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", default=default_registry())
    parser.add_argument("--repo", help="audit these repositories (a glob) instead of pushing a fleet")
    parser.add_argument("--repos", type=int, default=6)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--payload-kb", type=int, default=2000, help="size step of the images' payload layer")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    pushed = None
    if args.repo:
        glob = args.repo
    else:
        from tests.fleet_images import push_fleet

        started = time.perf_counter()
        pushed = push_fleet(args.registry, repos=args.repos, versions=args.versions, payload_kb=args.payload_kb,
                            prefix=f"dockopt-bench-fleet-{os.getpid()}")
        glob = f"{pushed.prefix}/*"
        print(f"pushed {len(pushed.digests)} images under {pushed.prefix}/ in {time.perf_counter() - started:.1f} s")
    try:
        with tempfile.TemporaryDirectory(prefix="dockopt-fleet-bench-") as tmp:
            t0 = time.perf_counter()
            one = audit(args.registry, repo=glob, tags="all", output=Path(tmp) / "one", jobs=1)
            wall_one = time.perf_counter() - t0
            t0 = time.perf_counter()
            many = audit(args.registry, repo=glob, tags="all", output=Path(tmp) / "many", jobs=args.jobs)
            wall_many = time.perf_counter() - t0
            assert many.analysed == one.analysed
        ok = one.images[one.images["error"].isna()].drop_duplicates("digest")
        secs = [float(x) for x in ok["duration_s"]]
        read = [float(x) for x in ok["bytes_read"]]
        fixed_s, s_per_byte = _fit(read, secs)
        per_image_s = statistics.fmean(secs)
        per_image_bytes = statistics.fmean(read)
        worker_bps = sum(read) / sum(secs)
        located = one.layers.merge(ok[["digest", "repository"]], on="digest")  # a repository that holds each blob
        unique_blobs = dict(zip(located["layer_digest"], located["repository"]))
        bw, bw_bytes, bw_s = registry_bandwidth(args.registry, [(r, d) for d, r in unique_blobs.items()])
    finally:
        if pushed is not None:
            from tests.fleet_images import remove_fleet

            deleted = remove_fleet(pushed)
            print(f"removed {deleted} of {len(pushed.manifests)} manifests"
                  + ("" if deleted else " (the registry's deletion is disabled; the prefix is unique)"))
    n = len(ok)
    rate = 1 / s_per_byte / 1e6 if s_per_byte > 0 else float("inf")
    total_bytes = PROJECTED_IMAGES * per_image_bytes
    limit_workers = bw / worker_bps
    notes = [
        f"measured on {args.registry}: {n} images analysed ({one.failed} failed, on purpose), {os.cpu_count()} CPUs",
        f"one worker: {wall_one:.1f} s wall, {n / wall_one:.2f} images/s",
        f"{args.jobs} workers: {wall_many:.1f} s wall, {n / wall_many:.2f} images/s "
        f"({wall_one / wall_many:.2f}x one worker; process start-up included)",
        f"per image: {per_image_s:.3f} s mean, {statistics.median(secs):.3f} s median; "
        f"{_mb(per_image_bytes)} read (manifest + config + layers)",
        f"fit over the images: seconds = {fixed_s:.3f} + bytes / ({rate:.1f} MB/s)",
        f"one worker reads {worker_bps / 1e6:.1f} MB/s while analysing",
        f"the registry serves {bw / 1e6:.1f} MB/s ({len(unique_blobs)} blobs, {_mb(bw_bytes)}, 8 threads, "
        f"{bw_s:.2f} s)",
        f"projection for {PROJECTED_IMAGES:,} images like these: {_mb(total_bytes)} to read (each digest reads "
        "all its layers, shared or not)",
        f"the registry's bandwidth becomes the limit at about {limit_workers:.0f} workers "
        f"({bw / 1e6:.1f} MB/s / {worker_bps / 1e6:.1f} MB/s per worker)",
    ]
    rows = []
    for w in (1, 2, 4, 8, 16, 32, 64, 128):
        cpu = PROJECTED_IMAGES * per_image_s / w
        net = total_bytes / bw
        rows.append({"workers": w, "dockopt_bound_s": round(cpu, 1), "registry_bound_s": round(net, 1),
                     "projected_s": round(max(cpu, net), 1),
                     "limit": "dockopt" if cpu >= net else "registry bandwidth"})
    print("\n".join(notes))
    print(f"\n  {'workers':>8} {'dockopt-bound':>14} {'registry-bound':>15} {'projected':>10}  limit")
    for row in rows:
        print(f"  {row['workers']:>8} {row['dockopt_bound_s'] / 60:>12.1f} m {row['registry_bound_s'] / 60:>13.1f} m "
              f"{row['projected_s'] / 60:>8.1f} m  {row['limit']}")
    record.write("fleet_throughput", rows, notes=notes, engine=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
