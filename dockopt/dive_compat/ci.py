"""dive's ``--ci`` rules, the ``.dive-ci`` file and JUnit XML: kept for their import path.

The rule type, the evaluation and the settings live in ``dockopt.checks.rule``, dive's rules in
``dockopt.checks.packs.dive`` (same defaults, messages and comparisons as dive 0.13), the JUnit
rendering in ``dockopt.checks.formats.junit``. ``CiResult`` / ``RuleResult`` are the checks'
``Verdict`` / ``Result``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from ..checks.formats.junit import junit_xml
from ..checks.packs.dive import (
    DIVE_RULES,
    DiveFigures,
    _highest_user_wasted_percent,
    _highest_wasted_bytes,
    _lowest_efficiency,
)
from ..checks.rule import (
    FAIL,
    MISCONFIGURED,
    PASS,
    SKIP,
    Rule,
    go_float,
    load_config,
    parse_bytes,
    ratio_validator,
    run,
    size_validator,
)
from ..checks.rule import Result as RuleResult
from ..checks.rule import Verdict as CiResult

__all__ = ["DIVE_RULES", "FAIL", "MISCONFIGURED", "PASS", "SKIP", "CiResult", "DiveFigures", "Rule", "RuleResult",
           "evaluate", "go_float", "junit_xml", "load_ci_config", "parse_bytes", "ratio_validator",
           "size_validator"]
_ = (_lowest_efficiency, _highest_wasted_bytes, _highest_user_wasted_percent)


def evaluate(rules: Iterable[Rule], values: Mapping[str, str], subject: Any,
             config_file: str | None = None) -> CiResult:
    """Each rule on ``subject`` with its value from ``values`` (else its default): ``disabled``
    skips it, an invalid value makes it MISCONFIGURED, else it passes or fails."""
    return run(rules, subject, values, config_file=config_file)


def load_ci_config(path: str | os.PathLike[str] | None = ".dive-ci",
                   rules: Iterable[Rule] = DIVE_RULES) -> tuple[dict[str, str], str | None]:
    """The values of ``rules`` from a ``.dive-ci`` file (see ``dockopt.checks.rule.load_config``)."""
    return load_config(path, rules)
