"""``dockopt engine``: which Docker Engine answers."""

from __future__ import annotations

import argparse

from ._common import add_json_option, print_json


def run(args: argparse.Namespace) -> int:
    from .. import engine

    i = engine.info()
    if args.json:
        print_json(i.__dict__)
        return 0
    print(f"Engine {i.server_version} (API {i.api_version}), {i.os}/{i.arch}, storage {i.storage_driver}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("engine", help="show which Docker Engine answers")
    add_json_option(s, "the engine's facts")
    s.set_defaults(func=run)
