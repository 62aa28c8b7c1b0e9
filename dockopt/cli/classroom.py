"""``dockopt class prepare|grade``: run a training session on one engine.

``prepare`` builds every exercise's starter and solution once (a warm cache for the class) and says
what is missing; ``grade CLASS -o OUT`` grades every learner × exercise folder in parallel into one
offline page, ``--watch`` keeps it current while the session runs.
"""

from __future__ import annotations

import argparse
import sys

from ._common import print_table


def run_prepare(args: argparse.Namespace) -> int:
    from ..report.classroom import prepare_room

    def graded(card: object) -> None:
        if not args.quiet:
            print(f"  {card.exercise} {card.learner}: {card.score}", file=sys.stderr)  # type: ignore[attr-defined]

    table = prepare_room(args.exercise or None, jobs=args.jobs, on_graded=graded)
    if args.output:
        from pathlib import Path

        from ..report.trainer import ROOM_FILE

        Path(args.output).mkdir(parents=True, exist_ok=True)
        (Path(args.output) / ROOM_FILE).write_text(table.to_json(orient="records", indent=1), encoding="utf-8")
    print_table(table, ["exercise", "solution_passes", "starter_fails", "solution_s", "starter_s"])
    problems = table[table["problem"] != ""]
    for row in problems.to_dict("records"):
        print(f"{row['exercise']}: {row['problem']}")
    bases = sorted({b for text in table["bases"] for b in text.split(", ") if b})
    print(f"\nbases the exercises use: {', '.join(bases) or 'none'}")
    print("room ready" if problems.empty else f"{len(problems)} exercise(s) need attention before the class")
    return 0 if problems.empty else 1


def run_grade(args: argparse.Namespace) -> int:
    from ..report.classroom import grade_room, watch_room

    def graded(attempt: object) -> None:
        if not args.quiet:
            a = attempt
            print(f"  {a.learner} {a.exercise}: {a.card.score}", file=sys.stderr)  # type: ignore[attr-defined]

    kwargs = {"exercises": args.exercise or None, "jobs": args.jobs, "regrade": args.regrade, "on_graded": graded}
    if args.watch:
        print(f"watching {args.class_dir} every {args.watch:g} s; open {args.output}/index.html (Ctrl-C stops)",
              file=sys.stderr)
        try:
            room = watch_room(args.class_dir, args.output, interval_s=args.watch, **kwargs)
        except KeyboardInterrupt:
            return 0
    else:
        room = grade_room(args.class_dir, args.output, **kwargs)
    grid = room.grid
    if not grid.empty:
        table = grid.pivot(index="learner", columns="exercise", values="score").fillna("–").reset_index()
        print_table(table, list(table.columns))
    print(f"\ngraded {room.graded_now} folder(s) in {room.grading_s:g} s; scoreboard: {room.html_path}",
          file=sys.stderr)
    return 0


def run_calibrate(args: argparse.Namespace) -> int:
    from ..exercises.calibrate import calibrate, limits_file

    table = calibrate(args.exercise or None, margin=args.margin, path=args.output)
    print_table(table, ["exercise", "criterion", "solution", "spec_limit", "limit"])
    print(f"\nlimits written to {args.output or limits_file()}; every check on this machine now uses them",
          file=sys.stderr)
    return 0


def run_kit(args: argparse.Namespace) -> int:
    from ..report.trainer import trainer_kit

    kit = trainer_kit(args.reports, args.output, room_dir=args.room)
    for name, blocks in kit.sessions.items():
        print(f"{name}: {len([b for b in blocks if b.kind != 'break'])} blocks, "
              f"{sum(b.minutes for b in blocks):.0f} min")
    print(f"{len(kit.wrong_or_incomplete)} of {len(kit.claims)} measured claims of the guide do not fully hold")
    print(f"kit: {kit.html_path} and {kit.markdown_path}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("class", help="a training session: prepare the engine, grade a class live")
    actions = s.add_subparsers(dest="action", required=True, metavar="ACTION")

    p = actions.add_parser("prepare", help="build every starter and solution once; say what is missing")
    p.add_argument("--exercise", action="append", metavar="NAME", help="only this exercise (repeatable)")
    p.add_argument("--jobs", type=int, default=2, help="gradings at once (default 2)")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="also write the table as DIR/room.json (what `dockopt class kit --room DIR` reads)")
    p.add_argument("-q", "--quiet", action="store_true", help="no line per graded folder")
    p.set_defaults(func=run_prepare)

    p = actions.add_parser("kit", help="the trainer's kit from the rendered course: outlines, map, talking points")
    p.add_argument("--reports", default="reports", metavar="DIR", help="the rendered reports (default: reports)")
    p.add_argument("--room", metavar="DIR", help="where `dockopt class prepare -o DIR` wrote room.json")
    p.add_argument("-o", "--output", metavar="DIR", help="where trainer.html and trainer.md go (default: --reports)")
    p.set_defaults(func=run_kit)

    p = actions.add_parser("calibrate", help="set base-dependent limits relative to each solution measured here")
    p.add_argument("--exercise", action="append", metavar="NAME", help="only this exercise (repeatable)")
    p.add_argument("--margin", type=float, default=1.2, help="bytes limit = solution × MARGIN (default 1.2)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="the limits file (default: $DOCKOPT_EXERCISE_LIMITS or ~/.local/state/dockopt/...)")
    p.set_defaults(func=run_calibrate)

    p = actions.add_parser("grade", help="grade every learner × exercise under CLASS into one offline page")
    p.add_argument("class_dir", metavar="CLASS", help="a folder holding one folder per learner")
    p.add_argument("-o", "--output", default="classroom", metavar="DIR",
                   help="where the page and the attempt history go (default: ./classroom)")
    p.add_argument("--exercise", action="append", metavar="NAME", help="only this exercise (repeatable)")
    p.add_argument("--jobs", type=int, default=2, help="gradings at once (default 2)")
    p.add_argument("--watch", type=float, metavar="SECONDS",
                   help="grade again every SECONDS (only changed folders), the page reloads itself")
    p.add_argument("--regrade", action="store_true", help="grade unchanged folders again")
    p.add_argument("-q", "--quiet", action="store_true", help="no line per graded folder")
    p.set_defaults(func=run_grade)
