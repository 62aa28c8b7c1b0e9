"""``dockopt lint``: hadolint findings for Dockerfiles."""

from __future__ import annotations

import argparse

from ._common import print_table


def run(args: argparse.Namespace) -> int:
    from ..lint import hadolint_all

    df = hadolint_all(args.dockerfiles)
    print_table(df)
    return 1 if (df["level"] == "error").any() else 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("lint", help="hadolint findings for Dockerfiles")
    s.add_argument("dockerfiles", nargs="+")
    s.set_defaults(func=run)
