"""A verdict as text, in dive's ``--ci`` layout (``  PASS: rule``, then ``Result:PASS [Total:..]``)."""

from __future__ import annotations

from typing import Any

# the statuses' values (``rule.Status``): ``rule.Verdict.to_text`` imports this module, so it cannot import rule
PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"


def verdict_text(verdict: Any) -> str:
    """dive's ``--ci`` report of a ``Verdict``: each rule sorted by id with its status and message, then the
    tally."""
    lines = ["Results:"]
    for r in sorted(verdict.results, key=lambda r: r.rule):
        lines.append(f"  {r.status}: {r.rule}" + (f": {r.message}" if r.message else ""))
    tally = {s: sum(r.status == s for r in verdict.results) for s in (PASS, FAIL, SKIP)}
    if verdict.misconfigured:
        lines.append("CI Misconfigured")
    else:
        lines.append(f"Result:{'PASS' if verdict.passed else 'FAIL'} [Total:{len(verdict.results)}] "
                     f"[Passed:{tally[PASS]}] [Failed:{tally[FAIL]}] [Warn:0] [Skipped:{tally[SKIP]}]")
    return "\n".join(lines)
