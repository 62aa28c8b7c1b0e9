"""The image explorer's figures: layer sizes to click on, and the static twin's layer slider.

``explorer_layers`` is the bar chart beside the explorer's layer table (a ``FigureWidget`` there);
``layer_slider`` is what a report shows instead of the widgets: one treemap and one top-files
table per layer, and a slider that switches between them (plotly's own, so it works offline).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from ..units import human_bytes

_MB = 1_000_000
BASE_COLOUR, LAYER_COLOUR, SELECTED_COLOUR = "#bdbdbd", "#fd8d3c", "#1565c0"


def layer_colours(layers: pd.DataFrame, selected: int | None) -> list[str]:
    """Bar colours: the selected layer, the base image's layers, the others."""
    return [SELECTED_COLOUR if layer == selected else BASE_COLOUR if base else LAYER_COLOUR
            for layer, base in zip(layers["layer"], layers["base"])]


def explorer_layers(layers: pd.DataFrame, *, selected: int | None = None, title: str | None = None) -> go.Figure:
    """One bar per layer (``ExplorerModel.layers_frame()``), base layers grey, ``selected`` highlighted."""
    hover = [f"layer {layer}: {human_bytes(size)}<br>{str(ins)[:90]}"
             for layer, size, ins in zip(layers["layer"], layers["size_bytes"], layers["instruction"])]
    fig = go.Figure(go.Bar(x=[str(x) for x in layers["layer"]], y=layers["size_bytes"] / _MB,
                           marker_color=layer_colours(layers, selected), hovertext=hover, hoverinfo="text",
                           text=[human_bytes(v) if v else "" for v in layers["size_bytes"]], textposition="outside",
                           cliponaxis=False))
    fig.update_layout(title=title or "Layer sizes (click a bar)", xaxis_title="layer", yaxis_title="size (MB)",
                      xaxis={"type": "category"}, height=300, margin={"l": 10, "r": 10, "t": 40, "b": 40},
                      showlegend=False)
    return fig


def layer_slider(treemap: pd.DataFrame, top_files: pd.DataFrame, layers: pd.DataFrame, *,
                 title: str = "Inside each layer") -> go.Figure:
    """A treemap and a top-files table per layer, switched by a slider (the static twin).

    ``treemap``: each row is one folder or file of one layer's changes (``layer``, ``path``,
    ``parent``, ``size_bytes``, ``files``); ``top_files``: each row is one of a layer's largest
    entries (``layer``, ``path``, ``size_bytes``, ``change``, ``wasted``); ``layers``: the
    explorer's layer table (``layer``, ``instruction``, ``size_bytes``).
    """
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, column_widths=[0.58, 0.42], horizontal_spacing=0.02,
                        specs=[[{"type": "domain"}, {"type": "table"}]])
    order: Sequence[int] = layers["layer"].tolist()
    start = len(order) - 1  # the top layer first, as the explorer opens: the Dockerfile's last step
    for i, layer in enumerate(order):
        nodes = treemap[treemap["layer"] == layer]
        fig.add_trace(go.Treemap(
            ids=nodes["path"], parents=nodes["parent"], values=nodes["size_bytes"],
            labels=[p.rsplit("/", 1)[-1] or "/" for p in nodes["path"]], branchvalues="total",
            hovertext=[f"{p}<br>{human_bytes(s)}, {f} files" for p, s, f in
                       zip(nodes["path"], nodes["size_bytes"], nodes["files"])],
            hoverinfo="text", visible=i == start, name=f"layer {layer}", maxdepth=3), row=1, col=1)
        files = top_files[top_files["layer"] == layer]
        fig.add_trace(go.Table(
            columnwidth=[5, 1.3, 1.2],
            header={"values": ["largest entries", "size", "change"], "align": "left"},
            cells={"values": [[p + ("  (wasted)" if w else "") for p, w in zip(files["path"], files["wasted"])],
                              [human_bytes(s) for s in files["size_bytes"]], files["change"].tolist()],
                   "align": ["left", "right", "left"], "height": 22},
            visible=i == start, name=f"files of layer {layer}"), row=1, col=2)
    captions = {layer: f"layer {layer}: {str(ins)[:80]} ({human_bytes(size)})"
                for layer, ins, size in zip(layers["layer"], layers["instruction"], layers["size_bytes"])}
    steps = []
    for i, layer in enumerate(order):
        visible = [False] * (2 * len(order))
        visible[2 * i] = visible[2 * i + 1] = True
        steps.append({"method": "update", "label": str(layer),
                      "args": [{"visible": visible}, {"title.text": f"{title}: {captions[layer]}"}]})
    first = captions[order[start]] if len(order) else ""
    fig.update_layout(title={"text": f"{title}: {first}", "font": {"size": 14}}, height=560,
                      margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      sliders=[{"active": max(start, 0), "steps": steps, "currentvalue": {"prefix": "layer "},
                                "pad": {"t": 30}, "len": 1.0}])
    return fig
