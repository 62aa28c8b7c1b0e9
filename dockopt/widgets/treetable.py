"""``TreeTable``: a table whose rows can be opened like a tree, drawn by a few lines of JavaScript.

Why custom JavaScript (through anywidget, which plotly's ``FigureWidget`` needs anyway): the kept
widget libraries fall short here. ipydatagrid draws its cells onto a canvas, so no row text is in
the page (a reader's find, a screen reader or a browser test cannot see it), and it has no tree;
ipytree makes one widget (one comm) per node, so opening a folder of a few hundred files costs a
few hundred messages, and its nodes carry a name, not columns; ipyaggrid's tree rows are an AG Grid
Enterprise feature. This view only draws the rows the kernel sends (a few hundred at most) and
reports clicks; what a click means - open a folder, select a layer - is decided in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anywidget
import traitlets

_HERE = Path(__file__).parent


class TreeTable(anywidget.AnyWidget):
    """Rows ``{"id", "depth", "expandable", "expanded", "cls", "title", "cells": {column key: text},
    "cell_cls": {column key: css class}}`` under ``columns`` ``{"key", "label", "align"}``."""

    _esm = _HERE / "treetable.js"
    _css = _HERE / "treetable.css"
    name = traitlets.Unicode("").tag(sync=True)
    columns = traitlets.List(traitlets.Dict()).tag(sync=True)
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Unicode("320px").tag(sync=True)

    def __init__(self, name: str, columns: Sequence[dict[str, str]], **kwargs: Any) -> None:
        super().__init__(name=name, columns=list(columns), **kwargs)
        self._on_click: list[Callable[[str, bool], None]] = []
        self.on_msg(self._message)

    def on_click(self, callback: Callable[[str, bool], None]) -> None:
        """``callback(row id, on_twisty)`` for every click on a row."""
        self._on_click.append(callback)

    def click(self, row_id: str, twisty: bool = False) -> None:
        """What a click on the row does (tests and benchmarks click through here)."""
        for callback in self._on_click:
            callback(row_id, twisty)

    def _message(self, _: Any, content: Any, buffers: Any = None) -> None:
        if isinstance(content, dict) and content.get("event") == "click":
            self.click(str(content.get("id", "")), bool(content.get("twisty")))
