"""DataFrame → plotly Figure. Every function takes the table first and never calls ``.show()``.

One module per subject (builds, images, experiments, ...); every figure is importable from here.
"""

from __future__ import annotations

from .breakdown import byte_breakdown, pitfall_costs
from .builds import build_timeline, build_timelines, cache_scenarios
from .examples import guide_examples
from .experiments import base_matrix, base_tradeoffs
from .images import image_diff, layer_sizes, size_comparison, size_treemap, waste_by_instruction
from .insight import findings, stage_graph
from .ladder import ladder_waterfall
from .multistage import multi_stage
from .optimise import optimise_ladder
from .shipping import cold_runner, transfer

__all__ = ["base_matrix", "base_tradeoffs", "build_timeline", "build_timelines", "byte_breakdown", "cache_scenarios",
           "cold_runner", "findings", "guide_examples", "image_diff", "ladder_waterfall", "layer_sizes", "multi_stage",
           "optimise_ladder", "pitfall_costs", "size_comparison", "size_treemap", "stage_graph", "transfer",
           "waste_by_instruction"]
