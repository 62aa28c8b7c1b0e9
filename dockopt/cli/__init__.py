"""``dockopt`` command line: argument parsing and printing only; every command calls the package.

One module per command family (``COMMANDS`` maps a command to it), each with ``register(sub)``.
``main`` builds only the parser of the command it was asked for, so ``dockopt analyze ARCHIVE``
imports neither pandas nor the docker SDK, and no command pays for the others' imports.

Exit codes have one meaning each, decided here (``exit_code``): 0 ok; 1 checks failed (a lint error, a
CI rule, an exercise criterion); 2 usage (bad arguments, a path or reference that is not there); 3 could
not run (no engine, a registry or program that fails, a build that breaks). Errors dockopt raises on purpose
are printed as ``error: ...`` plus a hint on stderr, never a traceback. Status and "wrote ..." lines go to
stderr, the report to stdout (or to ``-o FILE``). ``-v`` (``-vv``) shows dockopt's log at INFO (DEBUG).
Output into a pipe that closes early (``dockopt analyze IMG | head``) ends quietly with 141
(128 + SIGPIPE), as a Unix tool killed by SIGPIPE reports.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from .. import errors
from ..errors import CheckFailed, DockoptError

EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_USAGE = 2
EXIT_COULD_NOT_RUN = 3

# Errors that mean "this could not be done here" (exit 3); any other DockoptError is bad input (exit 2).
_COULD_NOT_RUN: tuple[type[DockoptError], ...] = (
    errors.EngineUnavailable, errors.EngineError, errors.RegistryUnreachable, errors.RegistryError,
    errors.ToolMissing, errors.ProcessFailed, errors.BuildFailed, errors.NeedsRegistry, errors.BaseUnavailable,
    errors.ReportError, errors.SmokeFailed)


def exit_code(exc: BaseException) -> int:
    """The one mapping of an error to the exit code the command line returns."""
    if isinstance(exc, CheckFailed):
        return EXIT_CHECKS_FAILED
    if isinstance(exc, errors.RegistryAuthError):
        return EXIT_USAGE  # credentials are the user's to give
    if isinstance(exc, _COULD_NOT_RUN):
        return EXIT_COULD_NOT_RUN
    if isinstance(exc, KeyboardInterrupt):
        return 130
    return EXIT_USAGE

# command -> module of dockopt.cli that registers it (listed in the order `--help` shows them)
COMMANDS: dict[str, str] = {
    "engine": "engine",
    "build": "build",
    "layers": "build",
    "analyze": "analyze",
    "audit": "fleet",
    "lint": "lint",
    "bases": "bases",
    "samples": "samples",
    "report": "report",
    "doctor": "doctor",
    "exercise": "exercise",
    "class": "classroom",
    "course": "course",
    "init": "project",
    "lab": "project",
    "optimise": "optimise",
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
    p.add_argument("-v", "--verbose", action="count", default=0, help="show dockopt's log (-vv: debug)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = [COMMANDS[only]] if only else list(dict.fromkeys(COMMANDS.values()))
    for name in modules:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    _add_verbose(sub)
    return p


def _add_verbose(sub: argparse._SubParsersAction) -> None:
    """``-v`` after the command too (``dockopt lint x -v``, ``dockopt exercise list -v``), one meaning."""
    for command in sub.choices.values():
        if "-v" not in command._option_string_actions:
            command.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                                 help="show dockopt's log (-vv: debug)")
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_verbose(action)


def _logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    # dockopt's own loggers at the asked level; other libraries' (docker, urllib3) stay at WARNING
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("dockopt").setLevel(level)


def _fold_format(args: argparse.Namespace) -> None:
    """``--json`` (print JSON) is ``--format json``; commands read either."""
    if getattr(args, "json", None) is True and hasattr(args, "format"):
        args.format = "json"
    if getattr(args, "format", None) == "json" and getattr(args, "json", None) is False:
        args.json = True


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
    only = next((a for a in argv if not a.startswith("-")), None)
    only = only if only in COMMANDS else None
    args = _parser(only).parse_args(argv)
    _logging(int(getattr(args, "verbose", 0) or 0))
    _fold_format(args)
    try:
        output = getattr(args, "output_file", None)
        if not output:
            return int(args.func(args) or 0)
        with open(output, "w", encoding="utf-8") as f, contextlib.redirect_stdout(f):
            code = int(args.func(args) or 0)
        print(f"wrote {output}", file=sys.stderr)
        return code
    except CheckFailed as exc:
        print(f"check failed: {exc}", file=sys.stderr)
        return exit_code(exc)
    except DockoptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc)
    except OSError as exc:  # -o FILE in a folder that is not there, say
        if getattr(exc, "filename", None) and exc.filename == getattr(args, "output_file", None):
            print(f"error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
        raise
    except KeyboardInterrupt as exc:
        print("interrupted", file=sys.stderr)
        return exit_code(exc)
