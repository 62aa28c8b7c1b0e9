"""Cold and warm provisioning of the whole base-image catalog, against the goals (180 s / 5 s).

    .venv/bin/python benchmarks/bases_provision.py            # cold: remove stand-ins + download cache
    .venv/bin/python benchmarks/bases_provision.py --in-place  # cold, but rebuild stand-ins in place
    .venv/bin/python benchmarks/bases_provision.py --warm-only

Cold removes only what dockopt owns: images labelled ``io.dockopt.standin=true`` (by tag: an image
other images are built on is only untagged) and the download cache ``${XDG_CACHE_HOME:-~/.cache}/dockopt``.
``--in-place`` keeps the stand-in tags answering while it rebuilds them (``ensure(rebuild=True)``
after emptying the download cache): use it on a shared engine where others build on the stand-ins.
Every build starts from a freshly imported debian:bookworm-slim, so no BuildKit step is a cache hit.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time

import record

from dockopt import bases, engine
from dockopt.bases.catalog import is_standin_of
from dockopt.bases.debs import cache_dir
from dockopt.naming import LABEL_STANDIN

COLD_GOAL_S = 180.0
WARM_GOAL_S = 5.0


def remove_standins() -> int:
    """Untag/remove the stand-ins themselves. Images built FROM a stand-in inherit its labels, so a
    tag is removed only where the image is the stand-in for exactly that tag."""
    removed = 0
    for image in engine.list_images(label=f"{LABEL_STANDIN}=true"):
        for tag in image.get("RepoTags") or []:
            if tag != "<none>:<none>" and is_standin_of(tag, image.get("Labels")):
                engine.remove_image(tag)
                removed += 1
    return removed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--in-place", action="store_true", help="rebuild stand-ins without untagging them first")
    p.add_argument("--warm-only", action="store_true")
    p.add_argument("--json", action="store_true", help="print one JSON line with the numbers")
    args = p.parse_args(argv)
    results: dict[str, float] = {}
    if not args.warm_only:
        shutil.rmtree(cache_dir(), ignore_errors=True)
        if not args.in_place:
            print(f"removed {remove_standins()} stand-in tags", file=sys.stderr)
        t0 = time.monotonic()
        cold = bases.ensure(progress=True, rebuild=args.in_place)
        results["cold_s"] = time.monotonic() - t0
        built = cold[cold["action"] == "built-stand-in"]
        print(built[["reference", "duration_s", "size_bytes"]].to_string(index=False), file=sys.stderr)
    t0 = time.monotonic()
    bases.ensure(progress=False)
    results["warm_s"] = time.monotonic() - t0
    if args.json:
        print(json.dumps({k: round(v, 2) for k, v in results.items()}))
    for key, goal in (("cold_s", COLD_GOAL_S), ("warm_s", WARM_GOAL_S)):
        if key in results:
            print(f"{key[:-2]:>4}: {results[key]:7.1f} s   goal {goal:5.0f} s   ratio {results[key] / goal:.2f}")
    record.write("bases_provision", [{"run": key[:-2], "duration_s": results[key], "goal_s": goal,
                                      "ratio": results[key] / goal}
                                     for key, goal in (("cold_s", COLD_GOAL_S), ("warm_s", WARM_GOAL_S))
                                     if key in results])
    return 0


if __name__ == "__main__":
    sys.exit(main())
