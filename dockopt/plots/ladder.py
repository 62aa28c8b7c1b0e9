"""The conversion ladder as a waterfall: what each rung's one change added to or took from the image."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..units import human_bytes

_MB = 1_000_000


def ladder_waterfall(table: pd.DataFrame, *, value: str = "size_bytes",
                     title: str = "Image size, one change per rung") -> go.Figure:
    """A plotly ``Waterfall`` from ``experiments.climb(...).table``: rung 0's ``value`` (bytes) as the
    first bar, each later rung as the change from the one before, the last rung's value as the total."""
    if table.empty:
        return go.Figure(layout={"title": title})
    rows = table.sort_values("rung")
    values = [int(v) for v in rows[value]]
    labels = [f"{r}. {n}" for r, n in zip(rows["rung"], rows["name"])]
    deltas = [values[0]] + [b - a for a, b in zip(values, values[1:])]
    texts = [human_bytes(values[0])] + [("+" if d > 0 else "−" if d < 0 else "±") + human_bytes(abs(d))
                                        for d in deltas[1:]]
    fig = go.Figure(go.Waterfall(
        x=labels + ["final image"], y=[d / _MB for d in deltas] + [values[-1] / _MB],
        measure=["absolute"] + ["relative"] * (len(values) - 1) + ["total"],
        text=texts + [human_bytes(values[-1])], textposition="outside",
        decreasing={"marker": {"color": "#31a354"}}, increasing={"marker": {"color": "#e6550d"}},
        totals={"marker": {"color": "#3182bd"}}, connector={"line": {"color": "#bbbbbb"}}))
    fig.update_layout(title=title, yaxis_title=f"{value.replace('_bytes', '')} (MB)", showlegend=False,
                      margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig
