"""Horizontal bars of bytes: what an image is made of (per part), what each pitfall costs."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..units import human_bytes

_MB = 1_000_000
_COLOURS = {"base image": "#9ecae1", "production dependencies": "#31a354", "dev dependencies": "#e6550d",
            "application files": "#756bb1", "other build output": "#fdae6b"}


def byte_breakdown(table: pd.DataFrame, *, title: str = "What the image's bytes are") -> go.Figure:
    """Bars from ``experiments.byte_breakdown``: megabytes per part, labelled with size and share."""
    rows = table[table["size_bytes"] > 0]
    fig = go.Figure(go.Bar(
        y=rows["part"], x=rows["size_bytes"] / _MB, orientation="h",
        marker_color=[_COLOURS.get(p, "#bbbbbb") for p in rows["part"]],
        text=[f"{human_bytes(b)} ({s * 100:.1f} %)" for b, s in zip(rows["size_bytes"], rows["share"])],
        textposition="auto"))
    fig.update_layout(title=title, xaxis={"title": "MB (log)", "type": "log"}, yaxis={"autorange": "reversed"},
                      margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig


def pitfall_costs(table: pd.DataFrame, *, title: str = "What each pitfall costs in bytes") -> go.Figure:
    """Horizontal bars from a table with ``pitfall``, ``cost_bytes`` and ``evidence`` columns (the
    pitfalls notebook's summary): megabytes each pitfall adds to the image (log scale: a compiler
    toolchain and a 4 MB clutter folder share one axis), the evidence as hover text."""
    fig = go.Figure(go.Bar(y=table["pitfall"], x=table["cost_bytes"] / _MB, orientation="h",
                           marker_color="#e6550d", hovertext=table["evidence"],
                           text=[human_bytes(b) for b in table["cost_bytes"]], textposition="auto"))
    fig.update_layout(title=title, xaxis={"title": "MB (log)", "type": "log"}, yaxis={"autorange": "reversed"},
                      margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig
