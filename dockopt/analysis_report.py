"""``dockopt analyze``: one pass over an image, every analysis, a report and CI verdict.

``analyze_report(image)`` reads the image once (tar headers, plus the few small files the
secrets and package scanners need), and returns an ``AnalysisReport``. ``run_analyze(args)``
is what the CLI's ``analyze`` subcommand calls; it returns the process exit code.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import analysis, dive_compat, sbom, secrets, surface
from .analyze_cli import add_analyze_arguments, main  # noqa: F401 - re-exported
from .image import GO_BUILDINFO, ImageContents, read_image


def _combined_capture(path: str, size: int, mode: int) -> int:
    a = secrets.capture_policy(path, size, mode)
    b = sbom.capture_policy(path, size, mode)
    if a > 0 or b > 0:
        return max(a, b)
    return GO_BUILDINFO if GO_BUILDINFO in (a, b) else 0


def _human(n: float) -> str:
    """Decimal units, like dive and docker print sizes."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


@dataclass(frozen=True)
class AnalysisReport:
    """Everything ``dockopt analyze`` measures about one image."""

    image: str
    contents: ImageContents = field(repr=False)
    dive: analysis.DiveMetrics = field(repr=False)
    reclaimable_bytes: int
    waste: pd.DataFrame = field(repr=False)
    largest: pd.DataFrame = field(repr=False)
    secrets: pd.DataFrame = field(repr=False)
    packages: pd.DataFrame = field(repr=False)
    surface: surface.SurfaceReport | None = field(repr=False)

    @functools.cached_property
    def directories(self) -> pd.DataFrame:
        """Size by directory of the final filesystem (treemap-ready); computed on first use."""
        return analysis.size_by_directory(self.contents.files)

    @property
    def size_bytes(self) -> int:
        return self.dive.size_bytes

    def to_text(self, *, top: int = 10) -> str:
        d = self.dive
        lines = [f"Image: {self.image}",
                 f"  size: {_human(d.size_bytes)} ({d.size_bytes} bytes) in {len(self.contents.layers)} layers, "
                 f"{int((self.contents.files['visible'] & (self.contents.files['kind'] == 'file')).sum())} files",
                 f"  efficiency: {d.efficiency * 100:.4f} %   (dive-compatible)",
                 f"  wasted bytes: {d.wasted_bytes} ({_human(d.wasted_bytes)})   (dive-compatible)",
                 "  user wasted percent: " + ("n/a" if math.isnan(d.user_wasted_percent)
                                               else f"{d.user_wasted_percent * 100:.4f} %"),
                 f"  reclaimable bytes: {self.reclaimable_bytes} ({_human(self.reclaimable_bytes)})   "
                 "(bytes shipped but hidden by later layers; what a rebuild can save)"]
        for w in self.contents.warnings:
            lines.append(f"  note: {w}")
        lines.append("")
        lines.append("Where the bytes went (by layer):")
        for row in self.waste.itertuples(index=False):
            size = int(self.contents.layers.loc[self.contents.layers["layer"] == row.layer, "size_bytes"].iloc[0])
            instr = secrets.redact_text(row.instruction) or "(no history)"  # build args are recorded in full
            instr = instr if len(instr) <= 70 else instr[:67] + "..."
            stage = f" [{row.stage}]" if row.stage else ""
            if getattr(row, "from_stage", None):
                stage += f" (bytes from stage {row.from_stage})"
            waste = f"  reclaimable {_human(row.reclaimable_bytes)}" if row.reclaimable_bytes else ""
            lines.append(f"  {row.layer:>3}  {_human(size):>9}  {instr}{stage}{waste}")
        worst = self.waste.sort_values("reclaimable_bytes", ascending=False).head(3)
        worst = worst[worst["reclaimable_bytes"] > 0]
        if len(worst):
            lines.append("")
            lines.append("Instructions that wasted bytes (wrote what a later layer hides):")
            for row in worst.itertuples(index=False):
                instr = secrets.redact_text(row.instruction)
                lines.append(f"  {_human(row.reclaimable_bytes):>9}  layer {row.layer}: {instr}")
        if len(d.inefficient):
            lines.append("")
            lines.append("Inefficient files (dive):")
            lines.append(f"{'Count':>7}  {'Wasted Space':>12}  File Path")
            for row in d.inefficient.head(top).itertuples(index=False):
                lines.append(f"{row.count:>7}  {_human(row.size_bytes):>12}  {row.path}")
        lines.append("")
        lines.append("Largest files:")
        for row in self.largest.head(top).itertuples(index=False):
            lines.append(f"  {_human(row.size_bytes):>9}  {row.path}  (layer {row.layer})")
        lines.append("")
        if len(self.secrets):
            lines.append(f"Secrets: {len(self.secrets)} found (redacted)")
            for row in self.secrets.itertuples(index=False):
                state = "deleted later, still shipped" if row.deleted_later else "present"
                lines.append(f"  layer {row.layer}  {row.path}  {row.rule}  {row.preview}  ({state})")
        else:
            lines.append("Secrets: none found")
        lines.append(f"Packages: {len(self.packages)}" + (
            " (" + ", ".join(f"{k} {v}" for k, v in self.packages['type'].value_counts().items()) + ")"
            if len(self.packages) else ""))
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
           overrides: dict[str, str] | None = None) -> dive_compat.CiResult:
        """dive's CI rules and dockopt's, with ``.dive-ci`` values and command-line ``overrides``."""
        values, used = dive_compat.load_ci_config(config_file)
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        user = str(self.contents.image_config.get("User") or "")
        result = dive_compat.evaluate_ci(self.dive, values, secrets=self.secrets, user=user)
        return dive_compat.CiResult(results=result.results, config_file=used)

    def dive_json(self) -> dict[str, Any]:
        return dive_compat.dive_export(self.contents, self.dive)


