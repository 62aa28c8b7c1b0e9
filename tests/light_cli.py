"""Which heavy modules a dockopt command loads: the command runs in a fresh interpreter, as a user's does."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "numpy", "plotly", "docker", "requests")


def heavy_imports(argv: list[str], heavy: tuple[str, ...] = HEAVY) -> tuple[list[str], int, str]:
    """(heavy top-level packages ``dockopt ARGV`` imported, its exit code, what it printed) from a new
    interpreter."""
    script = ("import sys\nfrom dockopt.cli import main\n"
              f"code = main({argv!r})\n"
              f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))\n"
              "print('HEAVY', heavy, 'CODE', code)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("HEAVY "):
            _, _, rest = line.partition("HEAVY ")
            found, _, code = rest.rpartition(" CODE ")
            return eval(found), int(code), done.stdout + done.stderr  # noqa: S307 - our own repr of a list
    raise AssertionError(f"dockopt {' '.join(argv)} did not finish: {done.stdout[-2000:]}{done.stderr[-2000:]}")
