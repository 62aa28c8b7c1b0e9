"""DataFrame → plotly Figure. Every function takes the table first and never calls ``.show()``.

One module per subject (builds, images, experiments, ...); every figure is importable from here.
"""

from __future__ import annotations

from .builds import build_timeline, cache_scenarios
from .experiments import base_matrix, base_tradeoffs
from .images import image_diff, layer_sizes, size_comparison, size_treemap, waste_by_instruction

__all__ = ["base_matrix", "base_tradeoffs", "build_timeline", "cache_scenarios", "image_diff", "layer_sizes",
           "size_comparison", "size_treemap", "waste_by_instruction"]
