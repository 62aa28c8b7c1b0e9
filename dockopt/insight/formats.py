"""Findings in the formats CI systems read: SARIF 2.1.0 (code scanning) and JUnit XML (test reports).

Both take the findings table (``insight.frame``) or its rows (``findings.records``) and the notes about
the tools, so every output is drawn from the same rows as the table ``dockopt lint`` prints. No pandas
here: static ``dockopt lint`` never loads it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from .findings import STATIC

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    Findings = pd.DataFrame | Sequence[Mapping[str, Any]]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# finding severity -> SARIF result level (SARIF has no "info" or "style")
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note", "style": "note"}
FAILING = ("error",)  # the severities that fail a lint run (exit 1, a JUnit failure)


def _value(v: Any) -> Any:
    """``v``, or None where it is missing (None, NaN, pandas' NA)."""
    if v is None or type(v).__name__ in ("NAType", "NaTType"):
        return None
    try:
        return None if v != v else v  # NaN is the one value unequal to itself
    except (TypeError, ValueError):
        return v


def _rows(findings: Findings) -> list[Mapping[str, Any]]:
    if hasattr(findings, "to_dict"):  # a DataFrame, asked without importing pandas
        return cast("list[Mapping[str, Any]]", findings.to_dict(orient="records"))
    return list(findings)


def sarif(findings: Findings, *, notes: Sequence[str] = (), version: str = "") -> dict[str, Any]:
    """The findings as one SARIF 2.1.0 run of tool ``dockopt`` (hadolint's codes appear as its rules)."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for row in _rows(findings):
        rule = str(row["rule"])
        if rule not in rules:
            help_uri = (f"https://github.com/hadolint/hadolint/wiki/{rule}" if row.get("source") == "hadolint"
                        else None)
            rules[rule] = {"id": rule, "shortDescription": {"text": str(row["message"])[:200]},
                           **({"helpUri": help_uri} if help_uri else {}),
                           **({"properties": {"buildCheck": row["build_check"]}}
                              if _value(row.get("build_check")) else {})}
        result: dict[str, Any] = {
            "ruleId": rule, "level": _SARIF_LEVEL.get(str(row["severity"]), "warning"),
            "message": {"text": f"{row['message']} (fix: {row['fix']})"},
            "properties": {k: _value(row.get(k)) for k in ("cost_bytes", "cost_s", "evidence", "measured", "source")},
        }
        file, line = _value(row.get("file")), _value(row.get("line"))
        if file:
            location: dict[str, Any] = {"artifactLocation": {"uri": str(file)}}
            if line is not None:
                location["region"] = {"startLine": int(line)}
            result["locations"] = [{"physicalLocation": location}]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "dockopt",
                                **({"version": version} if version else {}), "rules": list(rules.values())}},
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": [
                {"level": "note", "message": {"text": n}} for n in notes]}],
            "results": results,
        }],
    }


def sarif_json(findings: Findings, *, notes: Sequence[str] = (), version: str = "") -> str:
    return json.dumps(sarif(findings, notes=notes, version=version), indent=2, default=str)


def junit_xml(findings: Findings, *, files: Sequence[str] = (), notes: Sequence[str] = (),
              suite: str = "dockopt lint") -> str:
    """One test case per finding (an ``error`` one fails) and one passing case per file without findings;
    the notes about the tools go to the suite's ``system-out``."""
    from xml.sax.saxutils import escape, quoteattr  # here: it imports urllib.request, http and email

    cases = []
    rows = _rows(findings)
    for row in rows:
        file = str(_value(row.get("file")) or "")
        line = _value(row.get("line"))
        name = f"{row['rule']} {file}{':' + str(int(line)) if line is not None else ''}"
        text = f"{row['message']}\nfix: {row['fix']}\nevidence: {row.get('evidence') or STATIC}"
        if row["severity"] in FAILING:
            body = f"<failure message={quoteattr(str(row['message']))} type={quoteattr(str(row['rule']))}>" \
                   f"{escape(text)}</failure>"
        else:
            body = f"<system-out>{escape(row['severity'] + ': ' + text)}</system-out>"
        cases.append(f'  <testcase classname={quoteattr(file or suite)} name={quoteattr(name)}>{body}</testcase>')
    seen = {str(row["file"]) for row in rows if _value(row.get("file")) is not None}
    for f in files:
        if str(f) not in seen:
            cases.append(f'  <testcase classname={quoteattr(str(f))} name={quoteattr("no findings " + str(f))}/>')
    failures = sum(row["severity"] in FAILING for row in rows)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f"<testsuite name={quoteattr(suite)} tests=\"{len(cases)}\" failures=\"{failures}\" errors=\"0\">",
           *cases]
    if notes:
        out.append(f"  <system-out>{escape(chr(10).join(notes))}</system-out>")
    out.append("</testsuite>")
    return "\n".join(out) + "\n"
