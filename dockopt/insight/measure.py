"""Findings for Dockerfiles (static, fast) or for a project or image (measured): ``lint`` and ``measure``.

``lint(files)`` parses each Dockerfile with BuildKit's parser and runs the rules that need only its text,
plus hadolint. ``measure(project_or_image)`` builds the project (or reads the image), reads the image once
(``analyze_report``: file table, layer attribution, SBOM, surface, secrets), rebuilds a copy of the context
after a one-line source edit and explains what re-ran (``experiments.explain_rebuild``), then runs every rule
on those facts and joins hadolint's findings: each finding carries its measured cost.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import dockerfile as dockerfile_mod
from .. import lint, naming
from ..errors import DockoptError
from ..units import human_bytes
from .findings import Finding, Subject, frame, ordered, run_rules
from .rules import RULES

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import Future

    import pandas as pd

    from ..analysis_report import AnalysisReport
    from ..build import BuildResult
    from ..dockerfile import Dockerfile
    from ..experiments.rebuild import RebuildExplanation

log = logging.getLogger(__name__)

# What counts as source code (the file a developer edits all day); how to edit it is the workspace's.
_SOURCE = (".js", ".mjs", ".cjs", ".ts", ".jsx", ".tsx", ".go", ".java", ".cs", ".kt", ".rs", ".c", ".cpp", ".scala",
           ".py", ".rb", ".sh", ".php", ".html", ".vue", ".css")
_NOT_EDITED = {"package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "requirements.txt", "go.mod",
               "go.sum", "pom.xml", "Cargo.lock", "healthcheck.js"}


# What BuildKit's dispatcher knows; its parser takes any word, so an unknown one is caught here.
_INSTRUCTIONS = frozenset({"FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
                           "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"})
# hadolint code for "could not parse the file"
_HADOLINT_PARSE_ERROR = "DL1000"


def _unknown_instructions(parsed: dockerfile_mod.Dockerfile | None) -> list[tuple[int, str]]:
    if parsed is None:
        return []
    every = [*parsed.prelude, *(i for st in parsed.stages for i in st.instructions)]
    return [(i.line_start, i.written) for i in every if i.keyword not in _INSTRUCTIONS]


def covered_codes(ran: Iterable[str]) -> set[str]:
    """hadolint codes to hide because one of dockopt's rules that ``ran`` (rule ids) checks the same thing:
    a code whose rule did not run (``package-caches`` needs an image) stays in the table."""
    ran = set(ran)
    return {code for code, rule in lint.COVERED.items() if rule in ran}


def hadolint_findings(path: str | os.PathLike[str], *, covered: Iterable[str] = (),
                      notes: list[str] | None = None,
                      rows: Sequence[Mapping[str, Any]] | None = None,
                      parsed: Dockerfile | None = None) -> list[Finding]:
    """hadolint's findings in the findings' columns (static), without the codes in ``covered``; ``rows``
    are hadolint's rows for ``path`` when it already ran (``lint.hadolint_rows_many``), ``parsed`` the file
    as BuildKit read it, when the caller has it.

    When hadolint cannot run, or cannot parse a file BuildKit reads (a heredoc followed by a comment, say),
    that is a note about the tool, appended to ``notes``: not a finding about the file.
    """
    skip = set(covered)
    notes = notes if notes is not None else []
    if parsed is None:
        with contextlib.suppress(DockoptError):
            parsed = dockerfile_mod.parse(path)
    buildkit_reads = parsed is not None and not _unknown_instructions(parsed)
    if rows is None:
        try:
            rows = lint.hadolint_rows(path)
        except DockoptError as exc:  # not installed, or it crashed: the file was not checked by it
            notes.append(f"{path}: hadolint did not run ({exc}); dockopt's own rules ran")
            return []
    out = []
    for row in rows:
        code, line = str(row["code"]), (None if row["line"] is None else int(row["line"]))
        if code in skip:
            continue
        if code == _HADOLINT_PARSE_ERROR and buildkit_reads:
            where = f"line {line}: " if line is not None else ""
            notes.append(f"{path}: hadolint could not parse this file, which BuildKit reads ({where}"
                         f"{str(row['message']).splitlines()[0]}); hadolint's checks were skipped, dockopt's own ran")
            continue
        ins = parsed.instruction_at(line) if parsed is not None and line is not None else None
        build_check = lint.BUILD_CHECKS.get(code)
        if code == "DL3025" and ins is not None and ins.keyword not in ("CMD", "ENTRYPOINT"):
            build_check = None  # Docker's JSONArgsRecommended covers CMD and ENTRYPOINT only, not HEALTHCHECK
        out.append(Finding(rule=code, severity=str(row["level"]), file=str(path), line=line,
                           instruction=ins.original if ins is not None else None, message=str(row["message"]),
                           fix=f"see https://github.com/hadolint/hadolint/wiki/{code}",
                           evidence="static: hadolint reads the text", build_check=build_check,
                           source="hadolint"))
    return out


def _problem(path: str, rule: str, message: str, fix: str, line: int | None = None) -> Finding:
    return Finding(rule=rule, severity="error", file=path, line=line, instruction=None, message=message, fix=fix)


def _resolve_target(target: str | os.PathLike[str], dockerfile: str) -> tuple[Path | None, Finding | None]:
    """The Dockerfile a path names (a folder: its ``dockerfile``), or a finding that says what the path is."""
    p = Path(target)
    name = str(target)
    if not p.exists():
        return None, _problem(name, "not-a-dockerfile", "no such file or folder",
                              "pass the path of a Dockerfile or of a folder that holds one")
    if p.is_dir():
        inside = p / dockerfile
        if inside.is_file():
            return inside, None
        return None, _problem(name, "not-a-dockerfile", f"a folder without a {dockerfile}",
                              "pass the Dockerfile's path, or name it with -f NAME")
    if not p.is_file():
        return None, _problem(name, "not-a-dockerfile", "not a regular file (a device, socket or pipe)",
                              "pass the path of a Dockerfile")
    head = p.read_bytes()[:8192]
    if b"\0" in head:
        return None, _problem(name, "not-a-dockerfile", f"a binary file ({human_bytes(p.stat().st_size)}), "
                                                         "not a Dockerfile",
                              "pass the path of a Dockerfile (text); an image archive goes to `dockopt lint "
                              "--measure` or `dockopt analyze`")
    if not head.strip():
        return None, _problem(name, "not-a-dockerfile", "an empty file", "a Dockerfile starts with FROM <image>")
    return p, None


def _looks_like_dockerfile(path: Path) -> bool:
    name = path.name.lower()
    return "dockerfile" in name or name.endswith((".docker", ".containerfile")) or name == "containerfile"


def lint_files(dockerfiles: Sequence[str | os.PathLike[str]], *, hadolint: bool = True,
               dockerfile: str = "Dockerfile") -> pd.DataFrame:
    """Each row is one static finding in one of ``dockerfiles`` (``lint_findings`` as a table, most costly
    first); the notes about the tools are in ``.attrs["notes"]``."""
    findings, notes = lint_findings(dockerfiles, hadolint=hadolint, dockerfile=dockerfile)
    out = frame(findings)
    out.attrs["notes"] = notes
    return out


def lint_findings(dockerfiles: Sequence[str | os.PathLike[str]], *, hadolint: bool = True,
                  dockerfile: str = "Dockerfile") -> tuple[list[Finding], list[str]]:
    """The static findings in ``dockerfiles`` (dockopt's text rules, then hadolint's); nothing is built or
    read but the files and their folders (the build context).

    Each path is linted on its own: a folder stands for its ``dockerfile``; a path that is not a Dockerfile
    BuildKit reads (missing, a folder without one, binary, empty, a parse error) gives one ``error`` row
    saying what it is (rule ``not-a-dockerfile`` or ``invalid-dockerfile``) and the others are still linted.
    Returns the findings (``findings.ordered``) and the notes about the tools (hadolint could not parse a
    valid file). Plain Python, no pandas: ``dockopt lint`` prints them straight.
    """
    from concurrent.futures import ThreadPoolExecutor

    findings: list[Finding] = []
    notes: list[str] = []
    static_rules = [r for r in RULES if r.needs != "image"]
    resolved = [(target, *_resolve_target(target, dockerfile)) for target in dockerfiles]
    lintable = list(dict.fromkeys(str(path) for _, path, problem in resolved if path is not None and problem is None))
    # hadolint runs once for every file, in its own process, while dockopt's rules run here
    pool = ThreadPoolExecutor(max_workers=1) if hadolint and lintable else None
    batch = pool.submit(lint.hadolint_rows_many, lintable) if pool is not None else None
    for target, path, problem in resolved:
        log.info("lint %s: %s", target, problem.message if problem else f"Dockerfile {path}")
        if problem is not None or path is None:
            findings.extend([problem] if problem else [])
            continue
        try:
            parsed = dockerfile_mod.parse(path)
        except DockoptError as exc:
            line = getattr(exc, "line", None)
            said = exc.message.removeprefix(f"{path}:{line}: ").removeprefix(f"{path}: ")
            if _looks_like_dockerfile(path):
                findings.append(_problem(str(path), "invalid-dockerfile", f"BuildKit would refuse it: {said}",
                                         "fix the Dockerfile at that line", line=line))
            else:
                findings.append(_problem(str(path), "not-a-dockerfile",
                                         f"a text file that is not a Dockerfile (BuildKit: {said})",
                                         "pass the path of a Dockerfile", line=line))
            continue
        for line, word in _unknown_instructions(parsed):
            findings.append(_problem(str(path), "invalid-dockerfile", f"unknown instruction: {word}",
                                     "fix the instruction's name (BuildKit refuses the file)", line=line))
        subject = Subject(dockerfile=parsed, context=str(path.resolve().parent))
        ran = [r for r in static_rules if r.applies(subject)]
        findings.extend(run_rules(subject, ran))
        if batch is not None:
            findings.extend(hadolint_findings(path, covered=covered_codes(r.id for r in ran), notes=notes,
                                              rows=_batch_rows(batch, str(path)), parsed=parsed))
    if pool is not None:
        pool.shutdown()
    return ordered(findings), notes


def _batch_rows(batch: Future[dict[str, list[dict[str, Any]]]], path: str) -> list[dict[str, Any]] | None:
    """hadolint's rows for ``path`` from the one run over every file; None when that run failed (each file
    is then run on its own, so one file hadolint chokes on does not lose the others' checks)."""
    try:
        return batch.result().get(path, [])
    except DockoptError:
        return None


