"""Static and measured lint (``dockopt.insight``) as a verdict, so its findings render in every format.

Lint's rules live in ``dockopt.insight.rules`` (each finding carries a Dockerfile line and, when measured,
a cost); the facts they share with the image packs (runs as root, secret-named ARG/ENV, healthcheck)
are decided in ``dockopt.checks.facts``. Lint reports findings, not passes: each finding is one failed
``Result`` with its file and line, and a file without findings is a passing verdict.
"""

from __future__ import annotations

from typing import Any

from ..rule import FAIL, Result, Severity, Verdict

PACK = "lint"
# hadolint's and dockopt's severities onto SARIF's levels
SEVERITY = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.NOTE, "style": Severity.NOTE}


def lint_verdict(findings: Any, *, subject: str = "") -> Verdict:
    """``findings``: the frame ``dockopt.insight.lint_files`` / ``measure`` return (``FINDING_COLUMNS``)."""
    results = []
    for f in findings.to_dict("records"):
        line = f.get("line")
        cost = f.get("cost_bytes")
        results.append(Result(
            str(f["rule"]), FAIL, str(f["message"]), PACK,
            value=None if cost is None or cost != cost else int(cost),  # NaN / NA: no measured cost
            detail=" ".join(str(x) for x in (f.get("fix"), f.get("evidence")) if isinstance(x, str) and x),
            severity=SEVERITY.get(str(f["severity"]), Severity.WARNING), title=str(f.get("build_check") or ""),
            path=str(f.get("file") or ""), line=None if line is None or line != line else int(line)))
    return Verdict(results=tuple(results), subject=subject)
