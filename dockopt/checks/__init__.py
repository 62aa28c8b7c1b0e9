"""One set of checks: image facts decided once, one ``Rule`` type, rule packs, verdicts in every format.

- ``facts``: ``ImageFacts`` / ``image_facts`` (from the analysis, the config, a smoke run, a rebuild) and
  the Dockerfile facts static lint asks (``declared_user``, ``secret_named_args``); ``runs_as_root`` and
  ``is_secret_name`` are the only places those questions are decided.
- ``rule``: ``Rule``, ``Outcome``, ``Result``, ``Verdict``, ``run``; ``.dive-ci`` settings.
- ``packs``: ``dive`` (dive's CI rules), ``gate`` (dockopt's CI rules), ``audit`` (Docker Bench section 4),
  ``exercise`` (the exercise criteria).
- ``formats``: ``text``, ``json``, ``junit``, ``sarif``; ``render(verdict, format)`` picks one.
"""

from __future__ import annotations

from .facts import ImageFacts, declared_user, image_facts, is_secret_name, runs_as_root, secret_named_args
from .formats import FORMATS, Format
from .rule import Outcome, Result, Rule, Severity, Status, Verdict, run

__all__ = ["FORMATS", "Format", "ImageFacts", "Outcome", "Result", "Rule", "Severity", "Status", "Verdict",
           "declared_user", "image_facts", "is_secret_name", "render", "run", "runs_as_root", "secret_named_args"]


def render(verdict: Verdict, fmt: Format = "text", *, image: str = "", artifact: str | None = None) -> str:
    """``verdict`` as ``text`` (dive's layout), ``json``, ``junit`` (JUnit XML) or ``sarif`` (SARIF 2.1.0)."""
    if fmt == "text":
        return verdict.to_text() + "\n"
    if fmt == "json":
        from .formats.json import verdict_json

        return verdict_json(verdict)
    if fmt == "junit":
        from .formats.junit import junit_xml

        return junit_xml(verdict, image=image or verdict.subject)
    if fmt == "sarif":
        from .formats.sarif import verdict_sarif

        return verdict_sarif(verdict, artifact=artifact)
    raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
