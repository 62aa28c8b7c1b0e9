"""Dockerfile insight: the stage graph of a build, and what each finding costs."""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import pandas as pd
import plotly.graph_objects as go

from ..units import human_bytes, human_seconds

_SKIPPED = "#d9d9d9"
_IMAGE = "#bdbdbd"


def stage_graph(stages: pd.DataFrame, *, color: str = "duration_s", title: str = "Stages") -> go.Figure:
    """The stages of ``insight.stages(...)`` as a directed graph, left to right in build order.

    Edges: ``FROM`` (solid) and ``COPY --from`` / ``RUN --mount=from=`` (dashed), from the stage (or base
    image, a grey square) that gives to the one that takes. Node area follows the stage's bytes
    (``stage_bytes``, else ``final_bytes``); colour follows ``color``: ``duration_s`` (seconds of its steps in
    this build) or ``cache_share`` (share of its steps served from the cache). The target has a thick outline;
    stages BuildKit skipped (not needed by the target) are grey. Layout: networkx's layered
    ``multipartite_layout`` over the graph's topological generations.
    """
    if color not in ("duration_s", "cache_share"):
        raise ValueError("color must be 'duration_s' or 'cache_share'")
    g = nx.DiGraph()
    rows: list[Any] = list(stages.itertuples(index=False))
    for row in rows:
        g.add_node(row.stage, kind="stage")
    edges: list[tuple[str, str, str]] = []
    for row in rows:
        if isinstance(row.base_stage, str) and row.base_stage:
            edges.append((str(row.base_stage), row.stage, "FROM"))
        elif str(row.base).lower() != "scratch":
            g.add_node(f"image:{row.base}", kind="image")
            edges.append((f"image:{row.base}", row.stage, "FROM"))
        for source in row.takes_from:
            edges.append((str(source), row.stage, "COPY --from"))
    for a, b, kind in edges:
        g.add_edge(a, b, kind=kind)
    for depth, generation in enumerate(nx.topological_generations(g)):
        for node in generation:
            g.nodes[node]["layer"] = depth
    pos = nx.multipartite_layout(g, subset_key="layer", align="vertical")

    fig = go.Figure()
    for kind, dash in (("FROM", "solid"), ("COPY --from", "dash")):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for a, b, k in edges:
            if k == kind:
                xs += [pos[a][0], pos[b][0], None]
                ys += [pos[a][1], pos[b][1], None]
        if xs:
            fig.add_scatter(x=xs, y=ys, mode="lines", name=kind, hoverinfo="skip",
                            line={"color": "#636363" if kind == "FROM" else "#3182bd", "dash": dash, "width": 1.5})
    for a, b, _ in edges:  # arrow heads
        fig.add_annotation(x=pos[b][0], y=pos[b][1], ax=pos[a][0], ay=pos[a][1], xref="x", yref="y", axref="x",
                           ayref="y", showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=1, standoff=14,
                           arrowcolor="#969696", text="")

    images = [n for n, d in g.nodes(data=True) if d["kind"] == "image"]
    if images:
        fig.add_scatter(x=[pos[n][0] for n in images], y=[pos[n][1] for n in images], mode="markers+text",
                        name="base image", marker={"symbol": "square", "size": 12, "color": _IMAGE},
                        text=[n.removeprefix("image:") for n in images], textposition="bottom center",
                        textfont={"size": 10, "color": "#636363"}, hovertemplate="%{text}<extra>base image</extra>")

    df = stages.copy()
    df["cache_share"] = [c / s if s else math.nan for c, s in zip(df["cached_steps"], df["steps"])]
    weight = [int(b) if pd.notna(b) else int(f) for b, f in zip(df["stage_bytes"], df["final_bytes"])]
    biggest = max([w for w in weight if w] or [1])
    sizes = [18 + 42 * math.sqrt(w / biggest) for w in weight]
    records: list[Any] = list(df.itertuples(index=False))
    hover = [f"<b>{r.stage}</b> (line {r.line})<br>FROM {r.base}<br>{r.steps} steps, {r.cached_steps} cached, "
             f"{human_seconds(r.duration_s)}<br>final image takes {human_bytes(int(r.final_bytes))}"
             + ("" if pd.isna(r.left_behind_bytes) else f"<br>left behind {human_bytes(int(r.left_behind_bytes))}")
             + ("<br><i>skipped by BuildKit (not needed by the target)</i>" if r.skipped else "")
             + ("<br><b>target</b>" if r.target else "") for r in records]
    built = ~df["skipped"]
    values = df[color]
    if built.any():
        fig.add_scatter(
            x=[pos[s][0] for s in df.loc[built, "stage"]], y=[pos[s][1] for s in df.loc[built, "stage"]],
            mode="markers+text", name="stage", text=df.loc[built, "stage"].tolist(), textposition="top center",
            hovertext=[h for h, b in zip(hover, built) if b], hoverinfo="text",
            marker={"size": [s for s, b in zip(sizes, built) if b], "color": values[built].tolist(),
                    "colorscale": "Oranges" if color == "duration_s" else "Blues", "showscale": True,
                    "cmin": 0, "colorbar": {"title": "seconds" if color == "duration_s" else "cached share"},
                    "line": {"width": [4 if t else 1 for t in df.loc[built, "target"]], "color": "#252525"}})
    if (~built).any():
        fig.add_scatter(
            x=[pos[s][0] for s in df.loc[~built, "stage"]], y=[pos[s][1] for s in df.loc[~built, "stage"]],
            mode="markers+text", name="skipped by BuildKit", text=df.loc[~built, "stage"].tolist(),
            textposition="top center", textfont={"color": "#969696"},
            hovertext=[h for h, b in zip(hover, built) if not b], hoverinfo="text",
            marker={"size": 16, "color": _SKIPPED, "line": {"width": 1, "color": "#969696"}})
    fig.update_layout(title=title, showlegend=True, height=max(320, 90 * max(len(gen) for gen in
                                                                            nx.topological_generations(g)) + 120),
                      xaxis={"visible": False, "range": [min(p[0] for p in pos.values()) - 0.45,
                                                         max(p[0] for p in pos.values()) + 0.2]},
                      yaxis={"visible": False}, plot_bgcolor="white",
                      margin={"l": 10, "r": 10, "t": 50, "b": 10}, legend={"orientation": "h", "y": -0.02})
    return fig


