"""The optimise ladder: bytes and seconds per rung, dropped rungs shown with the reason they were dropped."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..units import human_bytes

_MB = 1_000_000


def optimise_ladder(table: pd.DataFrame, *,
                    title: str = "optimise: each rung built, started and measured") -> go.Figure:
    """Bars of ``size_bytes`` and ``compressed_bytes`` (MB) per rung of ``optimise(...).ladder``, and a line
    of ``rebuild_s`` (seconds, after a source edit) on a second axis. A rung that was not applied is
    drawn as a grey marker at zero, its reason in the hover text."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if table.empty:
        fig.update_layout(title=title)
        return fig
    rows = table.sort_values("step")
    labels = [f"{s}. {r}" for s, r in zip(rows["step"], rows["rung"])]
    applied = rows["applied"].astype(bool).tolist()

    def values(col: str) -> list[float | None]:
        return [float(v) / _MB if ok and pd.notna(v) else None for v, ok in zip(rows[col], applied)]

    fig.add_trace(go.Bar(x=labels, y=values("size_bytes"), name="size (MB)", marker_color="#3182bd",
                         text=[human_bytes(int(v)) if ok and pd.notna(v) else "" for v, ok in
                               zip(rows["size_bytes"], applied)], textposition="outside"), secondary_y=False)
    fig.add_trace(go.Bar(x=labels, y=values("compressed_bytes"), name="compressed (MB)", marker_color="#9ecae1"),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=labels, y=[float(v) if ok and pd.notna(v) else None
                                          for v, ok in zip(rows["rebuild_s"], applied)],
                             name="source-edit rebuild (s)", mode="lines+markers", line={"color": "#e6550d"},
                             connectgaps=True), secondary_y=True)
    dropped = [(lab, str(reason)) for lab, ok, reason in zip(labels, applied, rows["reason"]) if not ok]
    if dropped:
        fig.add_trace(go.Scatter(x=[d[0] for d in dropped], y=[0] * len(dropped), mode="markers", name="not applied",
                                 marker={"symbol": "x", "size": 12, "color": "#969696"},
                                 hovertext=[d[1][:200] for d in dropped], hoverinfo="text"), secondary_y=False)
    fig.update_layout(title=title, barmode="group", legend={"orientation": "h", "y": -0.2},
                      margin={"l": 10, "r": 10, "t": 50, "b": 40})
    fig.update_yaxes(title_text="MB", secondary_y=False)
    fig.update_yaxes(title_text="seconds", secondary_y=True, rangemode="tozero")
    return fig
