"""``dockopt exercise list|check|report``: graded exercises for team training.

``check`` exits 0 when every criterion passes, 1 when one fails (or the Dockerfile does not build),
2 on bad input (unknown exercise, a folder without a Dockerfile), like every command.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from ._common import add_json_option, print_table

if TYPE_CHECKING:  # pragma: no cover
    from ..exercises import Scorecard


def run_list(args: argparse.Namespace) -> int:
    from ..exercises import catalog

    table = catalog()
    if args.json:
        print(table.to_json(orient="records"))
        return 0
    print_table(table, ["name", "level", "title"])
    print("\ngrade your copy of a starter: dockopt exercise check NAME --path DIR (README.md in each folder)",
          file=sys.stderr)
    return 0


def run_check(args: argparse.Namespace) -> int:
    from ..exercises import check, load

    ex = load(args.name)
    path = ex.solution if args.solution else ex.starter if args.starter else args.path
    card = check(ex, path, keep=args.keep, progress=not args.quiet)
    if args.json:
        print(json.dumps(card.to_record(), indent=2))
    else:
        print(card.to_text())
    return 0 if card.passed else 1


def run_report(args: argparse.Namespace) -> int:
    from ..report.scoreboard import class_report

    def graded(card: Scorecard) -> None:
        if not args.quiet:
            print(f"  {card.learner}: {card.score}, {card.verdict()}", file=sys.stderr)

    report = class_report(args.name, args.class_dir, args.output, keep=args.keep, progress=False, on_graded=graded)
    print_table(report.learners, ["learner", "score", "passed", "check_s"])
    passed = int(report.learners["passed"].sum())
    print(f"\n{passed}/{len(report.cards)} learners passed every criterion; scoreboard: {report.html_path}")
    return 0


def run_hint(args: argparse.Namespace) -> int:
    from ..exercises.hints import hint

    print(hint(args.name, args.path, show_opened=args.all, reset=args.reset).to_text())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("exercise", help="graded exercises: list them, check a Dockerfile, score a class")
    actions = s.add_subparsers(dest="action", required=True, metavar="ACTION")

    p = actions.add_parser("list", help="the exercises, easiest first")
    add_json_option(p, "the list")
    p.set_defaults(func=run_list)

    p = actions.add_parser("check", help="build a Dockerfile and grade every criterion of an exercise")
    p.add_argument("name", help="exercise: 01-dockerignore, 01 or dockerignore")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--path", metavar="DIR", help="the folder with your Dockerfile (default: the current one)")
    where.add_argument("--starter", action="store_true", help="grade the exercise's starter (it fails)")
    where.add_argument("--solution", action="store_true", help="grade the exercise's solution (it passes)")
    p.add_argument("--keep", action="store_true", help="keep the graded image (default: removed)")
    add_json_option(p, "the scorecard")
    p.add_argument("-q", "--quiet", action="store_true", help="no build progress bar")
    p.set_defaults(func=run_check)

    p = actions.add_parser("hint", help="the next hint of an exercise, one at a time")
    p.add_argument("name", help="exercise: 01-dockerignore, 01 or dockerignore")
    p.add_argument("--path", metavar="DIR", help="the folder you work in (default: the current one)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--all", action="store_true", help="show the hints opened so far, open no new one")
    how.add_argument("--reset", action="store_true", help="forget which hints were opened")
    p.set_defaults(func=run_hint)

    p = actions.add_parser("report", help="grade every learner folder under --class DIR; one offline HTML scoreboard")
    p.add_argument("name", help="exercise: 01-dockerignore, 01 or dockerignore")
    p.add_argument("--class", dest="class_dir", required=True, metavar="DIR",
                   help="a folder holding one folder per learner, each with its Dockerfile")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write the HTML (default: ./scoreboard-NAME.html)")
    p.add_argument("--keep", action="store_true", help="keep the graded images (default: removed)")
    p.add_argument("-q", "--quiet", action="store_true", help="no line per learner while grading")
    p.set_defaults(func=run_report)
