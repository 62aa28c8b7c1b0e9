"""Findings: what a rule found, where, and what it costs in this image; the table that joins them.

A ``Finding`` names its rule, severity, file, line and instruction, says what is wrong and how to fix it,
and carries its measured cost: ``cost_bytes`` (bytes in the image), ``cost_s`` (seconds of rebuild) and
``evidence`` (the paths, packages, steps that were measured). ``measured`` is False for a finding that
comes from the text alone (no build or image was read, or the rule has nothing to measure): its cost
columns are empty and its evidence says so. ``build_check`` names Docker's own build-check rule
(``docker build --check``) where one matches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..analysis_report import AnalysisReport
    from ..build import BuildResult
    from ..dockerfile import Dockerfile, Instruction
    from ..experiments.rebuild import RebuildExplanation

SEVERITIES = ("error", "warning", "info", "style")
FINDING_COLUMNS = ["rule", "severity", "file", "line", "instruction", "message", "fix", "cost_bytes", "cost_s",
                   "evidence", "measured", "build_check", "source"]
STATIC = "static: found in the Dockerfile's text; nothing measured"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    file: str | None
    line: int | None
    instruction: str | None
    message: str
    fix: str
    cost_bytes: int | None = None
    cost_s: float | None = None
    evidence: str = STATIC
    measured: bool = False
    build_check: str | None = None
    source: str = "dockopt"


@dataclass(frozen=True)
class Subject:
    """What the rules look at: a parsed Dockerfile, and (measured mode) the build, the image read once,
    each image layer's Dockerfile line and stage, and a rebuild after a one-line source edit."""

    dockerfile: Dockerfile | None = None
    target: str | None = None
    build: BuildResult | None = None
    report: AnalysisReport | None = None
    edit: RebuildExplanation | None = None
    edited_file: str | None = None
    context: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def path(self) -> str | None:
        if self.dockerfile is not None:
            return self.dockerfile.path
        return None

    @property
    def measured(self) -> bool:
        return self.report is not None

    @property
    def needed(self) -> tuple[int, ...]:
        return self.dockerfile.needed_stages(self.target) if self.dockerfile is not None else ()

    def layer_lines(self) -> dict[int, tuple[str | None, str | None, int | None]]:
        """Image layer → (stage, from_stage, Dockerfile line) as the report attributed it."""
        if self.report is None:
            return {}
        return {w.layer: (w.stage, w.from_stage, w.line) for w in self.report.waste_rows}


@dataclass(frozen=True)
class Rule:
    """One rule: its id, what it looks for, what it measures, and the check that returns its findings."""

    id: str
    title: str
    measures: str
    severity: str
    check: Callable[[Subject], list[Finding]] = field(repr=False, compare=False)
    build_check: str | None = None
    needs: str = "dockerfile"  # "dockerfile" | "image" | "either"

    def applies(self, subject: Subject) -> bool:
        if self.needs == "dockerfile":
            return subject.dockerfile is not None
        if self.needs == "image":
            return subject.report is not None
        return subject.dockerfile is not None or subject.report is not None

    def finding(self, subject: Subject, message: str, fix: str, *, ins: Instruction | None = None,
                line: int | None = None, **cost: Any) -> Finding:
        return Finding(rule=self.id, severity=cost.pop("severity", self.severity), file=subject.path,
                       line=ins.line_start if ins is not None else line,
                       instruction=ins.original if ins is not None else cost.pop("instruction", None),
                       message=message, fix=fix, build_check=self.build_check, **cost)


def honour_check_directives(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` as the Dockerfiles' own ``# check=`` directive asks, as ``docker build`` does: a finding
    that is one of Docker's build checks is dropped when the file says ``# check=skip=<Name>`` (or
    ``skip=all``), and becomes an ``error`` when it says ``error=true``. dockopt's own rules without a
    build-check name are not Docker's checks: the directive leaves them alone."""
    from ..dockerfile import Dockerfile, directives

    read: dict[str, Dockerfile | None] = {}
    out = []
    for f in findings:
        if f.build_check is None or f.file is None:
            out.append(f)
            continue
        if f.file not in read:
            try:
                with open(f.file, encoding="utf-8", errors="replace") as fh:
                    head = fh.read(4096)
            except OSError:
                head = ""
            read[f.file] = Dockerfile(path=f.file, text=head, global_args={}, build_args={}, prelude=(), stages=(),
                                      edges=(), directives=directives(head)) if head else None
        df = read[f.file]
        if df is not None and df.skips(f.build_check):
            continue
        if df is not None and df.check_error and f.severity != "error":
            f = replace(f, severity="error")
        out.append(f)
    return out


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` most costly first: bytes in the image, then seconds of rebuild, then severity; findings
    without a measured cost last; then by file and line. Docker build checks a Dockerfile turns off with
    ``# check=skip=...`` are left out (``honour_check_directives``). Plain Python: ``dockopt lint`` prints
    these without loading pandas."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}

    def key(f: Finding) -> tuple[int, float, int, bool, str, int]:
        return (-(f.cost_bytes if f.cost_bytes is not None else -1), -(f.cost_s if f.cost_s is not None else -1.0),
                rank.get(f.severity, len(SEVERITIES)), f.file is None, str(f.file or ""), f.line or 0)

    return sorted(honour_check_directives(findings), key=key)


def records(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """One dict per finding (``FINDING_COLUMNS``), in the order given."""
    return [{c: getattr(f, c) for c in FINDING_COLUMNS} for f in findings]


def frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Each row is one finding (``FINDING_COLUMNS``), in the order ``ordered`` gives (most costly first)."""
    import pandas as pd

    out = pd.DataFrame(records(ordered(findings)), columns=FINDING_COLUMNS)
    out["line"] = out["line"].astype("Int64")
    out["cost_bytes"] = out["cost_bytes"].astype("Int64")
    out["cost_s"] = out["cost_s"].astype("float64")
    out["measured"] = out["measured"].astype(bool)
    return out


def run_rules(subject: Subject, rules: Sequence[Rule]) -> list[Finding]:
    out: list[Finding] = []
    for rule in rules:
        if rule.applies(subject):
            out.extend(rule.check(subject))
    return out


def rules_frame(rules: Sequence[Rule]) -> pd.DataFrame:
    """Each row is one rule: ``rule``, ``title``, ``measures``, ``severity``, ``build_check``, ``needs``."""
    import pandas as pd

    return pd.DataFrame([{"rule": r.id, "title": r.title, "measures": r.measures, "severity": r.severity,
                          "build_check": r.build_check, "needs": r.needs} for r in rules])


def by_rule(table: pd.DataFrame) -> Mapping[str, int]:
    """How many findings each rule has in ``table``."""
    return {str(k): int(v) for k, v in table["rule"].value_counts().items()}
