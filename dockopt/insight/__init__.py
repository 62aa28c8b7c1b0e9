"""Dockerfile insight: the stages of a build measured, and findings with what each one costs.

- ``stages(build_result)``: one row per stage (steps, seconds, cache, bytes the image takes from it and
  bytes left behind, whether BuildKit skipped it).
- ``measure(project_or_image)``: dockopt's rules and hadolint's in one table, each finding with its measured
  cost; ``lint_files(paths)``: the same rules that need only the text, static and fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

from .findings import FINDING_COLUMNS, Finding, Rule, Subject, frame, rules_frame
from .measure import Measured, hadolint_findings, lint_files, measure, source_edit_rebuild
from .rules import RULES
from .stages import STAGE_COLUMNS, remove_stage_images, stage_sizes, stages


def rules() -> pd.DataFrame:
    """Each row is one of dockopt's rules: what it looks for and what it measures."""
    return rules_frame(RULES)


__all__ = ["FINDING_COLUMNS", "RULES", "STAGE_COLUMNS", "Finding", "Measured", "Rule", "Subject", "frame",
           "hadolint_findings", "lint_files", "measure", "remove_stage_images", "rules", "source_edit_rebuild",
           "stage_sizes", "stages"]
