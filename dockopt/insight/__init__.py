"""Dockerfile insight: the stages of a build measured, and findings with what each one costs.

- ``stages(build_result)``: one row per stage (steps, seconds, cache, bytes the image takes from it and
  bytes left behind, whether BuildKit skipped it).
- ``measure(project_or_image)``: dockopt's rules and hadolint's in one table, each finding with its measured
  cost; ``lint_files(paths)``: the same rules that need only the text, static and fast.

Names are imported on first use, so ``dockopt lint`` (text rules only) loads neither pandas nor the engine.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .findings import FINDING_COLUMNS, Finding, Rule, Subject, frame, rules_frame
    from .measure import Measured, hadolint_findings, lint_files, measure, source_edit_rebuild
    from .rules import RULES
    from .stages import STAGE_COLUMNS, remove_stage_images, stage_sizes, stages

# name -> the submodule that defines it
_EXPORTS = {
    **dict.fromkeys(("FINDING_COLUMNS", "Finding", "Rule", "Subject", "frame", "rules_frame"), "findings"),
    **dict.fromkeys(("Measured", "hadolint_findings", "lint_files", "measure", "source_edit_rebuild"), "measure"),
    "RULES": "rules",
    **dict.fromkeys(("STAGE_COLUMNS", "remove_stage_images", "stage_sizes", "stages"), "stages"),
}


__getattr__ = lazy_exports(__name__, _EXPORTS)


def _function_wins(name: str) -> property:
    """The function ``name`` of submodule ``name``, however the import system set the attribute."""
    return property(lambda self: getattr(importlib.import_module(f".{name}", __name__), name),
                    lambda self, value: None)  # the import system binding the submodule: sys.modules keeps it


class _Package(types.ModuleType):
    """``insight.measure``, ``insight.stages`` and ``insight.rules`` are both submodules and functions; the
    function wins. Importing a submodule makes Python set the package attribute to the module: these
    properties keep answering with the function whatever was set."""

    measure = _function_wins("measure")
    stages = _function_wins("stages")
    rules = property(lambda self: self.__dict__["rules"], lambda self, value: None)  # defined below


sys.modules[__name__].__class__ = _Package


def rules() -> pd.DataFrame:
    """Each row is one of dockopt's rules: what it looks for and what it measures."""
    from .findings import rules_frame
    from .rules import RULES

    return rules_frame(RULES)


__all__ = ["FINDING_COLUMNS", "RULES", "STAGE_COLUMNS", "Finding", "Measured", "Rule", "Subject", "frame",
           "hadolint_findings", "lint_files", "measure", "remove_stage_images", "rules", "rules_frame",
           "source_edit_rebuild", "stage_sizes", "stages"]
