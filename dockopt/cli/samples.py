"""``dockopt samples list|build``: the sample apps, listed or built (and smoke-tested)."""

from __future__ import annotations

import argparse

from ._common import print_table, sizes


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        from .. import samples

        print_table(samples.samples_table())
        return 0
    from .. import experiments

    table = experiments.build_samples(args.names or None, variants=args.variant, smoke=args.smoke,
                                      progress=not args.quiet)
    shown = table.assign(size=sizes(table["size_bytes"]),
                         image=table["image"].fillna(""), note=table["note"].fillna(""))
    print_table(shown, ["sample", "build", "status", "image", "size", "note"])
    counts = table["status"].value_counts()
    print("\n" + ", ".join(f"{counts.get(s, 0)} {s}" for s in experiments.BUILD_STATUSES))
    return 1 if counts.get("failed", 0) else 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("samples", help="list or build the sample apps")
    s.add_argument("action", choices=["list", "build"])
    s.add_argument("names", nargs="*", help="sample names (default: all)")
    s.add_argument("--variant", action="append", help="naive, optimised, ... (default: all)")
    s.add_argument("--smoke", action="store_true", help="start each image and wait for its health check")
    s.add_argument("-q", "--quiet", action="store_true")
    s.set_defaults(func=run)