def _pick_edit(result: BuildResult) -> str | None:
    """A context file the build copies that is source code (not a manifest or Dockerfile): the file a
    developer edits all day. Files a broad ``COPY`` reads come first."""
    from ..experiments.rebuild import copy_reads

    parsed = result.parsed
    needed = set(parsed.needed_stages(result.target))
    copies = [i for s in parsed.stages if s.index in needed for i in parsed.context_copies(s.index)]
    candidates = sorted((p for p in result.context_files
                         if Path(p).suffix in _SOURCE and Path(p).name not in _NOT_EDITED
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
    from ..experiments.rebuild import explain_rebuild
    from ..workspace import Workspace, unique_marker

    rel = _pick_edit(result)
    ctx = Path(result.context)
    if rel is None or not ctx.is_dir():
        return None
    tag = f"{naming.namespace()}/lint-edit:{Path(result.context).name.lower() or 'project'}"
    options: dict[str, Any] = {"target": result.target, "build_args": result.build_args, "tag": tag,
               "labels": naming.image_labels("experiment"), "progress": progress}
    with Workspace(ctx, dockerfiles=[result.dockerfile], prefix="dockopt-edit-") as ws:
        before, after = ws.rebuild_after_edit(result.dockerfile, rel, marker=unique_marker("dockopt: one-line edit"),
                                              **options)
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
    notes: tuple[str, ...] = ()  # about the tools (hadolint could not parse the file), not the image


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
    text = os.fspath(project_or_image)
    if text.startswith(("/", "./", "../", "~")) and not Path(text).expanduser().exists():
        from ..errors import ProjectError

        raise ProjectError(f"{text!r}: no such file or folder (a path, so not an image reference)",
                           hint="pass a project folder, a Dockerfile, an image archive, or an image reference")
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
    ran = [r for r in RULES if r.applies(subject)]
    findings = run_rules(subject, ran)
    notes: list[str] = []
    if hadolint and result is not None:
        findings.extend(hadolint_findings(result.dockerfile, covered=covered_codes(r.id for r in ran), notes=notes))
    table = frame(findings)
    table.attrs["notes"] = notes
    return Measured(findings=table, build=result, report=report, edit=explained, edited_file=edited,
                    image=image, notes=tuple(notes))
