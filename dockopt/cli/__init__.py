"""``dockopt`` command line: argument parsing and printing only; every command calls the package.

One module per command family (``COMMANDS`` maps a command to it), each with ``register(sub)``.
``main`` builds only the parser of the command it was asked for, so ``dockopt analyze ARCHIVE``
imports neither pandas nor the docker SDK, and no command pays for the others' imports.

Errors dockopt raises on purpose are printed as ``error: ...`` plus a hint, exit code 2;
a failed check (``analyze --ci``) exits 1. Output into a pipe that closes early (``dockopt analyze
IMG | head``) ends quietly with 141 (128 + SIGPIPE), as a Unix tool killed by SIGPIPE reports.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

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
    "doctor": "doctor",
    "exercise": "exercise",
    "init": "project",
    "lab": "project",
}

# What a shell reports for a program that SIGPIPE ended; Python turns SIGPIPE into BrokenPipeError.
CLOSED_PIPE_EXIT = 128 + 13


class _VersionAction(argparse.Action):
    """``--version``; the version is looked up only when asked (importlib.metadata costs start-up time)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: Any = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"dockopt {version()}")
        parser.exit()


def version() -> str:
    """The installed distribution's version (``pyproject.toml``)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("dockopt")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dockopt", description="See and measure Docker image optimisation.",
                                epilog="New here? `dockopt doctor` says what is ready and what to do next.")
    p.add_argument("--version", action=_VersionAction, help="print dockopt's version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = [COMMANDS[only]] if only else list(dict.fromkeys(COMMANDS.values()))
    for name in modules:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _run(argv)
    except BrokenPipeError:
        if not _stdout_closed():
            raise
        # Nothing more can be written there; point stdout at /dev/null so the interpreter's own
        # flush at exit does not raise (and print) a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return CLOSED_PIPE_EXIT


def _stdout_closed() -> bool:
    """Whether stdout's reader has gone (as opposed to a broken socket somewhere else)."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        return True
    try:
        import select

        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # not a real file (captured output), or no poll()
        return False


def _run(argv: Sequence[str] | None) -> int:
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
