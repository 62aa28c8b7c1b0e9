"""Naive vs optimised for every sample: grouped bars, the reduction written over each pair."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..units import human_bytes

_MB = 1_000_000
_COLOURS = {"naive": "#e6550d", "optimised": "#31a354"}


def multi_stage(table: pd.DataFrame, *, value: str = "size_bytes",
                title: str = "Naive vs multi-stage, every sample") -> go.Figure:
    """Bars from ``experiments.multi_stage_matrix`` (log scale: the samples span 6 MB to 1 GB); a
    sample whose Dockerfiles need a registry gets a "needs a registry" label instead of bars."""
    fig = go.Figure()
    built = table[table["status"] == "built"]
    for variant in ("naive", "optimised"):
        rows = built[built["variant"] == variant]
        text = [human_bytes(v) + (f" (−{r:.1f} %)" if pd.notna(r) else "")
                for v, r in zip(rows[value], rows["reduction_pct"])]
        fig.add_bar(x=rows["sample"], y=rows[value] / _MB, name=variant, text=text, textposition="outside",
                    marker_color=_COLOURS[variant])
    missing = table[(table["status"] != "built") & ~table["sample"].isin(built["sample"])]
    for sample in dict.fromkeys(missing["sample"]):
        fig.add_annotation(x=sample, y=0, yref="paper", text="needs a registry", showarrow=False, yanchor="bottom")
    if len(missing):
        fig.add_bar(x=list(dict.fromkeys(missing["sample"])), y=[None] * missing["sample"].nunique(),
                    showlegend=False)
    fig.update_layout(title=title, yaxis={"title": f"{value.replace('_bytes', '')} (MB, log)", "type": "log"},
                      barmode="group", margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig
