"""``dockopt lint``: findings for Dockerfiles (static, fast) or, with ``--measure``, for a project or image,
each with what it costs in the image (bytes, rebuild seconds, evidence)."""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING, Any

from ._common import kv, print_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


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


def run(args: argparse.Namespace) -> int:
    from ..errors import DockoptError

    if args.measure:
        if len(args.targets) != 1:
            raise DockoptError("--measure takes one project folder, Dockerfile or image",
                               hint="dockopt lint --measure sample_apps/node-express  (or an image reference)")
        from ..insight import measure

        m = measure(args.targets[0], dockerfile=args.file, target=args.target,
                    build_args=kv(args.build_arg, "build-arg"), edit=not args.no_edit, progress=not args.quiet)
        df = m.findings
        print(f"{m.image}: {len(df)} finding(s), most costly first"
              + (f"; source edit measured on {m.edited_file}" if m.edited_file else ""))
    else:
        from ..insight import lint_files

        df = lint_files(args.targets)
    shown = _show(df)
    columns = ["cost", "rule", "severity", "file", "line", "message"] + (["check"] if shown["check"].any() else [])
    if args.measure:
        columns.remove("file")
    if args.json:
        from ._common import print_json

        print_json(_records(df))
        return 1 if (df["severity"] == "error").any() else 0
    print_table(shown, columns)
    if args.verbose and len(df):
        print()
        for r in df.itertuples(index=False):
            print(f"- {r.rule} (line {r.line}): {r.message}\n    fix: {r.fix}\n    evidence: {r.evidence}")
    if args.json_file:
        with open(args.json_file, "w", encoding="utf-8") as f:
            json.dump(_records(df), f, indent=2, default=str)
    return 1 if (df["severity"] == "error").any() else 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("lint", help="Dockerfile findings (static), or with --measure what each one costs",
                       description="Static: dockopt's text rules and hadolint on each Dockerfile, fast. --measure: "
                                   "build the project (or read the image), then every rule with its measured cost.")
    s.add_argument("targets", nargs="+", metavar="DOCKERFILE|PROJECT|IMAGE")
    s.add_argument("--measure", action="store_true",
                   help="build the project (folder or Dockerfile) or read the image, and measure each finding")
    s.add_argument("-f", "--file", default="Dockerfile", help="Dockerfile of a project folder (default Dockerfile)")
    s.add_argument("--target", help="build target (--measure)")
    s.add_argument("--build-arg", action="append", metavar="KEY=VALUE")
    s.add_argument("--no-edit", action="store_true", help="skip the rebuild after a one-line source edit")
    s.add_argument("--json", action="store_true", help="print the findings as JSON instead of the table")
    s.add_argument("--json-file", metavar="FILE", help="also write the findings as JSON to FILE")
    s.add_argument("-v", "--verbose", action="store_true", help="print each finding's fix and evidence")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    s.set_defaults(func=run)
