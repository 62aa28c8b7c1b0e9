"""``dockopt analyze`` as a command: arguments, and a start that overlaps the engine's work.

``dockopt.cli`` calls ``run_analyze(args)``; ``python -m dockopt.analyze_cli IMAGE ...`` runs the
command alone. Both open the engine's save stream *before* importing the analysis code (pandas
and friends take a third of a second): the engine spends seconds preparing ``docker save``
before its first byte, and the imports happen meanwhile. Only argparse and the standard library
are imported at module level.
"""

from __future__ import annotations

import argparse
import os
import queue
import threading
from collections.abc import Iterator

_END = object()


def add_analyze_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of ``dockopt analyze`` (for the CLI to attach to its subparser)."""
    parser.add_argument("image", help="image reference or id in the engine, or a docker-save / OCI archive path")
    parser.add_argument("--source", choices=["auto", "engine", "archive"], default="auto",
                        help="where to read the image from (default: an existing path is an archive)")
    parser.add_argument("--json", metavar="FILE", help="write dive's JSON export schema to FILE")
    parser.add_argument("--ci", action="store_true", help="apply dive's and dockopt's CI rules; exit 1 on failure")
    parser.add_argument("--ci-config", default=".dive-ci", metavar="FILE", help="dive CI rules file (default .dive-ci)")
    parser.add_argument("--junit", metavar="FILE", help="write the CI results as JUnit XML to FILE")
    parser.add_argument("--sbom", metavar="FILE", help="write a CycloneDX JSON SBOM to FILE")
    parser.add_argument("--lowestEfficiency", dest="lowest_efficiency", help="override the CI rule value")
    parser.add_argument("--highestWastedBytes", dest="highest_wasted_bytes", help="override the CI rule value")
    parser.add_argument("--highestUserWastedPercent", dest="highest_user_wasted_percent",
                        help="override the CI rule value")
    parser.add_argument("--no-scanners", action="store_true", help="headers only: skip secrets, packages, surface")
    return parser


class _Prefetch:
    """Reads the engine's save stream on a thread into a small bounded queue (16 MiB at most)."""

    def __init__(self, ref: str, depth: int = 16) -> None:
        self.queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ref,), name="dockopt-save-stream", daemon=True)
        self.thread.start()

    def _run(self, ref: str) -> None:
        try:
            from . import engine

            for chunk in engine.save_image(ref):
                while not self.stop.is_set():
                    try:
                        self.queue.put(chunk, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if self.stop.is_set():
                    return
            self.queue.put(_END)
        except BaseException as exc:  # handed to the reading thread, which raises it there
            self.queue.put(exc)

    def __iter__(self) -> Iterator[bytes]:
        try:
            while True:
                item = self.queue.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            self.stop.set()


def _is_engine_source(args: argparse.Namespace) -> bool:
    source = getattr(args, "source", None) or "auto"
    return source == "engine" or (source == "auto" and not os.path.exists(str(args.image)))


def run_analyze(args: argparse.Namespace) -> int:
    """Run ``dockopt analyze`` for parsed ``args``; returns the exit code."""
    stream = _Prefetch(str(args.image)) if _is_engine_source(args) and str(args.image).strip() else None
    from .analysis_report import run_analyze as run  # the heavy imports, while the engine works

    return run(args, stream=stream)


def main(argv: list[str] | None = None) -> int:
    """``python -m dockopt.analyze_cli IMAGE ...``: the analyze command without the full CLI."""
    import sys

    from .errors import DockoptError

    parser = add_analyze_arguments(argparse.ArgumentParser(prog="dockopt analyze"))
    args = parser.parse_args(argv)
    try:
        return run_analyze(args)
    except DockoptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
