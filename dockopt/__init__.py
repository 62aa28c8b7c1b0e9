"""dockopt: see and measure Docker image optimisation.

The public API, re-exported names only; each lives in the module that owns it. Most names load on
first use (PEP 562), so a command line pays only for what it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# ``build`` is both a submodule and the function: importing it eagerly binds the function, and a
# later ``import dockopt.build`` finds the module loaded already and leaves the name alone.
from .build import BuildResult, build
from .errors import DockoptError

_EXPORTS = {
    "layers": ("image", "layers"),
    "files": ("image", "files"),
    "read_image": ("image", "read_image"),
    "diff": ("analysis", "diff"),
    "analyze_report": ("analysis_report", "analyze_report"),
    "plots": ("plots", None),
    "bases": ("bases", None),
}

__all__ = ["BuildResult", "DockoptError", "analyze_report", "bases", "build", "diff", "files", "layers", "plots",
           "read_image"]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from . import bases, plots
    from .analysis import diff
    from .analysis_report import analyze_report
    from .image import files, layers, read_image


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'dockopt' has no attribute {name!r}")
    module, attr = _EXPORTS[name]
    mod = importlib.import_module(f".{module}", __name__)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
