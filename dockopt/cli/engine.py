"""``dockopt engine``: which Docker Engine answers."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from .. import engine

    i = engine.info()
    print(f"Engine {i.server_version} (API {i.api_version}), {i.os}/{i.arch}, storage {i.storage_driver}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("engine", help="show which Docker Engine answers")
    s.set_defaults(func=run)
