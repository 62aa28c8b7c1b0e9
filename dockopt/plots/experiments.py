"""Experiments: runtime base comparisons."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..errors import NoData
from ..units import human_bytes, human_seconds

_MB = 1_000_000


def _built(matrix: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    built = matrix[matrix["skipped"].isna()]
    if built.empty:
        reasons = "; ".join(f"{b}: {str(r).splitlines()[0]}" for b, r in zip(matrix["base"], matrix["skipped"]))
        raise NoData(f"no runtime base was built, so there is nothing to draw ({reasons or 'no candidates'})",
                     hint="the table's skipped column says why for each base")
    current = built["current"] if "current" in built.columns else [False] * len(built)
    labels = [f"{b}{' (current)' if c is True else ''}{' *' if s is True else ''}"
              for b, c, s in zip(built["base"], current, built["standin"])]
    return built, labels


def _note(matrix: pd.DataFrame) -> str:
    skipped = matrix[matrix["skipped"].notna()]
    parts = []
    if matrix["standin"].eq(True).any():
        parts.append("* offline stand-in base")
    if len(skipped):
        parts.append("not built: " + ", ".join(str(b) for b in skipped["base"]))
    return "; ".join(parts)


def base_matrix(matrix: pd.DataFrame, *, title: str = "Runtime base vs image size") -> go.Figure:
    """Stacked bars from ``experiments.base_matrix``: the base's bytes and what the app adds on top,
    with the compressed size (what a registry stores and a node pulls) marked on each bar."""
    built, labels = _built(matrix)
    fig = go.Figure()
    fig.add_bar(x=labels, y=built["base_size_bytes"] / _MB, name="runtime base", marker_color="#9ecae1")
    fig.add_bar(x=labels, y=built["app_bytes"] / _MB, name="app on top", marker_color="#e6550d",
                text=[human_bytes(v) for v in built["size_bytes"]], textposition="outside")
    if "compressed_bytes" in built.columns and built["compressed_bytes"].notna().any():
        fig.add_scatter(x=labels, y=built["compressed_bytes"] / _MB, mode="markers+text", name="compressed (gzip)",
                        marker={"symbol": "line-ew-open", "size": 28, "line": {"width": 3}, "color": "#31a354"},
                        text=[human_bytes(None if pd.isna(v) else int(v)) for v in built["compressed_bytes"]],
                        textposition="middle right")
    note = _note(matrix)
    fig.update_layout(title=title + (f"<br><sup>{note}</sup>" if note else ""), yaxis_title="size (MB)",
                      barmode="stack", margin={"l": 10, "r": 10, "t": 70, "b": 40})
    return fig


def base_tradeoffs(matrix: pd.DataFrame, *, title: str = "What each runtime base costs") -> go.Figure:
    """Four panels from ``experiments.base_matrix``, one bar per built base: compressed size, packages
    (SBOM entries), seconds from ``docker run`` to ready, memory of the running container. Bars of
    images with a shell are darker; a variant that was not healthy is labelled so."""
    built, labels = _built(matrix)
    fig = make_subplots(rows=2, cols=2, subplot_titles=("compressed size (MB)", "packages", "docker run to ready (s)",
                                                        "memory once ready (MB)"))
    shell = ["#3182bd" if s is True else "#9ecae1" for s in built["shell"]]
    healthy = ["" if h is True else " (not healthy)" if h is False else "" for h in built["healthy"]]
    panels = [
        (1, 1, built["compressed_bytes"] / _MB, [human_bytes(None if pd.isna(v) else int(v))
                                                 for v in built["compressed_bytes"]]),
        (1, 2, built["packages"], ["" if pd.isna(v) else str(int(v)) for v in built["packages"]]),
        (2, 1, built["ready_s"], [(human_seconds(float(v)) if not pd.isna(v) else "not run") + h
                                  for v, h in zip(built["ready_s"], healthy)]),
        (2, 2, built["memory_bytes"] / _MB, [human_bytes(None if pd.isna(v) else int(v))
                                             for v in built["memory_bytes"]]),
    ]
    for row, col, values, text in panels:
        fig.add_bar(x=labels, y=pd.to_numeric(values, errors="coerce"), text=text, textposition="auto",
                    marker_color=shell, showlegend=False, row=row, col=col)
    note = "darker: a shell is present" + (f"; {_note(matrix)}" if _note(matrix) else "")
    fig.update_layout(title=f"{title}<br><sup>{note}</sup>", height=620, margin={"l": 10, "r": 10, "t": 90, "b": 40})
    return fig


# --- image analysis (dockopt.analysis) -------------------------------------------------------