def analyze_report(image: str | os.PathLike[str], *, source: str = "auto", steps: pd.DataFrame | None = None,
                   scanners: bool = True, stream: Iterable[bytes] | None = None) -> AnalysisReport:
    """Read ``image`` (reference or archive) once and run every analysis on it.

    ``steps``: optional BuildKit step records (``BuildResult.dockerfile_steps``) for stage
    attribution. ``scanners=False`` reads headers only (no secrets / packages / surface).
    ``stream``: an engine save stream of ``image`` opened already (``dockopt.analyze_cli``).
    """
    contents = read_image(image, source=source, capture=_combined_capture if scanners else None, stream=stream)
    files = contents.files
    dive = analysis.dive_metrics(files, contents.layers["size_bytes"].tolist())
    found = secrets.find(files, contents.contents, contents.layers, config=contents.config) if scanners else \
        pd.DataFrame(columns=secrets.FINDING_COLUMNS)
    packages = sbom.inventory(files, contents.contents) if scanners else pd.DataFrame(columns=sbom.PACKAGE_COLUMNS)
    surf = surface.surface(files, contents.image_config, packages=len(packages)) if scanners else None
    return AnalysisReport(image=str(image), contents=contents, dive=dive,
                          reclaimable_bytes=analysis.reclaimable_bytes(files),
                          waste=analysis.waste_by_layer(files, contents.layers, steps, dive=dive, hidden=contents.hidden),
                          largest=analysis.largest_files(files, 20),
                          secrets=found, packages=packages, surface=surf)


def run_analyze(args: argparse.Namespace, *, stream: Iterable[bytes] | None = None) -> int:
    """Run ``dockopt analyze``; prints the report, writes requested files, returns the exit code."""
    report = analyze_report(args.image, source=getattr(args, "source", None) or "auto",
                            scanners=not getattr(args, "no_scanners", False), stream=stream)
    print(report.to_text())
    if getattr(args, "json", None):
        dive_compat.write_dive_json(report.contents, args.json, report.dive)
        print(f"\nwrote dive-format JSON to {args.json}")
    if getattr(args, "sbom", None):
        Path(args.sbom).write_text(sbom.cyclonedx_json(report.packages, image_name=str(args.image)))
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
            Path(args.junit).write_text(dive_compat.junit_xml(result, image=str(args.image)))
            print(f"wrote JUnit XML to {args.junit}")
        if getattr(args, "ci", False) and not result.passed:
            code = 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())


def compare(reports: dict[str, AnalysisReport]) -> pd.DataFrame:
    """Each row is one measured fact (size, efficiency, hidden bytes, secrets, packages, surface);
    one column per named report, e.g. ``compare({"naive": a, "optimised": b})``."""
    def facts(r: AnalysisReport) -> dict[str, Any]:
        s = r.surface
        row: dict[str, Any] = {"size_bytes": r.size_bytes, "efficiency_pct": round(r.dive.efficiency * 100, 2),
                               "reclaimable_bytes": r.reclaimable_bytes, "secrets": len(r.secrets),
                               "packages": len(r.packages)}
        if s is not None:
            row.update(shell=", ".join(s.shells) or "none", package_manager=", ".join(s.package_managers) or "none",
                       compilers=", ".join(s.compilers) or "none", runs_as_root=s.runs_as_root,
                       setuid_files=len(s.setuid_files), healthcheck=s.healthcheck)
        return row

    return pd.DataFrame({name: facts(r) for name, r in reports.items()})
