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


def build_timelines(steps: pd.DataFrame, *, by: str = "run", title: str = "Build steps",
                    dockerfile_only: bool = True) -> go.Figure:
    """One timeline per value of ``by`` (e.g. a cold build and its warm rebuild), stacked on one shared
    seconds axis so their lengths compare at a glance; each starts at its own first step.

    ``steps``: ``BuildResult.steps`` of each build, concatenated with a ``by`` column naming the build.
    """
    from plotly.subplots import make_subplots

    df = steps[steps["dockerfile_step"]] if dockerfile_only else steps
    df = df.dropna(subset=["started", "completed"])
    runs = list(dict.fromkeys(df[by]))
    if not runs:
        return build_timeline(df, title=title)
    counts = [int((df[by] == run).sum()) for run in runs]
    walls = {run: (part["completed"].max() - part["started"].min()).total_seconds()
             for run, part in df.groupby(by, sort=False)}
    fig = make_subplots(rows=len(runs), cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        row_heights=[c / sum(counts) for c in counts],
                        subplot_titles=[f"{run}: {walls[run]:.1f} s" for run in runs])
    shown: set[bool] = set()
    for row, run in enumerate(runs, start=1):
        for trace in build_timeline(df[df[by] == run]).data:
            cached = trace.name == "cached"
            trace.update(legendgroup=trace.name, showlegend=cached not in shown)
            shown.add(cached)
            fig.add_trace(trace, row=row, col=1)
        fig.update_yaxes(autorange="reversed", automargin=True, row=row, col=1)
    fig.update_xaxes(title_text="seconds since the build's first step started", row=len(runs), col=1)
    fig.update_layout(title=title, barmode="overlay", height=max(320, 30 * sum(counts) + 90 * len(runs) + 80),
                      margin={"l": 10, "r": 10, "t": 70, "b": 40})
    return fig


def cache_scenarios(runs: pd.DataFrame, *, title: str = "Rebuild cost by change") -> go.Figure:
    """Grouped bars from ``experiments.cache_scenarios``: wall seconds per scenario, one colour per variant."""
    fig = go.Figure()
    for variant, part in runs.groupby("variant", sort=False):
        fig.add_bar(x=part["scenario"], y=part["wall_s"], name=str(variant),
                    text=[f"{s:.1f} s<br>{e} ran" for s, e in zip(part["wall_s"], part["steps_executed"])],
                    textposition="outside",
                    hovertext=[f"first step to run again: {f or 'none'}" for f in part["first_executed"]])
    fig.update_layout(title=title, yaxis_title="build wall time (s)", barmode="group",
                      margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig
