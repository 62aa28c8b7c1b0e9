"""One pass over an image, every analysis: ``analyze_report(image) -> AnalysisReport``.

The image is read once (tar headers, plus the few small files the secrets and package scanners
need); every figure is computed on the reader's column store, so the report - its text, its
dive JSON, its CI verdict - needs no pandas. Its tables (``waste``, ``largest``, ``secrets``,
``packages``, ``directories``) become DataFrames when first asked for, for notebooks.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from . import analysis, sbom, secrets, surface
from .dive_compat.metrics import DiveMetrics, dive_metrics
from .image import GO_BUILDINFO, ImageContents, read_image
from .image.table import FILE
from .units import human_bytes

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .checks.facts import ImageFacts
    from .dive_compat.ci import CiResult

LARGEST = 20  # files the report lists


def combined_capture(path: str, size: int, mode: int) -> int:
    """The capture policy of the secrets and package scanners together."""
    a = secrets.capture_policy(path, size, mode)
    b = sbom.capture_policy(path, size, mode)
    if a > 0 or b > 0:
        return max(a, b)
    return GO_BUILDINFO if GO_BUILDINFO in (a, b) else 0


class SecretFinding(NamedTuple):
    """One secret in one layer's copy of a file: a row of ``AnalysisReport.secrets``."""

    layer: int
    path: str
    rule: str
    instruction: str | None
    deleted_later: bool
    visible: bool
    preview: str


Scanned = dict[tuple[str, int], list[tuple[str, str]]]  # (path, id of the contents) -> (rule, preview)...


def find_secrets(image: ImageContents, shown: dict[str, int], scanned: Scanned | None = None) -> list[SecretFinding]:
    """``dockopt.secrets.find`` on the column store: each captured file through
    ``secrets.scan_contents``; ``shown`` maps a path to the layer the final filesystem shows it from;
    ``scanned``: what a ``SecretScan`` found already."""
    instructions = {info.layer: secrets.redact_text(info.instruction) for info in image.layer_info}
    rows = []
    for (layer, path), data in sorted(image.contents.items()):
        found = scanned.get((path, id(data))) if scanned is not None else None
        for rule, preview in found if found is not None else secrets.scan_contents(path, data):
            is_visible = shown.get(path) == layer
            rows.append(SecretFinding(layer, path, rule, instructions.get(layer), not is_visible, is_visible, preview))
    # the config's Env and the history: build args are recorded in full on every RUN line
    layer_of_history = {info.history_index: info.layer for info in image.layer_info if info.history_index is not None}
    last_layer = image.layer_info[-1].layer if image.layer_info else 0
    rows.extend(SecretFinding(**row) for row in secrets.scan_config(image.config, layer_of_history, last_layer))
    return rows


_OFFLOAD_BYTES = 1 << 20  # captured bytes worth a second process (regular expressions scan ~5-10 MB/s)
_BATCH_BYTES = 256 << 10


def _scan_batch(batch: list[tuple[str, bytes]]) -> list[list[tuple[str, str]]]:
    return [secrets.scan_contents(path, data) for path, data in batch]


class SecretScan:
    """``secrets.scan_contents`` over each captured file as the reader captures it (``add`` is a
    ``CaptureSink``), on the second core once there is enough to scan: matching regular expressions
    holds the GIL, so only a process runs it beside the reader. The worker is forked when this
    process runs no other thread (the command line on an archive), else spawned; if no worker can
    run, everything is scanned here. ``results()`` waits for the worker and stops it."""

    def __init__(self) -> None:
        self._pending: list[tuple[str, bytes]] = []
        self._pending_bytes = 0
        self._submitted: list[tuple[list[tuple[str, bytes]], Any]] = []
        self._pool: Any = None
        self._failed = False

    def add(self, path: str, data: bytes) -> None:
        self._pending.append((path, data))
        self._pending_bytes += len(data)
        if self._pending_bytes >= (_BATCH_BYTES if self._pool is not None else _OFFLOAD_BYTES) and self._start():
            try:
                self._submitted.append((self._pending, self._pool.submit(_scan_batch, self._pending)))
            except (RuntimeError, AssertionError):  # a broken pool, or a daemon process (a Dask worker) that
                # may not have children: the rest is scanned here
                self._failed = True
                return
            self._pending, self._pending_bytes = [], 0

    def _start(self) -> bool:
        if self._pool is None and not self._failed:
            try:
                import multiprocessing
                import threading
                from concurrent.futures import ProcessPoolExecutor

                method = "fork" if threading.active_count() == 1 else "spawn"
                self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(method))
            except (ImportError, OSError, ValueError):
                self._failed = True
        return self._pool is not None and not self._failed

    def results(self) -> Scanned:
        out: Scanned = {}
        try:
            for batch, future in self._submitted:
                try:
                    found = future.result()
                except (OSError, RuntimeError):  # BrokenProcessPool is a RuntimeError
                    found = _scan_batch(batch)
                for (path, data), f in zip(batch, found):
                    out[(path, id(data))] = f
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
        for (path, data), f in zip(self._pending, _scan_batch(self._pending)):
            out[(path, id(data))] = f
        return out


