"""``dockopt lint``: findings for Dockerfiles (static, fast) or, with ``--measure``, for a project or image,
each with what it costs in the image (bytes, rebuild seconds, evidence).

``--format table|json|sarif|junit`` chooses what is printed (``-o FILE`` writes it there instead); notes
about the tools (hadolint could not parse a file BuildKit reads) and progress go to stderr. Exit 1 when a
finding is an ``error`` (a secret in the image, a file BuildKit refuses), else 0.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from typing import TYPE_CHECKING, Any

from ._common import add_build_arg_option, build_args, print_json, print_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

FORMATS = ("table", "json", "sarif", "junit")


def _show(df: pd.DataFrame) -> pd.DataFrame:
    """The findings with one human ``cost`` column (bytes, seconds, or "static")."""
    import pandas as pd

    from ..units import human_bytes, human_seconds

    def cost(b: Any, s: Any, measured: bool) -> str:
        parts = []
        if not pd.isna(b) and int(b):
            parts.append(human_bytes(int(b)))
        if not pd.isna(s) and float(s):
            parts.append(human_seconds(float(s)))
        return ", ".join(parts) or ("-" if measured else "static")

    out = df.copy()
    out["cost"] = [cost(b, s, m) for b, s, m in zip(out["cost_bytes"], out["cost_s"], out["measured"])]
    out["line"] = out["line"].astype(object).where(out["line"].notna(), "")
    out["check"] = out["build_check"].fillna("")
    return out


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in df.astype(object).where(df.notna(), None).to_dict(orient="records")]


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
        df = m.findings
        notes = list(m.notes)
        print(f"{m.image}: {len(df)} finding(s), most costly first"
              + (f"; source edit measured on {m.edited_file}" if m.edited_file else ""), file=sys.stderr)
    else:
        from ..insight import lint_files

        df = lint_files(args.targets, dockerfile=args.file)
        notes = list(df.attrs.get("notes") or [])
        if len(df) and (df["rule"] == "not-a-dockerfile").all() and df["file"].nunique() == len(args.targets):
            # nothing given was a Dockerfile: a usage error, said per path
            for r in df.itertuples(index=False):
                print(f"error: {r.file}: {r.message}", file=sys.stderr)
            raise DockoptError("nothing to lint: no path given is a Dockerfile",
                               hint="dockopt lint Dockerfile [more Dockerfiles or project folders]")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    failed = bool((df["severity"] == "error").any())
    if args.json_file:
        _deprecated("--json-file FILE", "--format json -o FILE")
        with open(args.json_file, "w", encoding="utf-8") as f:
            json.dump(_records(df), f, indent=2, default=str)
    if fmt == "json":
        print_json(_records(df))
    elif fmt == "sarif":
        from ..insight.formats import sarif_json
        from . import version

        print(sarif_json(df, notes=notes, version=version()))
    elif fmt == "junit":
        from ..insight.formats import junit_xml

        print(junit_xml(df, files=[] if args.measure else [str(t) for t in args.targets], notes=notes), end="")
    else:
        shown = _show(df)
        columns = ["cost", "rule", "severity", "file", "line", "message"] + (["check"] if shown["check"].any() else [])
        if args.measure:
            columns.remove("file")
        print_table(shown, columns)
        if getattr(args, "verbose", 0) and len(df):
            print()
            for r in df.itertuples(index=False):
                print(f"- {r.rule} (line {r.line}): {r.message}\n    fix: {r.fix}\n    evidence: {r.evidence}")
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
