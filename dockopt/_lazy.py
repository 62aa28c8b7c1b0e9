"""A module imported on first use: what a command that never needs it does not pay for at start-up."""

from __future__ import annotations

import importlib
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
