"""Builds: BuildKit step timelines and rebuild cost per cache scenario."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..units import human_seconds

_MB = 1_000_000


def _timeline_bars(df: pd.DataFrame, min_width_s: float = 0.01) -> tuple[list[go.Bar], list[str]]:
    """Bars of timed steps (executed and cached, one trace each) and the step labels in start order."""
    df = df.sort_values(["started", "completed"], kind="stable")
    t0 = df["started"].min()
    labels = [f"[{s or '-'} {i}/{n}] {instr[:60]}" for s, i, n, instr in
              zip(df["stage"], df["index"], df["total"], df["instruction"])]
    df = df.assign(label=labels)
    bars = []
    for cached, part in df.groupby("cached", sort=True):
        start_s = (part["started"] - t0).dt.total_seconds()
        # a cache hit takes ~0 s: drawn at a visible minimum width, its real time in the hover
        bars.append(go.Bar(x=part["duration_s"].clip(lower=min_width_s), base=start_s, y=part["label"],
                           orientation="h", name="cached" if cached else "executed",
                           marker_color="#9ecae1" if cached else "#e6550d", customdata=part["duration_s"],
                           hovertemplate="%{y}<br>%{customdata:.2f} s<extra></extra>"))
    return bars, list(dict.fromkeys(labels))


def build_timeline(steps: pd.DataFrame, *, title: str = "Build steps", dockerfile_only: bool = True) -> go.Figure:
    """Gantt-style bars of BuildKit steps (``BuildResult.steps``), coloured by cache hit, in start order."""
    df = steps[steps["dockerfile_step"]] if dockerfile_only else steps
    df = df.dropna(subset=["started", "completed"])
    fig = go.Figure()
    if df.empty:
        fig.update_layout(title=f"{title} (no timed steps)")
        return fig
    bars, order = _timeline_bars(df)
    for bar in bars:
        fig.add_trace(bar)
    fig.update_layout(title=title, xaxis_title="seconds since the first step started",
                      yaxis={"autorange": "reversed", "automargin": True, "categoryorder": "array",
                             "categoryarray": order},
                      barmode="overlay", height=max(260, 30 * len(df) + 120),
                      margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig


def build_timelines(steps: pd.DataFrame, *, by: str = "run", title: str = "Build steps",
                    dockerfile_only: bool = True) -> go.Figure:
    """One timeline per value of ``by`` (e.g. a cold build and its warm rebuild), stacked on one shared
    seconds axis so their lengths compare at a glance; each starts at its own first step.

    ``steps``: ``BuildResult.steps`` of each build, concatenated with a ``by`` column naming the build.
    Cache hits (~0 s) are drawn at a visible minimum width; the hover gives each step's real time.
    """
    from plotly.subplots import make_subplots

    df = steps[steps["dockerfile_step"]] if dockerfile_only else steps
    df = df.dropna(subset=["started", "completed"])
    runs = list(dict.fromkeys(df[by]))
    if not runs:
        return build_timeline(df, title=title)
    counts = [int((df[by] == run).sum()) for run in runs]
    spans = {run: (part["completed"].max() - part["started"].min()).total_seconds()
             for run, part in df.groupby(by, sort=False)}
    fig = make_subplots(rows=len(runs), cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        row_heights=[c / sum(counts) for c in counts],
                        subplot_titles=[f"{run}: {human_seconds(spans[run])}" for run in runs])
    min_width_s = max(0.01, 0.004 * max(spans.values()))
    shown: set[str] = set()
    for row, run in enumerate(runs, start=1):
        bars, order = _timeline_bars(df[df[by] == run], min_width_s)
        for bar in bars:
            bar.update(legendgroup=bar.name, showlegend=bar.name not in shown)
            shown.add(str(bar.name))
            fig.add_trace(bar, row=row, col=1)
        fig.update_yaxes(autorange="reversed", automargin=True, categoryorder="array", categoryarray=order,
                         row=row, col=1)
    fig.update_xaxes(title_text="seconds since the build's first step started", row=len(runs), col=1)
    fig.update_layout(title=title, barmode="overlay", height=max(320, 30 * sum(counts) + 90 * len(runs) + 80),
                      margin={"l": 10, "r": 10, "t": 70, "b": 40})
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
