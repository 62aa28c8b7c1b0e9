"""``dockopt doctor``: what is ready, what is not, and what to do; exit 0 when ``make all`` can run."""

from __future__ import annotations

import argparse

from ._common import add_json_option, print_json, print_table


def run(args: argparse.Namespace) -> int:
    from ..doctor import diagnose

    diagnosis = diagnose(network=not args.offline)
    if args.json:
        print_json({"ready": diagnosis.ready, "checks": diagnosis.rows()})
        return 0 if diagnosis.ready else 1
    print_table(diagnosis.rows(), ["name", "status", "found"])
    todo = [c for c in diagnosis.checks if c.status != "ok"]
    if todo:
        print("\nto do:")
        for c in todo:
            print(f"  {c.name} ({c.status}{', blocks make all' if c.blocking and c.status == 'fail' else ''}): "
                  f"{c.fix}\n      needed for: {c.needed_for}")
    if diagnosis.ready:
        print("\nready: `make all` can run (builds every sample, renders reports/index.html; ~8 min on 2 cores)")
        return 0
    print(f"\nnot ready: fix {', '.join(c.name for c in diagnosis.blockers)} first, then run `dockopt doctor` again")
    return 1


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("doctor", help="check the engine, base images, registries and tools; say what to do")
    s.add_argument("--offline", action="store_true", help="skip the registry checks (no network requests)")
    add_json_option(s, "the checks")
    s.set_defaults(func=run)
