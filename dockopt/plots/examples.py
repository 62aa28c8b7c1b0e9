"""The guide's example per stack beside the sample's Dockerfiles (``experiments.guide_examples``)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..units import human_bytes
from .shipping import _wrap

_MB = 1_000_000
_KIND_COLOURS = {"naive": "#bdbdbd", "guide": "#fd8d3c", "optimised": "#31a354", "extra": "#9e9ac8"}


def guide_examples(table: pd.DataFrame, *, title: str = "The guide's example beside the sample's Dockerfiles"
                   ) -> go.Figure:
    """From ``experiments.guide_examples(...).table``: bytes in the engine (bars) and pushed
    (diamonds) per image on a log axis, and the packages each ships; an image that did not start
    says so under its bar, a skipped one shows its reason."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.1,
                        subplot_titles=("bytes (log scale)", "packages in the image"))
    measured = table[table["status"] == "measured"]
    labels = list(table["variant"])
    colours = [_KIND_COLOURS.get(k, "#636363") for k in measured["kind"]]
    # every image gets its place on both axes, skipped ones too (their reason is written there)
    for col in (1, 2):
        fig.add_scatter(x=labels, y=[1] * len(labels), mode="markers", marker_opacity=0, showlegend=False,
                        hoverinfo="skip", row=1, col=col)
    fig.add_bar(x=measured["variant"], y=measured["size_bytes"].astype(float) / _MB, name="in the engine",
                marker_color=colours, text=[human_bytes(v) for v in measured["size_bytes"]], textposition="outside",
                showlegend=False, row=1, col=1)
    pushed = measured[measured["compressed_bytes"].notna()]
    if len(pushed):
        fig.add_scatter(x=pushed["variant"], y=pushed["compressed_bytes"].astype(float) / _MB, mode="markers",
                        name="pushed (compressed)", marker={"symbol": "diamond", "size": 11, "color": "#3182bd"},
                        hovertext=[human_bytes(v) for v in pushed["compressed_bytes"]], hoverinfo="text", row=1, col=1)
    with_packages = measured[measured["packages"].notna()]
    fig.add_bar(x=with_packages["variant"], y=with_packages["packages"].astype(float), showlegend=False,
                marker_color=[_KIND_COLOURS.get(k, "#636363") for k in with_packages["kind"]],
                text=[f"{int(v)}" for v in with_packages["packages"]], textposition="outside", row=1, col=2)
    for variant, started, note in zip(measured["variant"], measured["started"], measured["note"]):
        if started is False:
            fig.add_annotation(x=variant, y=0, yref="y domain", yanchor="bottom", showarrow=False,
                               text="<b>did not start</b><br>" + "<br>".join(_wrap(str(note or ""), 28)[:3]),
                               font={"size": 10, "color": "#a50f15"}, row=1, col=1)
    for variant, note in zip(table.loc[table["status"] != "measured", "variant"],
                             table.loc[table["status"] != "measured", "note"]):
        fig.add_annotation(x=variant, y=0.02, yref="y domain", yanchor="bottom", showarrow=False,
                           text="skipped:<br>" + "<br>".join(_wrap(str(note or ""), 24)[:4]), font={"size": 10},
                           row=1, col=1)
    fig.update_xaxes(categoryorder="array", categoryarray=labels, row=1, col=1)
    fig.update_xaxes(categoryorder="array", categoryarray=labels, row=1, col=2)
    fig.update_yaxes(type="log", title_text="MB", row=1, col=1)
    fig.update_yaxes(title_text="packages", row=1, col=2)
    fig.update_layout(title=title, legend={"orientation": "h", "y": -0.18}, height=460,
                      margin={"l": 10, "r": 10, "t": 70, "b": 40})
    return fig
