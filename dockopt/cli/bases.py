"""``dockopt bases ensure|catalog``: base images, local, pulled or offline stand-ins."""

from __future__ import annotations

import argparse
import sys

from ..units import human_seconds
from ._common import add_json_option, print_table, progress_line

_ENSURE = ["reference", "action", "status", "size_bytes", "duration_s", "detail"]
_CATALOG = ["reference", "role", "status", "size_bytes", "notes"]


def run(args: argparse.Namespace) -> int:
    from .. import bases

    if args.action == "catalog":
        df = bases.catalog(args.references or None)
        print_table(df, None if args.json else _CATALOG, as_json=args.json)
        return 0
    # tqdm's bar redraws one line: on a terminal that is progress, in a log file it is noise; there one
    # line per image says the same
    on_tty = sys.stderr.isatty()
    df = bases.ensure(args.references or None, progress=not args.quiet and not args.json and on_tty,
                      on_progress=None if args.quiet or on_tty else _line)
    if args.json:
        print_table(df, as_json=True)
        return 0
    print_table(df, _ENSURE)
    counts = df["action"].value_counts()
    made = df[df["action"] == "built-stand-in"]
    print(f"\n{len(df)} base images in {human_seconds(df.attrs.get('total_s'))}: "
          + ", ".join(f"{n} {action}" for action, n in counts.items()))
    if len(made):
        print(f"stand-ins built now: {len(made)}, {human_seconds(float(made['duration_s'].max()))} the longest; "
              "reports name every stand-in they used")
    print("next: `dockopt bases catalog` lists them; `dockopt samples build --smoke` builds the samples on them")
    return 0


def _line(done: int, total: int, reference: str, action: str) -> None:
    progress_line(f"[{done}/{total}] {reference}: {action}")


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("bases", help="the offline base-image catalog")
    s.add_argument("action", choices=["ensure", "catalog"])
    s.add_argument("references", nargs="*", help="only these references (default: all)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar (for CI logs)")
    add_json_option(s)
    s.set_defaults(func=run)