def findings(table: pd.DataFrame, *, title: str = "What each finding costs") -> go.Figure:
    """Bars per finding of ``insight.findings(...)`` with a measured cost: bytes (left) and seconds (right).

    Each bar is labelled ``rule (line N)``; findings without a measured cost are left out (the title says
    how many).
    """
    from plotly.subplots import make_subplots

    measured = table[(table["cost_bytes"].fillna(0) > 0) | (table["cost_s"].fillna(0) > 0)]
    label = [f"{r} (line {int(n)})" if pd.notna(n) else str(r) for r, n in zip(measured["rule"], measured["line"])]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.03,
                        subplot_titles=("bytes in the image", "seconds per rebuild"))
    b = measured["cost_bytes"].fillna(0)
    s = measured["cost_s"].fillna(0)
    fig.add_bar(y=label, x=b / 1e6, orientation="h", name="MB", marker_color="#e6550d",
                text=[human_bytes(int(v)) if v else "" for v in b], textposition="auto",
                hovertext=measured["message"].tolist(), row=1, col=1)
    fig.add_bar(y=label, x=s, orientation="h", name="s", marker_color="#3182bd",
                text=[human_seconds(float(v)) if v else "" for v in s], textposition="auto",
                hovertext=measured["message"].tolist(), row=1, col=2)
    static = len(table) - len(measured)
    fig.update_layout(title=f"{title} ({len(measured)} measured; {static} without a measurable cost not shown)",
                      showlegend=False, height=max(260, 34 * len(measured) + 140),
                      margin={"l": 10, "r": 10, "t": 70, "b": 30})
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text="MB", row=1, col=1)
    fig.update_xaxes(title_text="s", row=1, col=2)
    return fig
