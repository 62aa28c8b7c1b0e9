"""``dockopt`` command line: argument parsing and printing only; every command calls the package.

One module per command family (``COMMANDS`` maps a command to it), each with ``register(sub)``.
``main`` builds only the parser of the command it was asked for, so ``dockopt analyze ARCHIVE``
imports neither pandas nor the docker SDK, and no command pays for the others' imports.

Errors dockopt raises on purpose are printed as ``error: ...`` plus a hint, exit code 2;
a failed check (``analyze --ci``) exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import CheckFailed, DockoptError

# command -> module of dockopt.cli that registers it (listed in the order `--help` shows them)
COMMANDS: dict[str, str] = {
    "engine": "engine",
    "build": "build",
    "layers": "build",
    "analyze": "analyze",
    "lint": "lint",
    "bases": "bases",
    "samples": "samples",
    "report": "report",
    "init": "project",
    "lab": "project",
}


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dockopt", description="See and measure Docker image optimisation.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = [COMMANDS[only]] if only else list(dict.fromkeys(COMMANDS.values()))
    for name in modules:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    only = argv[0] if argv and argv[0] in COMMANDS else None
    args = _parser(only).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CheckFailed as exc:
        print(f"check failed: {exc}", file=sys.stderr)
        return 1
    except DockoptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
