"""``dockopt lint``: findings for Dockerfiles (static, fast) or, with ``--measure``, for a project or image,
each with what it costs in the image (bytes, rebuild seconds, evidence).

``--format table|json|sarif|junit`` chooses what is printed (``-o FILE`` writes it there instead); notes
about the tools (hadolint could not parse a file BuildKit reads) and progress go to stderr. Exit 1 when a
finding is an ``error`` (a secret in the image, a file BuildKit refuses), else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Any

from ._common import add_build_arg_option, build_args, print_json, print_table, records

FORMATS = ("table", "json", "sarif", "junit")


def _show(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings with one human ``cost`` column (bytes, seconds, or "static") and ``check``."""
    from ..units import human_bytes, human_seconds

    def cost(row: dict[str, Any]) -> str:
        parts = []
        if row["cost_bytes"]:
            parts.append(human_bytes(int(row["cost_bytes"])))
        if row["cost_s"]:
            parts.append(human_seconds(float(row["cost_s"])))
        return ", ".join(parts) or ("-" if row["measured"] else "static")

    return [{**row, "cost": cost(row), "line": "" if row["line"] is None else row["line"],
             "check": row["build_check"] or ""} for row in rows]


def _deprecated(flag: str, instead: str) -> None:
    warnings.warn(f"dockopt lint {flag} is deprecated: use {instead}", DeprecationWarning, stacklevel=2)
    print(f"note: {flag} is deprecated; use {instead}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from ..errors import DockoptError

    fmt = args.format
    if args.measure:
        if len(args.targets) != 1:
            raise DockoptError("--measure takes one project folder, Dockerfile or image",
                               hint="dockopt lint --measure sample_apps/node-express  (or an image reference)")
        from ..insight import measure

        m = measure(args.targets[0], dockerfile=args.file, target=args.target, build_args=build_args(args.build_arg),
                    edit=not args.no_edit, progress=not args.quiet and fmt == "table")
        rows = records(m.findings)  # NA -> None
        notes = list(m.notes)
        print(f"{m.image}: {len(rows)} finding(s), most costly first"
              + (f"; source edit measured on {m.edited_file}" if m.edited_file else ""), file=sys.stderr)
    else:
        from ..insight.findings import records as finding_records
        from ..insight.measure import lint_findings

        found, notes = lint_findings(args.targets, dockerfile=args.file)
        rows = finding_records(found)
        if rows and all(r["rule"] == "not-a-dockerfile" for r in rows) \
                and len({r["file"] for r in rows}) == len(args.targets):
            # nothing given was a Dockerfile: a usage error, said per path
            for r in rows:
                print(f"error: {r['file']}: {r['message']}", file=sys.stderr)
            raise DockoptError("nothing to lint: no path given is a Dockerfile",
                               hint="dockopt lint Dockerfile [more Dockerfiles or project folders]")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    failed = any(r["severity"] == "error" for r in rows)
    if args.json_file:
        _deprecated("--json-file FILE", "--format json -o FILE")
        with open(args.json_file, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=2, default=str)
    if fmt == "json":
        print_json(rows)
    elif fmt == "sarif":
        from ..insight.formats import sarif_json
        from . import version

        print(sarif_json(rows, notes=notes, version=version()))
    elif fmt == "junit":
        from ..insight.formats import junit_xml

        print(junit_xml(rows, files=[] if args.measure else [str(t) for t in args.targets], notes=notes), end="")
    else:
        shown = _show(rows)
        columns = ["cost", "rule", "severity", "file", "line", "message"] + (["check"] if any(r["check"] for r in shown)
                                                                              else [])
        if args.measure:
            columns.remove("file")
        print_table(shown, columns)
        if getattr(args, "verbose", 0) and rows:
            print()
            for r in rows:
                print(f"- {r['rule']} (line {r['line']}): {r['message']}\n    fix: {r['fix']}\n"
                      f"    evidence: {r['evidence']}")
    return 1 if failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("lint", help="Dockerfile findings (static), or with --measure what each one costs",
                       description="Static: dockopt's text rules and hadolint on each Dockerfile, fast. --measure: "
                                   "build the project (or read the image), then every rule with its measured cost. "
                                   "Exit codes: 0 no error finding, 1 an error finding, 2 usage, 3 could not run.")
    s.add_argument("targets", nargs="+", metavar="DOCKERFILE|PROJECT|IMAGE")
    s.add_argument("--measure", action="store_true",
                   help="build the project (folder or Dockerfile) or read the image, and measure each finding")
    s.add_argument("-f", "--file", default="Dockerfile", help="Dockerfile of a project folder (default Dockerfile)")
    s.add_argument("--target", help="build target (--measure)")
    add_build_arg_option(s)
    s.add_argument("--no-edit", action="store_true", help="skip the rebuild after a one-line source edit")
    s.add_argument("--format", choices=FORMATS, default="table",
                   help="table (default), json (records, raw numbers), sarif (2.1.0, code scanning), junit (XML)")
    s.add_argument("-o", "--output-file", dest="output_file", metavar="FILE",
                   help="write the findings (in --format) to FILE instead of stdout")
    s.add_argument("--json", action="store_true", help="same as --format json")
    s.add_argument("--json-file", metavar="FILE", help="deprecated: also write JSON to FILE; use --format json -o FILE")
    s.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                   help="print each finding's fix and evidence (and dockopt's log)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    s.set_defaults(func=run)
