"""A verdict as JSON: the subject, whether it passed, and each rule's result with its measured value."""

from __future__ import annotations

import json
from typing import Any

from ..rule import Verdict


def verdict_dict(verdict: Verdict) -> dict[str, Any]:
    """The verdict as plain data: ``subject``, ``config_file``, ``passed``, ``misconfigured``, ``results``
    (``rule``, ``pack``, ``status``, ``severity``, ``title``, ``message``, ``value``, ``threshold``, ``detail``)."""
    return {"subject": verdict.subject, "config_file": verdict.config_file, "passed": verdict.passed,
            "misconfigured": verdict.misconfigured,
            "results": [{"rule": r.rule, "pack": r.source, "status": str(r.status), "severity": r.severity.value,
                         "title": r.title, "message": r.message, "value": r.value, "threshold": r.threshold,
                         "detail": r.detail, **({"path": r.path, "line": r.line} if r.path else {})}
                        for r in verdict.results]}


def verdict_json(verdict: Verdict, *, indent: int | None = 1) -> str:
    # measured values are numbers, strings or booleans; anything else (numpy scalars) prints as text
    return json.dumps(verdict_dict(verdict), indent=indent, default=lambda v: v.item() if hasattr(v, "item")
                      else str(v)) + "\n"
