"""dive interop: its figures, its ``--json`` export schema and its ``--ci`` rules (dive 0.13).

``metrics`` computes what dive reports (efficiency, wasted bytes, inefficient files) exactly as
dive does, with Go's sort ported in ``_gosort`` for dive's order of ties; ``export`` writes the
JSON ``dive IMAGE --json FILE`` writes; ``ci`` holds dive's CI rules as a table of rule objects,
the ``.dive-ci`` file and JUnit XML. dockopt's own rules live in ``dockopt.ci_rules``.
"""

from __future__ import annotations

from .ci import (DIVE_RULES, CiResult, Rule, RuleResult, evaluate, go_float, junit_xml, load_ci_config,
                 parse_bytes)
from .export import dive_export, go_file_mode, write_dive_json
from .metrics import DiveMetrics, dive_metrics

__all__ = ["DIVE_RULES", "CiResult", "DiveMetrics", "Rule", "RuleResult", "dive_export", "dive_metrics", "evaluate",
           "go_file_mode", "go_float", "junit_xml", "load_ci_config", "parse_bytes", "write_dive_json"]
