"""``dockopt samples list|build``: the sample apps, listed or built (and smoke-tested).

``build`` says on stderr what it is doing as each image is built, started and found healthy (not
with ``-q``), then prints the table and a summary in human units: what each sample's optimised
Dockerfile saved, and where to look next.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from ..units import human_bytes, human_seconds
from ._common import add_json_option, print_table, progress_line

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..experiments import SampleProgress


def show_progress(event: SampleProgress) -> None:
    """One stderr line per phase of one image: building, built, starting, healthy, skipped, failed."""
    width = len(str(event.total))
    head = f"[{event.index:>{width}}/{event.total}] {event.sample} {event.build}"
    if event.phase == "building":
        text = "building ..."
    elif event.phase == "built":
        cached = (f", {event.cached_steps}/{event.steps} steps cached" if event.steps else "")
        text = f"built {human_bytes(event.size_bytes)} in {human_seconds(event.duration_s)}{cached}"
    elif event.phase == "starting":
        text = "starting a container, waiting for its health check ..."
    elif event.phase == "healthy":
        text = f"healthy: answered its health check {human_seconds(event.duration_s)} after start"
    else:  # skipped / failed
        text = f"{event.phase.upper() if event.phase == 'failed' else event.phase}: {event.note}"
    progress_line(f"{head}: {text}")


def headlines(table: pd.DataFrame) -> list[str]:
    """"node-express: 1.09 GB → 152 MB, 86.1 % smaller" for each sample whose naive and optimised
    images were both built (the optimised one on the manifest's default runtime base)."""
    from .. import samples

    size: dict[tuple[str, str], int] = {
        (str(sample), str(build)): int(n) for sample, build, status, n in
        zip(table["sample"], table["build"], table["status"], table["size_bytes"], strict=True)
        if status in ("built", "healthy")}
    lines = []
    for name in dict.fromkeys(table["sample"]):
        sample = samples.load(name)
        optimised = f"optimised-{sample.default_base}" if sample.default_base else "optimised"
        pairs = [("naive", optimised, name)]
        pairs += [(f"naive-{t.name}", f"optimised-{t.name}", f"{name} {t.name}") for t in sample.targets]
        for naive, opt, subject in pairs:
            before, after = size.get((name, naive)), size.get((name, opt))
            if before and after:
                lines.append(f"{subject}: {human_bytes(before)} → {human_bytes(after)}, "
                             f"{100 * (1 - after / before):.1f} % smaller")
    return lines


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        from .. import samples

        print_table(samples.samples_table(), as_json=args.json)
        return 0
    from .. import experiments

    started = time.monotonic()
    quiet = args.quiet
    table = experiments.build_samples(args.names or None, variants=args.variant, smoke=args.smoke,
                                      progress=not quiet and sys.stderr.isatty(),
                                      on_progress=None if quiet else show_progress)
    failed = int((table["status"] == "failed").sum())
    if args.json:
        print_table(table, as_json=True)
        return 1 if failed else 0
    if not quiet:
        progress_line("")
    print_table(table, ["sample", "build", "status", "image", "size_bytes", "build_s", "healthy_s", "note"])
    counts = table["status"].value_counts()
    print(f"\n{len(table)} images in {human_seconds(time.monotonic() - started)}: "
          + ", ".join(f"{counts.get(s, 0)} {s}" for s in experiments.BUILD_STATUSES))
    saved = headlines(table)
    if saved:
        print("naive → optimised (default runtime base):\n  " + "\n  ".join(saved))
    built = table[table["status"].isin(["built", "healthy"])]
    steps = [(f"dockopt analyze {built['image'].iloc[0]}", "where that image's bytes went: waste, secrets, packages")
             ] if len(built) else []
    steps.append(("dockopt report -o reports", "notebooks → reports/index.html, the whole story at a glance"))
    if failed:
        steps.append(("dockopt doctor", f"{failed} image(s) failed (see the note column): is the setup complete?"))
    width = max(len(command) for command, _ in steps)
    print("\nnext:\n" + "\n".join(f"  {command:<{width}}  {why}" for command, why in steps))
    return 1 if failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("samples", help="list or build the sample apps")
    s.add_argument("action", choices=["list", "build"])
    s.add_argument("names", nargs="*", help="sample names (default: all)")
    s.add_argument("--variant", action="append", help="naive, optimised, ... (default: all)")
    s.add_argument("--smoke", action="store_true", help="start each image and wait for its health check")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress lines (for CI logs)")
    add_json_option(s)
    s.set_defaults(func=run)
