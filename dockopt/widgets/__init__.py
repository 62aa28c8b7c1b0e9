"""Interactive exploration in JupyterLab: ``explore`` (the image explorer) and ``experiment_panel``
(the notebooks' experiments behind dropdowns and a Run button).

Every name loads on first use: ``import dockopt.widgets`` costs nothing until a widget is made.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .. import extras

_EXPORTS = {
    "explore": ("explorer", "explore"),
    "explore_proposal": ("explorer", "explore_proposal"),
    "ProposalExplorer": ("explorer", "ProposalExplorer"),
    "Explorer": ("explorer", "Explorer"),
    "build_model": ("explorer", "build_model"),
    "ExplorerModel": ("model", "ExplorerModel"),
    "Filters": ("model", "Filters"),
    "TreeTable": ("treetable", "TreeTable"),
    "experiment_panel": ("panel", "experiment_panel"),
    "ExperimentPanel": ("panel", "ExperimentPanel"),
}

__all__ = ["Explorer", "ExperimentPanel", "ExplorerModel", "Filters", "ProposalExplorer", "TreeTable", "build_model",
           "experiment_panel", "explore", "explore_proposal"]

if TYPE_CHECKING:  # pragma: no cover
    from .explorer import Explorer, ProposalExplorer, build_model, explore, explore_proposal
    from .model import ExplorerModel, Filters
    from .panel import ExperimentPanel, experiment_panel
    from .treetable import TreeTable


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'dockopt.widgets' has no attribute {name!r}")
    module, attr = _EXPORTS[name]
    if module != "model":  # the model is plain data; the widgets draw with ipywidgets and anywidget
        extras.require("lab", "the explorer and experiment panels")
    value = getattr(importlib.import_module(f".{module}", __name__), attr)
    globals()[name] = value
    return value
