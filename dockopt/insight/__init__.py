"""Dockerfile insight: the stages of a build measured, and findings with what each one costs.

- ``stages(build_result)``: one row per stage (steps, seconds, cache, bytes the image takes from it and
  bytes left behind, whether BuildKit skipped it).
- ``findings(...)``: dockopt's rules and hadolint's in one table, each finding with its measured cost.
"""

from __future__ import annotations

from .stages import STAGE_COLUMNS, remove_stage_images, stage_sizes, stages

__all__ = ["STAGE_COLUMNS", "remove_stage_images", "stage_sizes", "stages"]