@dataclass(frozen=True)
class AnalysisReport:
    """Everything ``dockopt analyze`` measures about one image.

    ``waste_rows``, ``largest_rows``, ``secret_rows``, ``package_rows`` are the records; ``waste``,
    ``largest``, ``secrets``, ``packages`` the same as DataFrames.
    """

    image: str
    contents: ImageContents = field(repr=False)
    dive: DiveMetrics = field(repr=False)
    reclaimable_bytes: int
    waste_rows: tuple[analysis.LayerWaste, ...] = field(repr=False)
    largest_rows: tuple[analysis.LargeFile, ...] = field(repr=False)
    secret_rows: tuple[SecretFinding, ...] = field(repr=False)
    package_rows: tuple[sbom.Package, ...] = field(repr=False)
    surface: surface.SurfaceReport | None = field(repr=False)

    @functools.cached_property
    def waste(self) -> pd.DataFrame:
        """Each row is one filesystem layer and the waste it caused (``analysis.waste_by_layer``)."""
        return analysis.waste_frame(self.waste_rows)

    @functools.cached_property
    def largest(self) -> pd.DataFrame:
        """Each row is one of the ``LARGEST`` largest files of the final filesystem (``analysis.largest_files``)."""
        return analysis.largest_files(self.contents.entries, LARGEST)

    @functools.cached_property
    def secrets(self) -> pd.DataFrame:
        """Each row is one secret found in one layer's copy of a file (see ``dockopt.secrets.find``)."""
        import pandas as pd

        return pd.DataFrame(list(self.secret_rows), columns=secrets.FINDING_COLUMNS)

    @functools.cached_property
    def packages(self) -> pd.DataFrame:
        """Each row is one package found in the final filesystem (see ``dockopt.sbom.inventory``)."""
        return sbom.packages_frame(self.package_rows)

    @functools.cached_property
    def directories(self) -> pd.DataFrame:
        """Size by directory of the final filesystem (treemap-ready); computed on first use."""
        return analysis.size_by_directory(self.contents.files)

    @property
    def size_bytes(self) -> int:
        return self.dive.size_bytes

    def to_text(self, *, top: int = 10) -> str:
        d = self.dive
        table = self.contents.entries
        layer_size = {info.layer: info.size_bytes for info in self.contents.layer_info}
        n_files = sum(1 for k, v in zip(table.kind, table.visible) if v and k == FILE)
        lines = [f"Image: {self.image}",
                 f"  size: {human_bytes(d.size_bytes)} ({d.size_bytes} bytes) in {len(self.contents.layer_info)} "
                 f"layers, {n_files} files",
                 f"  efficiency: {d.efficiency * 100:.4f} %   (dive-compatible)",
                 f"  wasted bytes: {d.wasted_bytes} ({human_bytes(d.wasted_bytes)})   (dive-compatible)",
                 "  user wasted percent: " + ("n/a" if math.isnan(d.user_wasted_percent)
                                               else f"{d.user_wasted_percent * 100:.4f} %"),
                 f"  reclaimable bytes: {self.reclaimable_bytes} ({human_bytes(self.reclaimable_bytes)})   "
                 "(bytes shipped but hidden by later layers; what a rebuild can save)"]
        for w in self.contents.warnings:
            lines.append(f"  note: {w}")
        lines.append("")
        lines.append("Where the bytes went (by layer):")
        for row in self.waste_rows:
            instr = secrets.redact_text(row.instruction) or "(no history)"  # build args are recorded in full
            instr = instr if len(instr) <= 70 else instr[:67] + "..."
            stage = f" [{row.stage}]" if row.stage else ""
            if row.from_stage:
                stage += f" (bytes from stage {row.from_stage})"
            waste = f"  reclaimable {human_bytes(row.reclaimable_bytes)}" if row.reclaimable_bytes else ""
            lines.append(f"  {row.layer:>3}  {human_bytes(layer_size.get(row.layer, 0)):>9}  {instr}{stage}{waste}")
        worst = sorted((r for r in self.waste_rows if r.reclaimable_bytes > 0),
                       key=lambda r: r.reclaimable_bytes, reverse=True)[:3]
        if worst:
            lines.append("")
            lines.append("Instructions that wasted bytes (wrote what a later layer hides):")
            for row in worst:
                lines.append(f"  {human_bytes(row.reclaimable_bytes):>9}  layer {row.layer}: "
                             f"{secrets.redact_text(row.instruction)}")
        if d.references:
            lines.append("")
            lines.append("Inefficient files (dive):")
            lines.append(f"{'Count':>7}  {'Wasted Space':>12}  File Path")
            for path, count, size in d.references[:top]:
                lines.append(f"{count:>7}  {human_bytes(size):>12}  {path}")
        lines.append("")
        lines.append("Largest files:")
        for f in self.largest_rows[:top]:
            lines.append(f"  {human_bytes(f.size_bytes):>9}  {f.path}  (layer {f.layer})")
        lines.append("")
        if self.secret_rows:
            lines.append(f"Secrets: {len(self.secret_rows)} found (redacted)")
            for finding in self.secret_rows:
                state = "deleted later, still shipped" if finding.deleted_later else "present"
                lines.append(f"  layer {finding.layer}  {finding.path}  {finding.rule}  {finding.preview}  ({state})")
        else:
            lines.append("Secrets: none found")
        by_type: dict[str, int] = {}
        for p in self.package_rows:
            by_type[p.type] = by_type.get(p.type, 0) + 1
        ranked = sorted(by_type.items(), key=lambda kv: -kv[1])  # most first, ties in first-seen order
        lines.append(f"Packages: {len(self.package_rows)}" + (
            " (" + ", ".join(f"{k} {v}" for k, v in ranked) + ")" if ranked else ""))
        if self.surface is not None:
            s = self.surface
            lines.append("Attack surface:")
            lines.append(f"  shell: {', '.join(s.shells) or 'none'}; package manager: "
                         f"{', '.join(s.package_managers) or 'none'}; compilers: {', '.join(s.compilers) or 'none'}")
            lines.append(f"  runs as root: {'yes' if s.runs_as_root else 'no'} (User={s.user or 'unset'}); "
                         f"setuid files: {len(s.setuid_files)}; world-writable dirs: {len(s.world_writable_dirs)}; "
                         f"exposed ports: {', '.join(s.exposed_ports) or 'none'}; "
                         f"healthcheck: {'yes' if s.healthcheck else 'no'}")
            lines.append("  CVEs: " + (s.scanner_note if s.cve_counts is None else
                                       ", ".join(f"{k} {v}" for k, v in sorted(s.cve_counts.items()))))
        return "\n".join(lines)

    def ci(self, config_file: str | os.PathLike[str] | None = ".dive-ci",
           overrides: dict[str, str | None] | None = None) -> CiResult:
        """dive's CI rules and dockopt's, with ``.dive-ci`` values and command-line ``overrides``, on this
        image's facts (``dockopt.checks``); a rule whose facts were not measured (no scanners) is skipped."""
        from .checks.packs.gate import ci_verdict, load_ci_config

        values, used = load_ci_config(config_file)
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        return ci_verdict(self.facts, values, config_file=used)

    @functools.cached_property
    def facts(self) -> ImageFacts:
        """This image's facts, as every rule pack reads them (``dockopt.checks.facts``)."""
        from .checks.facts import image_facts

        return image_facts(self)

    def dive_json(self) -> dict[str, Any]:
        """The document ``dive IMAGE --json FILE`` writes for this image."""
        from .dive_compat.export import dive_export

        return dive_export(self.contents, self.dive)


