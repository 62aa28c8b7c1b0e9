"""dockopt: see and measure Docker image optimisation.

The public API, re-exported names only; each lives in the module that owns it. Every name loads
on first use (PEP 562), so ``import dockopt`` costs nothing and a command line pays only for
what it uses (``dockopt analyze`` on an archive never loads pandas or the docker SDK).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from .errors import DockoptError

_EXPORTS = {
    "BuildResult": ("build", "BuildResult"),
    "layers": ("image", "layers"),
    "files": ("image", "files"),
    "read_image": ("image", "read_image"),
    "diff": ("analysis", "diff"),
    "analyze_report": ("analysis_report", "analyze_report"),
    "plots": ("plots", None),
    "bases": ("bases", None),
    "explore": ("widgets.explorer", "explore"),
    "widgets": ("widgets", None),
    "Project": ("project", "Project"),
    "fleet": ("fleet", None),
}

__all__ = ["BuildResult", "DockoptError", "Project", "analyze_report", "audit", "bases", "build", "diff", "explore",
           "files", "fleet", "layers", "optimise", "plots", "project", "read_image", "widgets"]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from . import bases, fleet, plots, widgets
    from .analysis import diff
    from .analysis_report import analyze_report
    from .build import BuildResult, build
    from .image import files, layers, read_image
    from .optimise import optimise
    from .project import Project, project
    from .widgets.explorer import explore


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


class _Package(types.ModuleType):
    """``dockopt.build`` and ``dockopt.project`` are both submodules and the functions
    ``dockopt.build(...)``, ``dockopt.project(...)``; the function wins. Importing a submodule makes
    Python set the package attribute to the module: these properties keep answering with the
    function (loaded on first use) whatever was set."""

    @property
    def build(self) -> Any:
        return importlib.import_module(".build", __name__).build

    @build.setter
    def build(self, value: Any) -> None:
        pass  # the import system binding the submodule; ``sys.modules["dockopt.build"]`` still has it

    @property
    def project(self) -> Any:
        return importlib.import_module(".project", __name__).project

    @project.setter
    def project(self, value: Any) -> None:
        pass  # as for build: ``sys.modules["dockopt.project"]`` keeps the module

    @property
    def optimise(self) -> Any:
        return importlib.import_module(".optimise", __name__).optimise

    @optimise.setter
    def optimise(self, value: Any) -> None:
        pass  # as for build: ``sys.modules["dockopt.optimise"]`` keeps the package

    @property
    def audit(self) -> Any:
        """``dockopt.audit(registry, ...)`` audits a registry's fleet (``dockopt.fleet.audit``), while
        ``from dockopt import audit; audit.image_audit(...)`` keeps reaching the single-image module."""
        module = importlib.import_module(".audit", __name__)
        if not isinstance(module, _CallableModule):
            module.__class__ = _CallableModule
        return module

    @audit.setter
    def audit(self, value: Any) -> None:
        pass  # as for build


class _CallableModule(types.ModuleType):
    """A module that can also be called: ``dockopt.audit(...)`` is ``dockopt.fleet.audit(...)``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return importlib.import_module(".fleet", __package__ or "dockopt").audit(*args, **kwargs)


sys.modules[__name__].__class__ = _Package
