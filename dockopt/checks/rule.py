"""One ``Rule`` type, one ``Result`` record, one ``Verdict`` for every rule pack.

A rule has an ``id``, a ``default`` setting (a string, as dive's ``.dive-ci`` holds it; ``"disabled"``
skips the rule), a ``validate`` for settings, and a pure ``evaluate(facts, setting)`` that returns an
``Outcome`` (passed, the measured value, a message, a detail) — or, as dive's rules do, a failure
message or None. ``reads`` names the ``ImageFacts`` fields it needs: a rule whose facts were not
measured is skipped with a message saying so, never passed on a guess.

``run(rules, facts, values)`` evaluates a pack; the ``Verdict`` it returns renders in every format
(``dockopt.checks.formats``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AnalysisError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


class Status(StrEnum):
    """A rule's outcome (dive's words). ``str`` values: ``result.status == "PASS"`` holds."""

    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"
    MISCONFIGURED = "MISCONFIGURED"


PASS, FAIL, SKIP, MISCONFIGURED = Status.PASS, Status.FAIL, Status.SKIP, Status.MISCONFIGURED


class Severity(Enum):
    """How much a failure matters; the values are SARIF's levels."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Outcome:
    """What ``Rule.evaluate`` measured: ``passed``, the measured ``value``, a one-line ``message`` (what a
    person reads first) and a ``detail`` (paths, steps behind it)."""

    passed: bool
    value: Any = None
    message: str = ""
    detail: str = ""


def _no_validation(value: str) -> str | None:
    return None


@dataclass(frozen=True)
class Rule:
    """One check of one pack.

    Positional fields are dive's rule object (key, default, validate, evaluate, source), so rule tables
    written for ``dockopt.dive_compat.ci`` still build. ``evaluate(facts, setting)``: ``setting`` is
    the configured string for ``.dive-ci`` packs, the criterion for exercise criteria, None for the audit.
    """

    id: str
    default: str
    validate: Callable[[str], str | None]
    evaluate: Callable[[Any, Any], Outcome | str | None]
    pack: str
    title: str = ""
    severity: Severity = Severity.ERROR
    reads: tuple[str, ...] = ()
    help: str = ""  # where the rule comes from: a URL or a benchmark reference

    @property
    def key(self) -> str:
        """The rule's id (dive's name for it)."""
        return self.id

    @property
    def source(self) -> str:
        return self.pack

    def missing(self, facts: Any) -> tuple[str, ...]:
        """The facts this rule reads that ``facts`` does not have (not measured)."""
        return tuple(name for name in self.reads if getattr(facts, name, None) is None)


@dataclass(frozen=True)
class Result:
    """One rule's outcome on one subject. Positional fields are dive's (rule, status, message, source)."""

    rule: str
    status: Status
    message: str
    source: str
    value: Any = None
    threshold: str = ""
    detail: str = ""
    severity: Severity = Severity.ERROR
    title: str = ""
    path: str = ""  # the file a finding is in (lint: the Dockerfile), when it has one
    line: int | None = None

    @property
    def pack(self) -> str:
        return self.source


@dataclass(frozen=True)
class Verdict:
    """All rules of one run on one subject; ``passed`` is what an exit code follows."""

    results: tuple[Result, ...]
    config_file: str | None = None
    subject: str = ""

    @property
    def passed(self) -> bool:
        return all(r.status in (PASS, SKIP) for r in self.results)

    @property
    def misconfigured(self) -> bool:
        return any(r.status == MISCONFIGURED for r in self.results)

    def frame(self) -> pd.DataFrame:
        """Each row is one rule: ``rule``, ``status``, ``message``, ``source`` (the pack), ``value`` (measured),
        ``threshold`` (the setting), ``severity``, ``detail``."""
        import pandas as pd

        return pd.DataFrame([{"rule": r.rule, "status": str(r.status), "message": r.message, "source": r.source,
                              "value": r.value, "threshold": r.threshold, "severity": r.severity.value,
                              "detail": r.detail} for r in self.results],
                            columns=["rule", "status", "message", "source", "value", "threshold", "severity",
                                     "detail"])

    def to_text(self) -> str:
        from .formats.text import verdict_text

        return verdict_text(self)


def run(rules: Iterable[Rule], facts: Any, values: Mapping[str, Any] | None = None, *,
        config_file: str | None = None, subject: str = "") -> Verdict:
    """Each rule on ``facts`` with its setting from ``values`` (else its default): ``disabled`` skips it, an
    invalid setting makes it MISCONFIGURED, facts it reads that were not measured skip it, else it
    passes or fails."""
    values = values or {}
    out = []
    for rule in rules:
        setting = str(values.get(rule.id, rule.default)).strip()
        common: dict[str, Any] = {"source": rule.pack, "severity": rule.severity, "title": rule.title,
                                  "threshold": setting}
        if setting == "disabled":
            out.append(Result(rule.id, SKIP, "rule disabled", **common))
            continue
        problem = rule.validate(setting)
        if problem:
            out.append(Result(rule.id, MISCONFIGURED, problem, **common))
            continue
        missing = rule.missing(facts)
        if missing:
            out.append(Result(rule.id, SKIP, f"not measured: {', '.join(missing)}", **common))
            continue
        out.append(result_of(rule, rule.evaluate(facts, setting), common))
    return Verdict(results=tuple(out), config_file=config_file, subject=subject)


def result_of(rule: Rule, outcome: Outcome | str | None, common: Mapping[str, Any]) -> Result:
    """A ``Result`` from what ``rule.evaluate`` returned (an ``Outcome``, or dive's failure message / None)."""
    if isinstance(outcome, Outcome):
        return Result(rule.id, PASS if outcome.passed else FAIL, outcome.message, value=outcome.value,
                      detail=outcome.detail, **common)
    return Result(rule.id, FAIL if outcome else PASS, outcome or "", **common)


# --- settings as dive reads them -------------------------------------------------------------------------

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


def bool_validator(value: str) -> str | None:
    return None if value.lower() in ("true", "false") else f"invalid config value ('{value}'): expected true or false"


def load_config(path: str | os.PathLike[str] | None = ".dive-ci",
                rules: Iterable[Rule] = ()) -> tuple[dict[str, str], str | None]:
    """The settings of ``rules`` from a ``.dive-ci`` YAML file's ``rules:`` section (defaults for what it
    does not set, or when there is no file), as strings like dive's viper holds them; and the file used
    (None without one)."""
    rules = tuple(rules)
    values = {r.id: r.default for r in rules}
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
