"""dive's ``--ci`` rules as a table of rule objects (as dive keeps them), the ``.dive-ci`` file, and
a JUnit XML rendering of the results.

A ``Rule`` has a key, a default value (a string, as dive's viper config holds it), a validator
and an evaluator; ``DIVE_RULES`` are dive's three with dive's defaults, messages and
comparisons. Other rule tables (``dockopt.ci_rules``) use the same objects and the same file.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import AnalysisError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

PASS, FAIL, SKIP, MISCONFIGURED = "PASS", "FAIL", "SKIP", "MISCONFIGURED"

_BYTES_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "ki": 1024, "kib": 1024, "m": 1000**2, "mb": 1000**2,
                "mi": 1024**2, "mib": 1024**2, "g": 1000**3, "gb": 1000**3, "gi": 1024**3, "gib": 1024**3,
                "t": 1000**4, "tb": 1000**4, "ti": 1024**4, "tib": 1024**4, "p": 1000**5, "pb": 1000**5,
                "pi": 1024**5, "pib": 1024**5, "e": 1000**6, "eb": 1000**6, "ei": 1024**6, "eib": 1024**6}


def parse_bytes(value: str) -> int:
    """go-humanize's ``ParseBytes``: "20MB" = 20 000 000, "20MiB" = 20 971 520, "42" = 42."""
    text = str(value).strip()
    m = re.match(r"^([0-9.,]*)(.*)$", text)
    assert m
    number, unit = m.group(1).replace(",", ""), m.group(2).strip().lower()
    if not number or unit not in _BYTES_UNITS:
        raise ValueError(f"unhandled size name: {unit or text!r}")
    return int(float(number) * _BYTES_UNITS[unit])


def go_float(x: float) -> str:
    """A float64 as Go's ``%v`` prints it (what dive's messages show)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


class DiveFigures(Protocol):
    """What dive's rules look at (``DiveMetrics`` has it)."""

    efficiency: float
    wasted_bytes: int
    user_wasted_percent: float


@dataclass(frozen=True)
class Rule:
    """One CI rule: ``validate(value)`` returns a problem or None; ``evaluate(subject, value)``
    returns a failure message or None (pass). ``source`` names who defines it (dive, dockopt)."""

    key: str
    default: str
    validate: Callable[[str], str | None]
    evaluate: Callable[[Any, str], str | None]
    source: str


def ratio_validator(key: str) -> Callable[[str], str | None]:
    """dive's check for a 0-1 ratio value."""
    def check(value: str) -> str | None:
        try:
            f = float(value)
        except ValueError as exc:
            return f"invalid config value ('{value}'): {exc}"
        if f < 0 or f > 1:
            return f"{key} config value is outside allowed range (0-1), given '{value}'"
        return None
    return check


def size_validator(value: str) -> str | None:
    """dive's check for a byte size (go-humanize syntax)."""
    try:
        parse_bytes(value)
    except ValueError as exc:
        return f"invalid config value ('{value}'): {exc}"
    return None


def _lowest_efficiency(m: DiveFigures, value: str) -> str | None:
    threshold = float(value)
    if threshold > m.efficiency:
        return f"image efficiency is too low (efficiency={go_float(m.efficiency)} < threshold={go_float(threshold)})"
    return None


def _highest_wasted_bytes(m: DiveFigures, value: str) -> str | None:
    threshold = parse_bytes(value)
    if m.wasted_bytes > threshold:
        return f"too many bytes wasted (wasted-bytes={m.wasted_bytes} > threshold={threshold})"
    return None


def _highest_user_wasted_percent(m: DiveFigures, value: str) -> str | None:
    threshold = float(value)
    # Go compares with NaN as false, so an image without user bytes passes like in dive.
    if threshold < m.user_wasted_percent:
        return ("too many bytes wasted, relative to the user bytes added "
                f"(%-user-wasted-bytes={go_float(m.user_wasted_percent)} > threshold={go_float(threshold)})")
    return None


