"""``dockopt analyze`` as a command: its arguments, and ``run_analyze``, which prints the report and
writes what was asked for (dive JSON, SBOM, JUnit XML).

Light on purpose: neither this module nor the analysis it runs imports pandas, plotly or the
docker SDK on the archive or registry path (a test checks it). From the engine, the save stream
is opened on a thread first: the engine spends seconds preparing ``docker save`` before its first
byte, and the docker SDK's import and the rest of the start-up happen meanwhile.

``--from-file REFS --jobs N`` analyses many references (engine, archive or registry, one per
line) in N processes and writes one JSON each plus a summary table (``summary.tsv``).
"""

from __future__ import annotations

import argparse
import sys
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
    parser.add_argument("image", nargs="?",
                        help="image reference or id in the engine, HOST:PORT/REPO:TAG in a registry, "
                             "or a docker-save / OCI archive path")
    parser.add_argument("--source", choices=["auto", "engine", "archive", "registry"], default="auto",
                        help="where to read the image from (default: an existing path is an archive, "
                             "HOST:PORT/... or localhost/... a registry, anything else the engine)")
    parser.add_argument("--platform", metavar="OS/ARCH[/VARIANT]",
                        help="the platform to pick from a registry's image index (default linux/amd64)")
    parser.add_argument("--from-file", metavar="REFS",
                        help="analyse every reference in REFS (one per line, '#' comments) instead of IMAGE")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="with --from-file: N images at a time")
    parser.add_argument("--out-dir", default="dockopt-analyze", metavar="DIR",
                        help="with --from-file: where the JSON per image and summary.tsv go (default dockopt-analyze)")
    parser.add_argument("--json", metavar="FILE", help="write dive's JSON export schema to FILE")
    parser.add_argument("--ci", action="store_true", help="apply dive's and dockopt's CI rules; exit 1 on failure")
    parser.add_argument("--ci-config", default=".dive-ci", metavar="FILE", help="dive CI rules file (default .dive-ci)")
    parser.add_argument("--junit", metavar="FILE", help="write the CI results as JUnit XML to FILE")
    parser.add_argument("--sarif", metavar="FILE", help="write the CI results as SARIF 2.1.0 to FILE")
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
    from ..image import resolve_source

    return resolve_source(str(args.image), getattr(args, "source", None) or "auto") == "engine"


def run_analyze(args: argparse.Namespace) -> int:
    """Run ``dockopt analyze`` for parsed ``args``: prints the report, writes the requested files,
    returns the exit code (1 when ``--ci`` rules fail)."""
    if getattr(args, "from_file", None):
        return run_many(args)
    if not args.image:
        from ..errors import DockoptError

        raise DockoptError("dockopt analyze needs an IMAGE (or --from-file REFS)",
                           hint="e.g. dockopt analyze app:1.0, 127.0.0.1:5000/app:1.0 or image.tar")
    stream = _Prefetch(str(args.image)) if _is_engine_source(args) and str(args.image).strip() else None
    from ..analysis_report import analyze_report

    def write_json(contents: ImageContents, dive: DiveMetrics) -> None:
        from ..dive_compat.export import write_dive_json

        write_dive_json(contents, args.json, dive)

    report = analyze_report(args.image, source=getattr(args, "source", None) or "auto",
                            scanners=not getattr(args, "no_scanners", False), stream=stream,
                            meanwhile=write_json if getattr(args, "json", None) else None,
                            platform=getattr(args, "platform", None))
    print(report.to_text())
    if getattr(args, "json", None):
        print(f"wrote dive-format JSON to {args.json}", file=sys.stderr)
    if getattr(args, "sbom", None):
        from .. import sbom

        Path(args.sbom).write_text(sbom.cyclonedx_json(report.package_rows, image_name=str(args.image)))
        print(f"wrote CycloneDX SBOM to {args.sbom}", file=sys.stderr)
    code = 0
    if getattr(args, "ci", False) or getattr(args, "junit", None) or getattr(args, "sarif", None):
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
            print(f"wrote JUnit XML to {args.junit}", file=sys.stderr)
        if getattr(args, "sarif", None):
            from ..checks.formats.sarif import verdict_sarif

            Path(args.sarif).write_text(verdict_sarif(result))
            print(f"wrote SARIF to {args.sarif}", file=sys.stderr)
        if getattr(args, "ci", False) and not result.passed:
            code = 1
    return code


# --- many images: --from-file REFS --jobs N ---------------------------------------------------------

SUMMARY_COLUMNS = ("reference", "source", "size_bytes", "layers", "efficiency_pct", "wasted_bytes",
                   "reclaimable_bytes", "secrets", "packages", "runs_as_root", "ci", "seconds", "json", "error")


def _json_name(index: int, ref: str) -> str:
    import re

    return f"{index:04d}-{re.sub(r'[^A-Za-z0-9._-]+', '_', ref).strip('_')[:100]}.json"


