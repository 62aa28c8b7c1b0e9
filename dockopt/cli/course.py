"""``dockopt course init DIR``: a working copy of the course (notebooks, samples, exercises) to open in JupyterLab."""

from __future__ import annotations

import argparse


def run_init(args: argparse.Namespace) -> int:
    from .. import course

    done = course.init(args.directory, with_solutions=args.with_solutions, into_existing=args.into_existing)
    print(f"course copied to {done.root}: {len(done.written)} files written"
          + (f", {len(done.kept)} already there and left as they were" if done.kept else "")
          + ("; exercise solutions included" if done.with_solutions else ""))
    print(f"next: {done.next_step}   (needs the lab extra: pip install 'dockopt[lab]')")
    print("grade an exercise: dockopt exercise check NAME --path DIR/exercises/NAME/starter")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("course", help="the course: copy its notebooks, samples and exercises into a folder")
    actions = s.add_subparsers(dest="action", required=True, metavar="ACTION")
    i = actions.add_parser("init", help="copy the course into DIR (a new or empty folder), then: jupyter lab DIR")
    i.add_argument("directory", metavar="DIR")
    i.add_argument("--with-solutions", action="store_true",
                   help="also copy the exercises' solutions (for a trainer)")
    i.add_argument("--into-existing", action="store_true",
                   help="DIR may hold files: copy only what is missing there, change nothing that exists")
    i.set_defaults(func=run_init)
