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
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """``insight.measure``, ``insight.stages`` and ``insight.rules`` are both submodules and functions; the
    function wins. Importing a submodule makes Python set the package attribute to the module: these
    properties keep answering with the function whatever was set (``sys.modules`` keeps the modules)."""

    @property
    def rules(self) -> Any:
        return self.__dict__["rules"]

    @rules.setter
    def rules(self, value: Any) -> None:
        pass

    @property
    def measure(self) -> Any:
        return importlib.import_module(".measure", __name__).measure

    @measure.setter
    def measure(self, value: Any) -> None:
        pass

    @property
    def stages(self) -> Any:
        return importlib.import_module(".stages", __name__).stages

    @stages.setter
    def stages(self, value: Any) -> None:
        pass


sys.modules[__name__].__class__ = _Package


def rules() -> pd.DataFrame:
    """Each row is one of dockopt's rules: what it looks for and what it measures."""
    from .findings import rules_frame
    from .rules import RULES

    return rules_frame(RULES)


__all__ = ["FINDING_COLUMNS", "RULES", "STAGE_COLUMNS", "Finding", "Measured", "Rule", "Subject", "frame",
           "hadolint_findings", "lint_files", "measure", "remove_stage_images", "rules", "rules_frame",
           "source_edit_rebuild", "stage_sizes", "stages"]
