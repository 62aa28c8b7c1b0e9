"""Fleet audit tables (``dockopt.fleet.tables``) → plotly Figures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def offenders_bar(offenders: pd.DataFrame) -> go.Figure:
    """Reclaimable bytes of the worst images (``tables.offenders``), worst on top."""
    data = offenders.iloc[::-1]
    labels = data["repository"] + "@" + data["digest"].str[7:19]
    fig = go.Figure(go.Bar(x=data["reclaimable_bytes"].astype(float) / 1e6, y=labels, orientation="h",
                           customdata=data[["tags", "waste_instruction"]].fillna("").to_numpy(),
                           hovertemplate="%{customdata[0]}<br>%{x:.2f} MB reclaimable<br>"
                                         "worst step: %{customdata[1]}<extra></extra>"))
    fig.update_layout(title="Worst offenders: bytes shipped but hidden by later layers", xaxis_title="reclaimable (MB)",
                      height=max(300, 28 * len(data) + 120), margin={"l": 10})
    return fig


def risk_bar(images: pd.DataFrame) -> go.Figure:
    """Distinct images that run as root, carry secrets, have a shell."""
    ok = images[images["error"].isna()].drop_duplicates("digest")
    counts = {"runs as root": int(ok["runs_as_root"].fillna(False).astype(bool).sum()),
              "carries secrets": int((ok["secrets_count"].fillna(0) > 0).sum()),
              "has a shell": int(ok["has_shell"].fillna(False).astype(bool).sum()),
              "all images": int(len(ok))}
    fig = go.Figure(go.Bar(x=list(counts), y=list(counts.values()), text=list(counts.values())))
    fig.update_layout(title="Images running as root or carrying secrets", yaxis_title="distinct images")
    return fig


def base_families_bar(families: pd.DataFrame) -> go.Figure:
    """Distinct images per base family, one bar segment per version (``tables.base_families``)."""
    fig = go.Figure()
    for version, part in families.groupby("base_version", sort=True):
        fig.add_bar(x=part["base_family"], y=part["images"], name=str(version) or "(no version)",
                    customdata=part[["repositories"]].to_numpy(),
                    hovertemplate="%{x} " + str(version) + ": %{y} images in %{customdata[0]} repositories"
                                  "<extra></extra>")
    fig.update_layout(barmode="stack", title="Base families and their versions", yaxis_title="distinct images",
                      legend_title="version")
    return fig


def shared_layers_bar(shared: pd.DataFrame, top: int = 15) -> go.Figure:
    """Layers stored once but used across repositories: bytes that sharing saves (``tables.shared_layers``)."""
    data = shared.head(top).iloc[::-1]
    labels = data["layer_digest"].str[7:19] + " (" + data["repositories"].astype(str) + " repos)"
    fig = go.Figure(go.Bar(x=data["saved_bytes"].astype(float) / 1e6, y=labels, orientation="h",
                           customdata=data[["instruction", "images"]].fillna("").to_numpy(),
                           hovertemplate="%{customdata[0]}<br>in %{customdata[1]} images<br>"
                                         "%{x:.2f} MB saved by sharing<extra></extra>"))
    fig.update_layout(title="Bytes shared across repositories", xaxis_title="saved by storing once (MB)",
                      height=max(300, 28 * len(data) + 120), margin={"l": 10})
    return fig
