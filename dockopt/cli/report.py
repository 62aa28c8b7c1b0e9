"""``dockopt report``: execute notebooks into offline HTML reports; or report on any project
(``--project``) or image (``--image``) from the templates shipped in the package."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DockoptError
from ._common import add_json_option, kv, print_table, progress_line

if TYPE_CHECKING:  # pragma: no cover
    from .. import report as report_mod


def run(args: argparse.Namespace) -> int:
    from .. import extras, report

    extras.require("report", "dockopt report")
    if args.optimise and not args.project:
        raise DockoptError("--optimise goes with --project", hint="dockopt report --project PATH --optimise")

    if args.fleet:
        from ..report.fleet import render_fleet_report

        fleet = render_fleet_report(args.fleet, args.output)
        print(f"fleet report: {fleet.html_path} ({fleet.html_bytes / 1e6:.1f} MB, {fleet.charts} charts; "
              f"opens offline); notebook: {fleet.notebook_path}")
        return 0
    if args.project or args.image:
        if args.notebooks or args.parameter:
            raise DockoptError("--project/--image render a built-in template: give no notebooks or -p",
                               hint="dockopt report --project PATH [-f Dockerfile] [--target T] [-o DIR]")
        out = args.output or report.DEFAULT_OUTPUT
        what = ("building, rebuilding after edits (on a copy) and trying other runtime bases" if args.project
                else "reading the image")
        if args.optimise:
            what += ", then climbing the proposal of `dockopt optimise` (ten to fifteen builds more)"
        print(f"rendering the report: {what}; this takes a few minutes...", file=sys.stderr, flush=True)
        if args.project:
            done = report.render_project(args.project, dockerfile=args.file, target=args.target, output_dir=out,
                                         no_input=args.no_input, optimise=args.optimise)
        else:
            done = report.render_image(args.image, output_dir=out, no_input=args.no_input)
        print(f"wrote the report: {done.html_path} ({done.html_bytes / 1e6:.1f} MB, {done.duration_s:.0f} s; "
              "opens offline)", file=sys.stderr)
        if done.standins:
            print(f"offline stand-in bases (named in the report's banner): {', '.join(done.standins)}",
                  file=sys.stderr)
        return 0
    if args.file or args.target:
        raise DockoptError("-f/--target go with --project", hint="dockopt report --project PATH -f Dockerfile.prod")
    notebooks = _notebooks(args.notebooks)
    if not notebooks:
        raise DockoptError("no notebooks to render",
                           hint="name notebooks or a folder of them, or report on a project: --project PATH")
    out = args.output or "reports"
    table = report.render_all(notebooks, out, parameters=kv(args.parameter, "parameter"), on_progress=_progress)
    if args.json:
        print_table(table, as_json=True)
        return 0
    print_table(table, ["report", "duration_s", "headlines"])
    print(f"\nindex: {Path(out) / 'index.html'}  (the front page: every report's question, "
          "headline figures and conclusion; opens offline)")
    return 0


def _notebooks(given: list[str]) -> list[str]:
    """What to render: the notebooks named, the notebooks of each folder named (its own, then its
    ``guide/``), or by default the course installed with dockopt (``dockopt.content``); any that prunes
    the build cache goes last, so that the builds of the others stay warm (``report.prunes_build_cache``)."""
    from .. import content
    from ..report import prunes_build_cache

    found = [] if given else content.notebooks()
    for item in given:
        found += content.notebooks(item) if Path(item).is_dir() else [Path(item)]
    return [str(p) for p in sorted(found, key=prunes_build_cache)]  # sorted() is stable: the order is kept otherwise


def _progress(index: int, total: int, name: str, done: report_mod.Report | None) -> None:
    from ..units import human_seconds

    if done is None:
        progress_line(f"[{index}/{total}] {name}: running the notebook ...")
    else:
        found = f": {done.headlines[0]}" if done.headlines else ""
        progress_line(f"[{index}/{total}] {name}: rendered in {human_seconds(done.duration_s)}{found}")


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("report", help="offline HTML reports: of notebooks, of any project (--project) or image "
                                      "(--image)")
    s.add_argument("notebooks", nargs="*", help="notebooks or folders of them (default: the course installed with "
                                                  "dockopt: its notebooks, then the chapters in guide/)")
    which = s.add_mutually_exclusive_group()
    which.add_argument("--project", metavar="PATH", help="report on the project in PATH (build, layers, cache, bases)")
    which.add_argument("--image", metavar="REF|ARCHIVE", help="report on an image alone, from the engine or an archive")
    which.add_argument("--fleet", metavar="DIR",
                       help="report on a fleet audit (`dockopt audit -o DIR`): one offline page")
    s.add_argument("-f", "--file", help="with --project: the Dockerfile, relative to PATH (default: Dockerfile)")
    s.add_argument("--target", help="with --project: the --target stage to build")
    s.add_argument("--optimise", action="store_true",
                   help="with --project: add the proposal of `dockopt optimise` (its ladder, before and after, the "
                        "diff, both images side by side); ten to fifteen builds more, so off by default")
    s.add_argument("--no-input", action="store_true", help="hide the code cells (the story only)")
    s.add_argument("-o", "--output", help="output folder (default: reports, or ./dockopt-report for --project/--image)")
    s.add_argument("-p", "--parameter", action="append", metavar="KEY=VALUE",
                   help="override a value of the notebooks' parameters cell")
    add_json_option(s, "the rendered reports (notebooks only)", output=False)
    s.set_defaults(func=run)
