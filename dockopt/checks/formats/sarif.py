"""A verdict as SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), for code-scanning UIs.

One ``run`` whose driver is dockopt, one ``reportingDescriptor`` per rule evaluated, one ``result`` per
rule: ``kind`` ``fail`` (with the rule's severity as ``level``), ``pass`` or ``notApplicable`` (skipped;
SARIF requires ``level`` ``none`` for any kind but ``fail``). A rule whose setting is invalid is a tool
configuration notification of the run's invocation, which then did not succeed. Image checks have
no source location unless ``artifact`` names one (e.g. the Dockerfile the image was built from); lint
findings carry their own file and line.
"""

from __future__ import annotations

import json
from typing import Any

from ..rule import FAIL, MISCONFIGURED, PASS, Verdict

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/dockopt/dockopt"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dockopt")
    except PackageNotFoundError:  # a checkout on PYTHONPATH, not installed
        return "0"


def verdict_sarif_dict(verdict: Verdict, *, artifact: str | None = None) -> dict[str, Any]:
    """The SARIF log as plain data (see the module docstring)."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for r in verdict.results:
        if r.rule not in index:
            index[r.rule] = len(rules)
            rules.append({"id": r.rule, "name": r.rule, "shortDescription": {"text": r.title or r.rule},
                          "defaultConfiguration": {"level": r.severity.value},
                          "properties": {"pack": r.source}})
        if r.status == MISCONFIGURED:
            notifications.append({"message": {"text": r.message}, "level": "error",
                                  "descriptor": {"id": r.rule, "index": index[r.rule]}})
            continue
        kind = "fail" if r.status == FAIL else ("pass" if r.status == PASS else "notApplicable")
        result: dict[str, Any] = {
            "ruleId": r.rule, "ruleIndex": index[r.rule], "kind": kind,
            "level": r.severity.value if kind == "fail" else "none",
            "message": {"text": r.message or r.title or r.rule},
            "properties": {"pack": r.source, "status": str(r.status), "threshold": r.threshold,
                           "value": r.value if isinstance(r.value, (int, float, str, bool)) or r.value is None
                           else str(r.value), "detail": r.detail}}
        if r.path or artifact:
            result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": r.path or artifact},
                                                         "region": {"startLine": r.line or 1}}}]
        results.append(result)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "dockopt", "version": _version(), "informationUri": INFORMATION_URI,
                            "rules": rules}},
        "invocations": [{"executionSuccessful": not notifications,
                         "toolConfigurationNotifications": notifications}],
        "results": results,
        "properties": {"subject": verdict.subject, "configFile": verdict.config_file, "passed": verdict.passed},
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def verdict_sarif(verdict: Verdict, *, artifact: str | None = None) -> str:
    return json.dumps(verdict_sarif_dict(verdict, artifact=artifact), indent=1, default=str) + "\n"
