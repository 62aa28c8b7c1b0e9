"""A module imported on first use: what a command that never needs it does not pay for at start-up."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for module ``name`` and imports it (and the submodule asked for) at the first attribute read."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._name)
        try:
            return getattr(module, attr)
        except AttributeError:
            sub: ModuleType = importlib.import_module(f"{self._name}.{attr}")
            return sub

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: name -> the submodule (relative) that defines it, imported
    at the first read of the name, which is then cached in the package's namespace."""

    def __getattr__(name: str) -> Any:  # noqa: N807 - it is the module hook
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{exports[name]}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