DIVE_RULES: tuple[Rule, ...] = (
    Rule("lowestEfficiency", "0.9", ratio_validator("lowestEfficiency"), _lowest_efficiency, "dive"),
    Rule("highestWastedBytes", "disabled", size_validator, _highest_wasted_bytes, "dive"),
    Rule("highestUserWastedPercent", "0.1", ratio_validator("highestUserWastedPercent"),
         _highest_user_wasted_percent, "dive"),
)


@dataclass(frozen=True)
class RuleResult:
    """One CI rule's outcome: ``status`` is PASS, FAIL, SKIP or MISCONFIGURED."""

    rule: str
    status: str
    message: str
    source: str  # "dive" or "dockopt"


@dataclass(frozen=True)
class CiResult:
    """All rules evaluated; ``passed`` is what the exit code follows."""

    results: tuple[RuleResult, ...]
    config_file: str | None

    @property
    def passed(self) -> bool:
        return all(r.status in (PASS, SKIP) for r in self.results)

    @property
    def misconfigured(self) -> bool:
        return any(r.status == MISCONFIGURED for r in self.results)

    def frame(self) -> pd.DataFrame:
        """Each row is one rule: ``rule``, ``status``, ``message``, ``source``."""
        import pandas as pd

        return pd.DataFrame([r.__dict__ for r in self.results], columns=["rule", "status", "message", "source"])

    def to_text(self) -> str:
        lines = ["Results:"]
        for r in sorted(self.results, key=lambda r: r.rule):
            lines.append(f"  {r.status}: {r.rule}" + (f": {r.message}" if r.message else ""))
        tally = {s: sum(r.status == s for r in self.results) for s in (PASS, FAIL, SKIP)}
        if self.misconfigured:
            lines.append("CI Misconfigured")
        else:
            lines.append(f"Result:{'PASS' if self.passed else 'FAIL'} [Total:{len(self.results)}] "
                         f"[Passed:{tally[PASS]}] [Failed:{tally[FAIL]}] [Warn:0] [Skipped:{tally[SKIP]}]")
        return "\n".join(lines)


def evaluate(rules: Iterable[Rule], values: Mapping[str, str], subject: Any,
             config_file: str | None = None) -> CiResult:
    """Each rule on ``subject`` with its value from ``values`` (else its default): ``disabled``
    skips it, an invalid value makes it MISCONFIGURED, else it passes or fails."""
    out = []
    for rule in rules:
        value = str(values.get(rule.key, rule.default)).strip()
        if value == "disabled":
            out.append(RuleResult(rule.key, SKIP, "rule disabled", rule.source))
            continue
        problem = rule.validate(value)
        if problem:
            out.append(RuleResult(rule.key, MISCONFIGURED, problem, rule.source))
            continue
        message = rule.evaluate(subject, value)
        out.append(RuleResult(rule.key, FAIL if message else PASS, message or "", rule.source))
    return CiResult(results=tuple(out), config_file=config_file)


def load_ci_config(path: str | os.PathLike[str] | None = ".dive-ci",
                   rules: Iterable[Rule] = DIVE_RULES) -> tuple[dict[str, str], str | None]:
    """The values of ``rules`` from a ``.dive-ci`` YAML file's ``rules:`` section (defaults for
    what it does not set, or when there is no file), as strings like dive's viper holds them;
    and the file used (None without one)."""
    rules = tuple(rules)
    values = {r.key: r.default for r in rules}
    if path is None or not Path(path).is_file():
        return values, None
    import yaml

    try:
        doc = yaml.safe_load(Path(path).read_text()) or {}
    except yaml.YAMLError as exc:
        raise AnalysisError(f"{path}: not valid YAML ({exc})", hint="see dive's .dive-ci format: rules: {...}") from exc
    section = doc.get("rules") if isinstance(doc, dict) else None
    for key, value in (section or {}).items():
        if key in values:
            values[key] = _as_config_string(value)
    return values, str(path)


def _as_config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    return str(value)


def junit_xml(result: CiResult, *, suite: str = "dockopt analyze", image: str = "") -> str:
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
