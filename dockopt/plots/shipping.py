"""Shipping: compressed vs uncompressed bytes, push and pull seconds, a fresh CI runner's builds."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..units import human_bytes, human_seconds

_MB = 1_000_000


def _short(image: str) -> str:
    return image.rsplit("/", 1)[-1]


def transfer(images: pd.DataFrame, *, title: str = "What each image costs to ship") -> go.Figure:
    """From ``experiments.transfer(...).images``: bytes in the engine vs bytes pushed (new vs reused
    from an earlier image) on the left; push and pull seconds on the right."""
    labels = [_short(i) for i in images["image"]]
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=0.12,
                        subplot_titles=("bytes", "seconds"))
    fig.add_bar(x=labels, y=images["size_bytes"] / _MB, name="in the engine (uncompressed)", marker_color="#bdbdbd",
                offsetgroup="engine", text=[human_bytes(v) for v in images["size_bytes"]], textposition="outside",
                row=1, col=1)
    fig.add_bar(x=labels, y=images["new_bytes"] / _MB, name="pushed: new layers", marker_color="#e6550d",
                offsetgroup="registry", row=1, col=1)
    fig.add_bar(x=labels, y=images["shared_bytes"] / _MB, name="pushed: reused from an earlier image",
                marker_color="#fdae6b", offsetgroup="registry", base=images["new_bytes"] / _MB,
                text=[human_bytes(v) for v in images["compressed_bytes"]], textposition="outside", row=1, col=1)
    for column, name, colour in (("push_s", "push", "#3182bd"), ("pull_s", "pull (bases present)", "#31a354"),
                                 ("fetch_s", "download all layers", "#756bb1")):
        if column in images and images[column].notna().any():
            fig.add_bar(x=labels, y=images[column], name=name, marker_color=colour,
                        text=[human_seconds(v) if pd.notna(v) else "" for v in images[column]],
                        textposition="outside", row=1, col=2)
    fig.update_yaxes(title_text="MB", row=1, col=1)
    fig.update_yaxes(title_text="s", row=1, col=2)
    fig.update_layout(title=title, barmode="group", legend={"orientation": "h", "y": -0.2},
                      margin={"l": 10, "r": 10, "t": 70, "b": 40})
    return fig


def cold_runner(runs: pd.DataFrame, *, title: str = "First build on a fresh CI runner, after a source edit"
                ) -> go.Figure:
    """From ``experiments.ci_cold_runner``: wall seconds per scenario, labelled with the steps that
    ran and the steps the cache supplied; skipped scenarios appear with their reason."""
    measured = runs[runs["status"] == "measured"]
    fig = go.Figure()
    fig.add_bar(x=measured["scenario"], y=measured["wall_s"], marker_color="#e6550d",
                text=[f"{human_seconds(s)}<br>{int(e)} ran, {int(c)} cached" for s, e, c in
                      zip(measured["wall_s"], measured["steps_executed"], measured["steps_cached"])],
                textposition="outside", name="measured")
    skipped = runs[runs["status"] != "measured"]
    if len(skipped):
        fig.add_bar(x=skipped["scenario"], y=[0] * len(skipped), name="skipped", marker_color="#bdbdbd",
                    hovertext=list(skipped["note"]), hoverinfo="text")
        for scenario, note in zip(skipped["scenario"], skipped["note"]):
            fig.add_annotation(x=scenario, y=0, yanchor="bottom", text="skipped:<br>" + "<br>".join(
                _wrap(str(note), 40)), showarrow=False, font={"size": 10})
    fig.update_layout(title=title, yaxis_title="build wall time (s)", showlegend=False,
                      margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines
