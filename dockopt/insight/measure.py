"""Findings for Dockerfiles (static, fast) or for a project or image (measured): ``lint`` and ``measure``.

``lint(files)`` parses each Dockerfile with BuildKit's parser and runs the rules that need only its text,
plus hadolint. ``measure(project_or_image)`` builds the project (or reads the image), reads the image once
(``analyze_report``: file table, layer attribution, SBOM, surface, secrets), rebuilds a copy of the context
after a one-line source edit and explains what re-ran (``experiments.explain_rebuild``), then runs every rule
on those facts and joins hadolint's findings: each finding carries its measured cost.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import dockerfile as dockerfile_mod
from .. import engine, lint, naming
from ..errors import DockoptError
from .findings import Finding, Subject, frame, run_rules
from .rules import RULES

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis_report import AnalysisReport
    from ..build import BuildResult
    from ..experiments.rebuild import RebuildExplanation

_COMMENT = {".js": "//", ".mjs": "//", ".cjs": "//", ".ts": "//", ".jsx": "//", ".tsx": "//", ".go": "//",
            ".java": "//", ".cs": "//", ".kt": "//", ".rs": "//", ".c": "//", ".cpp": "//", ".scala": "//",
            ".py": "#", ".rb": "#", ".sh": "#", ".php": "//", ".html": "<!--", ".vue": "<!--", ".css": "/*"}
_NOT_EDITED = {"package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "requirements.txt", "go.mod",
               "go.sum", "pom.xml", "Cargo.lock", "healthcheck.js"}


def hadolint_findings(path: str | os.PathLike[str], *, covered: Iterable[str] = ()) -> list[Finding]:
    """hadolint's findings in the findings' columns (static), without the codes in ``covered``."""
    skip = set(covered)
    table = lint.hadolint(path)
    out = []
    parsed = None
    with contextlib.suppress(DockoptError):
        parsed = dockerfile_mod.parse(path)
    row: Any
    for row in table.itertuples(index=False):
        if row.code in skip:
            continue
        ins = parsed.instruction_at(int(row.line)) if parsed is not None and pd.notna(row.line) else None
        out.append(Finding(rule=str(row.code), severity=str(row.level), file=str(path),
                           line=None if pd.isna(row.line) else int(row.line),
                           instruction=ins.original if ins is not None else None, message=str(row.message),
                           fix=f"see https://github.com/hadolint/hadolint/wiki/{row.code}",
                           evidence="static: hadolint reads the text", build_check=lint.BUILD_CHECKS.get(str(row.code)),
                           source="hadolint"))
    return out


def lint_files(dockerfiles: Sequence[str | os.PathLike[str]], *, hadolint: bool = True) -> pd.DataFrame:
    """Each row is one static finding in one of ``dockerfiles`` (dockopt's text rules, then hadolint's);
    nothing is built or read but the files and their folders (the build context)."""
    findings: list[Finding] = []
    for f in dockerfiles:
        parsed = dockerfile_mod.parse(f)
        subject = Subject(dockerfile=parsed, context=str(Path(f).resolve().parent))
        findings.extend(run_rules(subject, [r for r in RULES if r.needs != "image"]))
        if hadolint:
            findings.extend(hadolint_findings(f, covered=lint.COVERED))
    return frame(findings)


def _pick_edit(result: BuildResult) -> str | None:
    """A context file the build copies that is source code (not a manifest or Dockerfile): the file a
    developer edits all day. Files a broad ``COPY`` reads come first."""
    from ..experiments.rebuild import copy_reads

    parsed = result.parsed
    needed = set(parsed.needed_stages(result.target))
    copies = [i for s in parsed.stages if s.index in needed for i in parsed.context_copies(s.index)]
    candidates = sorted((p for p in result.context_files
                         if Path(p).suffix in _COMMENT and Path(p).name not in _NOT_EDITED
                         and not Path(p).name.startswith("Dockerfile")),
                        key=lambda p: (p.count("/"), p))
    for ins in copies:
        for p in candidates:
            if copy_reads(ins, p) and "test" not in p.split("/")[0]:
                return p
    return None


def source_edit_rebuild(result: BuildResult, *, progress: bool = False) -> tuple[str, RebuildExplanation] | None:
    """Rebuild a copy of ``result``'s context after a one-line comment is appended to one source file;
    returns (that file, the explanation of what re-ran), or None when no source file can be edited."""
    from ..build import build
    from ..experiments.rebuild import explain_rebuild

    rel = _pick_edit(result)
    ctx = Path(result.context)
    if rel is None or not ctx.is_dir():
        return None
    tag = f"{naming.namespace()}/lint-edit:{Path(result.context).name.lower() or 'project'}"
    with tempfile.TemporaryDirectory(prefix="dockopt-edit-") as tmp:
        tree = Path(tmp) / ctx.name
        for f in result.context_files:
            (tree / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ctx / f, tree / f)
        df = Path(result.dockerfile)
        dockerfile = str(df.relative_to(ctx)) if df.is_relative_to(ctx) else str(df)
        for extra in (ctx / ".dockerignore", Path(str(df) + ".dockerignore")):
            if extra.is_file() and extra.is_relative_to(ctx):
                shutil.copy2(extra, tree / extra.relative_to(ctx))
        labels = naming.image_labels("experiment")
        try:
            before = build(tree, dockerfile, target=result.target, build_args=result.build_args, tag=tag,
                           labels=labels, progress=progress)
            edited = tree / rel
            mark = _COMMENT[Path(rel).suffix]
            closing = {"<!--": " -->", "/*": " */"}.get(mark, "")
            edited.write_text(edited.read_text(encoding="utf-8", errors="replace")
                              + f"\n{mark} dockopt: one-line edit {uuid.uuid4().hex[:12]}{closing}\n",
                              encoding="utf-8")  # unique: an edit BuildKit has seen before would be cached
            after = build(tree, dockerfile, target=result.target, build_args=result.build_args, tag=tag,
                          labels=labels, progress=progress)
        finally:
            if engine.image_exists(tag):
                engine.remove_image(tag)
    return rel, explain_rebuild(before, after)


@dataclass(frozen=True)
class Measured:
    """``measure``'s answer: ``findings`` (sorted by cost) and the facts they were measured from."""

    findings: pd.DataFrame = field(repr=False)
    build: BuildResult | None = field(repr=False)
    report: AnalysisReport = field(repr=False)
    edit: RebuildExplanation | None = field(repr=False)
    edited_file: str | None
    image: str


def _is_project(what: str | os.PathLike[str]) -> bool:
    p = Path(what)
    return p.is_dir() or (p.is_file() and (p.name.startswith("Dockerfile") or p.name.endswith(".Dockerfile"))
                          and not str(what).endswith((".tar", ".tar.gz")))


def measure(project_or_image: str | os.PathLike[str], *, dockerfile: str = "Dockerfile", target: str | None = None,
            build_args: Mapping[str, str] | None = None, edit: bool = True, hadolint: bool = True,
            progress: bool = False) -> Measured:
    """Findings with measured costs for a project (a folder, or a Dockerfile path whose folder is the
    context: built here) or an image (a reference or an archive: read only; rules that need the Dockerfile
    are skipped and lines stay empty). ``edit``: also rebuild after a one-line source edit (the cost of a
    broad ``COPY``)."""
    from ..analysis_report import analyze_report
    from ..build import build

    result = None
    explained = None
    edited = None
    if _is_project(project_or_image):
        p = Path(project_or_image)
        context, df = (p, dockerfile) if p.is_dir() else (p.parent, p.name)
        tag = f"{naming.namespace()}/lint:{context.resolve().name.lower() or 'project'}"
        result = build(context, df, target=target, build_args=build_args, tag=tag,
                       labels=naming.image_labels("experiment"), progress=progress)
        image = result.ref
        report = analyze_report(image, build=result)
        if edit:
            done = source_edit_rebuild(result, progress=progress)
            if done is not None:
                edited, explained = done
        subject = Subject(dockerfile=result.parsed, target=target, build=result, report=report, edit=explained,
                          edited_file=edited, context=str(context.resolve()))
    else:
        image = str(project_or_image)
        report = analyze_report(image)
        subject = Subject(report=report)
    findings = run_rules(subject, RULES)
    if hadolint and result is not None:
        findings.extend(hadolint_findings(result.dockerfile, covered=lint.COVERED))
    return Measured(findings=frame(findings), build=result, report=report, edit=explained, edited_file=edited,
                    image=image)
