"""``dockopt analyze`` as a command: its arguments, and ``run_analyze``, which prints the report and
writes what was asked for (dive JSON, SBOM, JUnit XML).

Light on purpose: neither this module nor the analysis it runs imports pandas, plotly or the
docker SDK on the archive path (a test checks it). From the engine, the save stream is opened
on a thread first: the engine spends seconds preparing ``docker save`` before its first byte,
and the docker SDK's import and the rest of the start-up happen meanwhile.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..dive_compat.metrics import DiveMetrics
    from ..image import ImageContents

_END = object()
_BLOCK = 1 << 20  # bytes handed from the receiving thread to the reading one at a time


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
    """Reads the engine's save stream on a thread into a small bounded queue (16 MiB at most).

    (``queue`` and ``threading`` are imported here: the archive path needs neither.)
    """

    def __init__(self, ref: str, depth: int = 16) -> None:
        import queue
        import threading

        self.queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ref,), name="dockopt-save-stream", daemon=True)
        self.thread.start()

    def _run(self, ref: str) -> None:
        from queue import Full

        def put(block: bytes) -> bool:
            while not self.stop.is_set():
                try:
                    self.queue.put(block, timeout=0.5)
                    return True
                except Full:
                    continue
            return False

        try:
            from .. import engine

            # The engine sends 32 KiB HTTP chunks: handed over 1 MiB at a time, the reading thread
            # wakes ~30 times less often (each hand-over passes the GIL between the threads).
            pieces: list[bytes] = []
            size = 0
            for chunk in engine.save_image(ref):
                pieces.append(chunk)
                size += len(chunk)
                if size >= _BLOCK:
                    if not put(b"".join(pieces)):
                        return
                    pieces, size = [], 0
            if pieces and not put(b"".join(pieces)):
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
    """Run ``dockopt analyze`` for parsed ``args``: prints the report, writes the requested files,
    returns the exit code (1 when ``--ci`` rules fail)."""
    stream = _Prefetch(str(args.image)) if _is_engine_source(args) and str(args.image).strip() else None
    from ..analysis_report import analyze_report

    def write_json(contents: ImageContents, dive: DiveMetrics) -> None:
        from ..dive_compat.export import write_dive_json

        write_dive_json(contents, args.json, dive)

    report = analyze_report(args.image, source=getattr(args, "source", None) or "auto",
                            scanners=not getattr(args, "no_scanners", False), stream=stream,
                            meanwhile=write_json if getattr(args, "json", None) else None)
    print(report.to_text())
    if getattr(args, "json", None):
        print(f"\nwrote dive-format JSON to {args.json}")
    if getattr(args, "sbom", None):
        from .. import sbom

        Path(args.sbom).write_text(sbom.cyclonedx_json(report.package_rows, image_name=str(args.image)))
        print(f"wrote CycloneDX SBOM to {args.sbom}")
    code = 0
    if getattr(args, "ci", False) or getattr(args, "junit", None):
        overrides = {"lowestEfficiency": getattr(args, "lowest_efficiency", None),
                     "highestWastedBytes": getattr(args, "highest_wasted_bytes", None),
                     "highestUserWastedPercent": getattr(args, "highest_user_wasted_percent", None)}
        result = report.ci(getattr(args, "ci_config", None) or ".dive-ci", overrides)
        print()
        print(f"  Using CI config: {result.config_file}" if result.config_file else "  Using default CI config")
        print(result.to_text())
        if getattr(args, "junit", None):
            from ..dive_compat import junit_xml

            Path(args.junit).write_text(junit_xml(result, image=str(args.image)))
            print(f"wrote JUnit XML to {args.junit}")
        if getattr(args, "ci", False) and not result.passed:
            code = 1
    return code


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("analyze", help="where an image's bytes went: efficiency, waste, secrets, packages")
    add_analyze_arguments(s)
    s.set_defaults(func=run_analyze)