def analyze_one(ref: str, json_path: str, source: str = "auto", platform: str | None = None,
                scanners: bool = True, ci_config: str | None = None) -> dict[str, object]:
    """Analyse one reference, write its JSON (dockopt's summary beside dive's export schema) and
    return its summary row; a ``DockoptError`` becomes the row's ``error`` (one bad reference does
    not stop an audit). Top-level so that a process pool can run it."""
    import json
    import time

    from ..analysis_report import analyze_report
    from ..errors import DockoptError
    from ..image import resolve_source

    row: dict[str, object] = dict.fromkeys(SUMMARY_COLUMNS)
    row["reference"] = ref
    started = time.monotonic()
    try:
        row["source"] = resolve_source(ref, source)
        report = analyze_report(ref, source=source, scanners=scanners, platform=platform)
        d = report.dive
        row.update(size_bytes=d.size_bytes, layers=len(report.contents.layer_info),
                   efficiency_pct=round(d.efficiency * 100, 4), wasted_bytes=d.wasted_bytes,
                   reclaimable_bytes=report.reclaimable_bytes, secrets=len(report.secret_rows),
                   packages=len(report.package_rows),
                   runs_as_root=None if report.surface is None else report.surface.runs_as_root)
        if ci_config is not None:
            row["ci"] = "pass" if report.ci(ci_config).passed else "fail"
        row["seconds"] = round(time.monotonic() - started, 2)
        summary = {k: v for k, v in row.items() if k not in ("json", "error")}
        Path(json_path).write_text(json.dumps({"reference": ref, "dockopt": summary, **report.dive_json()}))
        row["json"] = json_path
    except DockoptError as exc:
        row["error"] = exc.message.splitlines()[0]
        row["seconds"] = round(time.monotonic() - started, 2)
    return row


def read_refs(path: str) -> list[str]:
    """The references of a ``--from-file`` list: one per line, blank lines and ``#`` comments skipped."""
    from ..errors import DockoptError

    try:
        lines = Path(path).read_text().splitlines()
    except OSError as exc:
        raise DockoptError(f"cannot read the reference list {path!r}: {exc.strerror}",
                           hint="give a text file with one image reference per line") from exc
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def analyze_many(refs: list[str], out_dir: str, *, jobs: int = 1, source: str = "auto", platform: str | None = None,
                 scanners: bool = True, ci_config: str | None = None) -> list[dict[str, object]]:
    """``analyze_one`` for every reference, ``jobs`` at a time in worker processes; rows in ``refs`` order.
    Writes ``summary.tsv`` in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tasks = [(ref, str(out / _json_name(i, ref)), source, platform, scanners, ci_config) for i, ref in enumerate(refs)]
    if jobs <= 1 or len(tasks) <= 1:
        rows = [analyze_one(*t) for t in tasks]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: workers must not inherit threads or open connections of this process
        with ProcessPoolExecutor(min(jobs, len(tasks)), mp_context=multiprocessing.get_context("spawn")) as pool:
            rows = list(pool.map(analyze_one, *zip(*tasks)))
    with open(out / "summary.tsv", "w") as f:
        f.write("\t".join(SUMMARY_COLUMNS) + "\n")
        for row in rows:
            f.write("\t".join("" if row[c] is None else str(row[c]) for c in SUMMARY_COLUMNS) + "\n")
    return rows


def run_many(args: argparse.Namespace) -> int:
    from ..units import human_bytes

    refs = read_refs(args.from_file)
    ci_config = (getattr(args, "ci_config", None) or ".dive-ci") if getattr(args, "ci", False) else None
    rows = analyze_many(refs, args.out_dir, jobs=max(1, int(args.jobs or 1)), source=args.source or "auto",
                        platform=getattr(args, "platform", None), scanners=not getattr(args, "no_scanners", False),
                        ci_config=ci_config)

    def size(value: object) -> str:
        return human_bytes(value) if isinstance(value, int) else "-"

    shown = [(str(r["reference"]), str(r["source"] or "-"), size(r["size_bytes"]),
              "-" if r["efficiency_pct"] is None else f"{r['efficiency_pct']:.2f} %", size(r["reclaimable_bytes"]),
              "-" if r["secrets"] is None else str(r["secrets"]), str(r["ci"] or ""),
              f"{r['seconds']} s", str(r["error"] or "")) for r in rows]
    head = ("reference", "source", "size", "efficiency", "reclaimable", "secrets", "ci", "time", "error")
    widths = [max(len(h), *(len(s[i]) for s in shown)) for i, h in enumerate(head)]
    for line in (head, *shown):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
    failed = sum(1 for r in rows if r["error"])
    print(f"\n{len(rows) - failed} of {len(rows)} analysed; one JSON each and summary.tsv in {args.out_dir}")
    if failed:
        return 2  # a reference that is not there is the usage code, as for one image (each row says why)
    return 1 if any(r["ci"] == "fail" for r in rows) else 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("analyze", help="where an image's bytes went: efficiency, waste, secrets, packages")
    add_analyze_arguments(s)
    s.set_defaults(func=run_analyze)
