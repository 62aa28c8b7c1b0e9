"""``dockopt report``: execute notebooks into offline HTML reports."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DockoptError
from ._common import kv, print_table, progress_line

if TYPE_CHECKING:  # pragma: no cover
    from .. import report as report_mod


def run(args: argparse.Namespace) -> int:
    from .. import report

    notebooks = args.notebooks or sorted(str(p) for p in Path("notebooks").glob("*.ipynb"))
    if not notebooks:
        raise DockoptError("no notebooks to render", hint="name them, or run from the repository root")
    table = report.render_all(notebooks, args.output, parameters=kv(args.parameter, "parameter"),
                              on_progress=_progress)
    print_table(table, ["report", "duration_s", "headlines"])
    print(f"\nindex: {Path(args.output) / 'index.html'}  (the front page: every report's question, "
          "headline figures and conclusion; opens offline)")
    return 0


def _progress(index: int, total: int, name: str, done: report_mod.Report | None) -> None:
    from ..units import human_seconds

    if done is None:
        progress_line(f"[{index}/{total}] {name}: running the notebook ...")
    else:
        found = f": {done.headlines[0]}" if done.headlines else ""
        progress_line(f"[{index}/{total}] {name}: rendered in {human_seconds(done.duration_s)}{found}")


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("report", help="execute notebooks into offline HTML reports")
    s.add_argument("notebooks", nargs="*", help="default: notebooks/*.ipynb")
    s.add_argument("-o", "--output", default="reports")
    s.add_argument("-p", "--parameter", action="append", metavar="KEY=VALUE",
                   help="override a value of the notebooks' parameters cell")
    s.set_defaults(func=run)
