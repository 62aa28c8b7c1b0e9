"""``dockopt bases ensure|catalog``: base images, local, pulled or offline stand-ins."""

from __future__ import annotations

import argparse

from ..units import human_seconds
from ._common import print_table, sizes


def run(args: argparse.Namespace) -> int:
    from .. import bases

    if args.action == "ensure":
        df = bases.ensure(args.references or None, progress=not args.quiet)
        print_table(df.assign(size=sizes(df["size_bytes"]), took=[human_seconds(t) for t in df["duration_s"]]),
                    ["reference", "action", "status", "size", "took"])
    else:
        df = bases.catalog()
        print_table(df.assign(size=sizes(df["size_bytes"])), ["reference", "role", "status", "size", "notes"])
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("bases", help="the offline base-image catalog")
    s.add_argument("action", choices=["ensure", "catalog"])
    s.add_argument("references", nargs="*", help="only these references (default: all)")
    s.add_argument("-q", "--quiet", action="store_true")
    s.set_defaults(func=run)
