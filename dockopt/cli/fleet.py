"""``dockopt audit REGISTRY``: audit every image a registry holds (the fleet view)."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_json_option, print_table, progress_line

SUMMARY_COLUMNS = ["repository", "tag", "size_bytes", "reclaimable_bytes", "secrets_count", "runs_as_root",
                   "base_family", "base_version", "top_rule", "error"]


def run(args: argparse.Namespace) -> int:
    from ..fleet import DEFAULT_OUTPUT, audit, parse_tag_selection

    def progress(n: int, total: int, digest: str, result: dict[str, Any] | None) -> None:
        error = (result or {}).get("image", {}).get("error")
        progress_line(f"[{n}/{total}] {digest[:19]}{': ' + error if error else ''}")

    done = audit(args.registry, repo=args.repo, tags=parse_tag_selection(args.tags),
                 output=args.output or DEFAULT_OUTPUT, jobs=max(1, args.jobs), dask=args.dask,
                 platform=args.platform, on_progress=progress, on_status=progress_line)
    table = done.images.sort_values("reclaimable_bytes", ascending=False, na_position="last")
    print_table(table, None if args.json else SUMMARY_COLUMNS, as_json=args.json)
    progress_line(f"{done.targets} tags, {done.digests} distinct digests: {done.analysed} analysed now, "
                  f"{done.skipped} done before, {done.failed} failed; tables in {done.output}/ "
                  f"(images.parquet, layers.parquet, findings.parquet); "
                  f"report: dockopt report --fleet {done.output}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("audit", help="audit every image of a registry: facts per image and layer as Parquet tables "
                                     "(--jobs N processes, or a Dask cluster)")
    s.add_argument("registry", metavar="REGISTRY", help="HOST[:PORT] of the registry, e.g. 127.0.0.1:5000")
    s.add_argument("--repo", default="*", metavar="GLOB", help="repositories to audit (a glob, e.g. 'team/*'; "
                                                               "default: all the catalog lists)")
    s.add_argument("--tags", default="latest", metavar="latest|all|N",
                   help="tags per repository: latest (default), all, or the last N in sort order")
    s.add_argument("-o", "--output", metavar="DIR", help="results folder (default: dockopt-fleet); an interrupted "
                                                         "audit run again into it skips digests already done")
    s.add_argument("--jobs", type=int, default=1, metavar="N", help="digests analysed at a time in worker processes")
    s.add_argument("--dask", metavar="ADDRESS", help="run the analyses on a Dask cluster (scheduler address, e.g. "
                                                     "tcp://10.0.0.5:8786); needs dockopt[fleet]")
    s.add_argument("--platform", metavar="OS/ARCH", help="platform picked from image indexes (default: this machine's)")
    add_json_option(s, "the images table", output=False)  # -o is the results folder here
    s.set_defaults(func=run)