def analyze_report(image: str | os.PathLike[str], *, source: str = "auto", build: Any = None,
                   scanners: bool = True, stream: Iterable[bytes] | None = None,
                   meanwhile: Callable[[ImageContents, DiveMetrics], None] | None = None,
                   platform: str | None = None) -> AnalysisReport:
    """Read ``image`` (reference or archive) once and run every analysis on it.

    ``build``: the ``BuildResult`` that made the image, or a parsed ``Dockerfile`` (``(Dockerfile, target)``),
    to attribute each layer to its instruction, line and stage. ``scanners=False`` reads headers only
    (no secrets / packages / surface).
    ``stream``: an engine save stream of ``image`` opened already (``dockopt analyze`` does).
    ``meanwhile``: work on the image to do before the secrets scan is waited for (the command
    line writes dive's JSON there, while a worker may still be scanning).
    ``platform``: ``os/arch[/variant]`` of a registry image index (default linux/amd64).
    """
    scan = SecretScan() if scanners else None
    contents = read_image(image, source=source, capture=combined_capture if scanners else None, stream=stream,
                          on_capture=scan.add if scan is not None else None, platform=platform)
    table = contents.entries
    dive = dive_metrics(table, [info.size_bytes for info in contents.layer_info])
    instructions = [info.instruction for info in contents.layer_info]
    # every history entry (empty ones too) aligns with the Dockerfile; layers take their entry's source
    history = [str(h.get("created_by") or "") for h in contents.history]
    by_entry = analysis.attribute(history, build)
    none = analysis.LayerSource(None, None, None, None)
    sources = [by_entry[i.history_index] if i.history_index is not None and i.history_index < len(by_entry)
               else none for i in contents.layer_info]
    stages = [s.stage for s in sources]
    from_stages = [s.from_stage for s in sources]
    hidden = ((table.layer[r], table.kind[r], table.size[r], by) for r, (by, _) in contents.hidden_rows.items())
    waste = analysis.layer_waste(table, instructions, hidden, (r[0] for r in dive.references), stages, from_stages,
                                 [s.line for s in sources])
    found: list[SecretFinding] = []
    packages: list[sbom.Package] = []
    surf = None
    if scan is not None:
        shown = {table.path[i]: table.layer[i] for i, v in enumerate(table.visible) if v}
        packages = sbom.find_packages(contents.contents, shown)
        surf = surface.surface(table, contents.image_config, packages=len(packages))
    if meanwhile is not None:
        meanwhile(contents, dive)
    if scan is not None:
        found = find_secrets(contents, shown, scan.results())  # last: a worker may have been scanning
    return AnalysisReport(image=str(image), contents=contents, dive=dive,
                          reclaimable_bytes=analysis.reclaimable_bytes(table), waste_rows=tuple(waste),
                          largest_rows=tuple(analysis.largest(table, LARGEST)), secret_rows=tuple(found),
                          package_rows=tuple(packages), surface=surf)


def compare(reports: dict[str, AnalysisReport]) -> pd.DataFrame:
    """Each row is one measured fact (size, efficiency, hidden bytes, secrets, packages, surface);
    one column per named report, e.g. ``compare({"naive": a, "optimised": b})``."""
    import pandas as pd

    def facts(r: AnalysisReport) -> dict[str, Any]:
        s = r.surface
        row: dict[str, Any] = {"size_bytes": r.size_bytes, "efficiency_pct": round(r.dive.efficiency * 100, 2),
                               "reclaimable_bytes": r.reclaimable_bytes, "secrets": len(r.secret_rows),
                               "packages": len(r.package_rows)}
        if s is not None:
            row.update(shell=", ".join(s.shells) or "none", package_manager=", ".join(s.package_managers) or "none",
                       compilers=", ".join(s.compilers) or "none", runs_as_root=s.runs_as_root,
                       setuid_files=len(s.setuid_files), healthcheck=s.healthcheck)
        return row

    return pd.DataFrame({name: facts(r) for name, r in reports.items()})
