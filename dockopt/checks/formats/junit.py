"""JUnit XML: one test case per rule (failures and skips as JUnit understands them).

The layout ``dockopt analyze --junit`` has always written (dive has no JUnit output of its own).
"""

from __future__ import annotations

from ..rule import FAIL, MISCONFIGURED, PASS, SKIP, Verdict


def junit_xml(result: Verdict, *, suite: str = "dockopt analyze", image: str = "") -> str:
    """JUnit XML with one test case per rule (failures and skips as JUnit understands them)."""
    from xml.sax.saxutils import escape, quoteattr  # here: it imports urllib.request, http and email

    failures = sum(r.status in (FAIL, MISCONFIGURED) for r in result.results)
    skipped = sum(r.status == SKIP for r in result.results)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites name={quoteattr(suite)} tests="{len(result.results)}" failures="{failures}">',
             f'  <testsuite name={quoteattr(suite + (": " + image if image else ""))} tests="{len(result.results)}" '
             f'failures="{failures}" skipped="{skipped}" errors="0">']
    for r in result.results:
        head = f'    <testcase classname={quoteattr(r.source)} name={quoteattr(r.rule)}'
        if r.status == PASS:
            lines.append(head + "/>")
        elif r.status == SKIP:
            lines.append(head + f'><skipped message={quoteattr(r.message)}/></testcase>')
        else:
            lines.append(head + f'><failure message={quoteattr(r.message)} type="{r.status}">'
                         f'{escape(r.message)}</failure></testcase>')
    lines += ["  </testsuite>", "</testsuites>"]
    return "\n".join(lines) + "\n"
