"""Builds: BuildKit step timelines and rebuild cost per cache scenario."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

_MB = 1_000_000


def build_timeline(steps: pd.DataFrame, *, title: str = "Build steps", dockerfile_only: bool = True) -> go.Figure:
    """Gantt-style bars of BuildKit steps (``BuildResult.steps``), coloured by cache hit."""
    df = steps[steps["dockerfile_step"]] if dockerfile_only else steps
    df = df.dropna(subset=["started", "completed"])
    fig = go.Figure()
    if df.empty:
        fig.update_layout(title=f"{title} (no timed steps)")
        return fig
    t0 = df["started"].min()
    for cached, part in df.groupby("cached"):
        start_s = (part["started"] - t0).dt.total_seconds()
        labels = [f"[{s or '-'} {i}/{n}] {instr[:60]}" for s, i, n, instr in
                  zip(part["stage"], part["index"], part["total"], part["instruction"])]
        fig.add_bar(x=part["duration_s"].clip(lower=0.01), base=start_s, y=labels, orientation="h",
                    name="cached" if cached else "executed",
                    marker_color="#9ecae1" if cached else "#e6550d",
                    hovertemplate="%{y}<br>%{x:.2f} s<extra></extra>")
    fig.update_layout(title=title, xaxis_title="seconds since the first step started",
                      yaxis={"autorange": "reversed", "automargin": True}, barmode="overlay",
                      height=max(260, 30 * len(df) + 120), margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig


def cache_scenarios(runs: pd.DataFrame, *, title: str = "Rebuild cost by change") -> go.Figure:
    """Grouped bars from ``experiments.cache_scenarios(...).runs``: wall seconds per scenario, one colour
    per variant (scenarios that were skipped have no bar)."""
    if "skipped" in runs.columns:
        runs = runs[runs["skipped"].isna()]
    fig = go.Figure()
    for variant, part in runs.groupby("variant", sort=False):
        fig.add_bar(x=part["scenario"], y=part["wall_s"], name=str(variant),
                    text=[f"{s:.1f} s<br>{e} ran" for s, e in zip(part["wall_s"], part["steps_executed"])],
                    textposition="outside",
                    hovertext=[f"first step to run again: {f or 'none'}" for f in part["first_executed"]])
    fig.update_layout(title=title, yaxis_title="build wall time (s)", barmode="group",
                      margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig
