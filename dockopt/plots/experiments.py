"""Experiments: runtime base comparisons."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..units import human_bytes

_MB = 1_000_000


def base_matrix(matrix: pd.DataFrame, *, title: str = "Runtime base vs image size") -> go.Figure:
    """Stacked bars from ``experiments.base_matrix``: the base's bytes and what the app adds on top."""
    built = matrix[matrix["skipped"].isna()]
    labels = [f"{b}{' (stand-in)' if s else ''}" for b, s in zip(built["base"], built["standin"])]
    fig = go.Figure()
    fig.add_bar(x=labels, y=built["base_size_bytes"] / _MB, name="runtime base", marker_color="#9ecae1")
    fig.add_bar(x=labels, y=built["app_bytes"] / _MB, name="app on top", marker_color="#e6550d",
                text=[human_bytes(v) for v in built["size_bytes"]], textposition="outside")
    fig.update_layout(title=title, yaxis_title="size (MB)", barmode="stack",
                      margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig


# --- image analysis (dockopt.analysis) -------------------------------------------------------
