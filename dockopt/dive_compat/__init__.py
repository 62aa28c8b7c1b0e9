"""dive interop: its figures, its ``--json`` export schema and its ``--ci`` rules (dive 0.13).

``metrics`` computes what dive reports (efficiency, wasted bytes, inefficient files) exactly as
dive does, with Go's sort ported in ``_gosort`` for dive's order of ties; ``export`` writes the
JSON ``dive IMAGE --json FILE`` writes; ``ci`` holds dive's CI rules as a table of rule objects,
the ``.dive-ci`` file and JUnit XML. dockopt's own rules live in ``dockopt.ci_rules``. Names load
from their module on first use, so a command pays only for what it does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "DIVE_RULES": "ci", "CiResult": "ci", "Rule": "ci", "RuleResult": "ci", "evaluate": "ci", "go_float": "ci",
    "junit_xml": "ci", "load_ci_config": "ci", "parse_bytes": "ci",
    "dive_export": "export", "go_file_mode": "export", "write_dive_json": "export",
    "DiveMetrics": "metrics", "dive_metrics": "metrics",
}
__all__ = ["DIVE_RULES", "CiResult", "DiveMetrics", "Rule", "RuleResult", "dive_export", "dive_metrics", "evaluate",
           "go_file_mode", "go_float", "junit_xml", "load_ci_config", "parse_bytes", "write_dive_json"]

if TYPE_CHECKING:  # pragma: no cover
    from .ci import DIVE_RULES, CiResult, Rule, RuleResult, evaluate, go_float, junit_xml, load_ci_config, parse_bytes
    from .export import dive_export, go_file_mode, write_dive_json
    from .metrics import DiveMetrics, dive_metrics


__getattr__ = lazy_exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
