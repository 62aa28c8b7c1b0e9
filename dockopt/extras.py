"""The optional extras of ``pip install dockopt`` and the check that one is installed.

The core (build, analyze, lint, diff, registry, SBOM, CI gate) needs none of them. A lab or report
function calls ``require`` before it imports what the extra brings, so that a core install says which
extra to add instead of failing with an ``ImportError`` deep in a call.
"""

from __future__ import annotations

import importlib.util
from typing import Literal

from .errors import ExtraMissing

Extra = Literal["lab", "report"]

#: The modules each extra brings that dockopt imports (the distributions are in pyproject.toml).
MODULES: dict[Extra, tuple[str, ...]] = {
    "lab": ("ipywidgets", "anywidget", "traitlets", "IPython"),
    "report": ("nbformat", "nbconvert", "papermill", "jupyter_client", "traitlets", "jinja2", "itables", "IPython"),
}


def missing(extra: Extra) -> tuple[str, ...]:
    """The modules of ``extra`` that cannot be imported here (empty when it is installed)."""
    return tuple(m for m in MODULES[extra] if importlib.util.find_spec(m) is None)


def require(extra: Extra, what: str) -> None:
    """Raise ``ExtraMissing`` naming ``extra`` when ``what`` (e.g. "rendering reports") cannot run here."""
    absent = missing(extra)
    if absent:
        raise ExtraMissing(f"{what} needs the {extra!r} extra, which is not installed (no {', '.join(absent)})",
                           hint=f"pip install 'dockopt[{extra}]'")
