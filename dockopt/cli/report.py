"""``dockopt report``: execute notebooks into offline HTML reports."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import DockoptError
from ._common import kv, print_table


def run(args: argparse.Namespace) -> int:
    from .. import report

    notebooks = args.notebooks or sorted(str(p) for p in Path("notebooks").glob("*.ipynb"))
    if not notebooks:
        raise DockoptError("no notebooks to render", hint="name them, or run from the repository root")
    table = report.render_all(notebooks, args.output, parameters=kv(args.parameter, "parameter"))
    print_table(table)
    print(f"\nindex: {Path(args.output) / 'index.html'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("report", help="execute notebooks into offline HTML reports")
    s.add_argument("notebooks", nargs="*", help="default: notebooks/*.ipynb")
    s.add_argument("-o", "--output", default="reports")
    s.add_argument("-p", "--parameter", action="append", metavar="KEY=VALUE",
                   help="override a value of the notebooks' parameters cell")
    s.set_defaults(func=run)
