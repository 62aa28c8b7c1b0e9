"""Images: layer sizes, size comparisons, waste by instruction, where the bytes are, diffs."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..units import human_bytes

_MB = 1_000_000


def layer_sizes(layers: pd.DataFrame, *, title: str | None = None, include_empty: bool = False) -> go.Figure:
    """Horizontal bars, one per layer (from ``dockopt.layers``), oldest at the top."""
    df = layers if include_empty else layers[~layers["empty"]]
    labels = [f"{layer}: {str(instruction)[:70]}" for layer, instruction in zip(df["layer"], df["instruction"])]
    fig = go.Figure(go.Bar(
        x=df["size_bytes"] / _MB, y=labels, orientation="h",
        text=[human_bytes(v) for v in df["size_bytes"]], textposition="auto",
        hovertext=df["created_by"], hoverinfo="text+x",
    ))
    total = int(layers["size_bytes"].sum())
    fig.update_layout(
        title=title or f"Layer sizes (total {human_bytes(total)})",
        xaxis_title="size (MB)", yaxis={"autorange": "reversed", "automargin": True},
        height=max(260, 36 * len(df) + 120), margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return fig


def size_comparison(sizes: pd.DataFrame, *, x: str = "variant", y: str = "size_bytes",
                    color: str | None = None, title: str = "Image size") -> go.Figure:
    """One bar per row of ``sizes`` (e.g. naive vs optimised), labelled in human units."""
    fig = go.Figure()
    groups = [(None, sizes)] if color is None else list(sizes.groupby(color, sort=False))
    for name, part in groups:
        fig.add_bar(x=part[x], y=part[y] / _MB, name=str(name) if name is not None else y,
                    text=[human_bytes(v) for v in part[y]], textposition="outside")
    fig.update_layout(title=title, yaxis_title="size (MB)", barmode="group", showlegend=color is not None,
                      margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig


def waste_by_instruction(waste: pd.DataFrame, *, title: str = "Wasted bytes by instruction") -> go.Figure:
    """Horizontal bars per layer from ``analysis.waste_by_layer``: bytes it wrote that a later
    layer hides (reclaimable) next to dive's count for the same layer."""
    df = waste[(waste["reclaimable_bytes"] > 0) | (waste["dive_wasted_bytes"] > 0)]
    stages = df["stage"] if "stage" in df.columns else [None] * len(df)
    labels = [f"{layer}: {str(instruction or '(no history)')[:70]}" + (f" [{stage}]" if stage else "")
              for layer, instruction, stage in zip(df["layer"], df["instruction"], stages)]
    fig = go.Figure()
    fig.add_bar(x=df["reclaimable_bytes"] / _MB, y=labels, orientation="h", name="reclaimable (hidden later)",
                text=[human_bytes(v) for v in df["reclaimable_bytes"]], textposition="auto", marker_color="#e6550d")
    fig.add_bar(x=df["dive_wasted_bytes"] / _MB, y=labels, orientation="h", name="dive's wasted bytes",
                marker_color="#9ecae1")
    fig.update_layout(title=title, xaxis_title="size (MB)", barmode="group",
                      yaxis={"autorange": "reversed", "automargin": True},
                      height=max(260, 50 * len(df) + 120), margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig


def size_treemap(directories: pd.DataFrame, *, max_depth: int | None = 4,
                 title: str = "Where the bytes are") -> go.Figure:
    """Treemap of ``analysis.size_by_directory`` (``path``, ``parent``, ``size_bytes``)."""
    df = directories if max_depth is None else directories[directories["depth"] <= max_depth]
    df = df[df["size_bytes"] > 0]
    fig = go.Figure(go.Treemap(
        ids=df["path"], labels=[p.rsplit("/", 1)[-1] or "/" for p in df["path"]], parents=df["parent"],
        values=df["size_bytes"], branchvalues="total",
        hovertext=[f"{p}<br>{human_bytes(s)}, {f} files" for p, s, f in zip(df["path"], df["size_bytes"], df["files"])],
        hoverinfo="text",
    ))
    fig.update_layout(title=title, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def image_diff(changes: pd.DataFrame, *, top: int = 25, title: str = "Image diff (b - a)") -> go.Figure:
    """Bars of the largest size deltas from ``analysis.diff`` (or ``diff_by_directory``), coloured by change."""
    key = "directory" if "directory" in changes.columns else "path"
    df = changes.head(top)
    colours = {"added": "#31a354", "removed": "#de2d26", "changed": "#fd8d3c"}
    fig = go.Figure(go.Bar(
        x=df["delta_bytes"] / _MB, y=df[key], orientation="h",
        marker_color=[colours.get(c, "#756bb1") for c in (df["change"] if "change" in df else ["changed"] * len(df))],
        text=[human_bytes(v) for v in df["delta_bytes"]], textposition="auto",
    ))
    fig.update_layout(title=title, xaxis_title="size delta (MB)",
                      yaxis={"autorange": "reversed", "automargin": True},
                      height=max(260, 28 * len(df) + 120), margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig
