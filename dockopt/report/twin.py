"""The static twin of an explorer: what a report shows where JupyterLab shows widgets.

A report has no kernel, so widgets cannot answer clicks there. The twin is built from the same
``ExplorerModel``: a plotly figure whose slider switches layers (treemap of the layer's changes
beside its largest entries, ``plots.layer_slider``) and sortable, searchable tables (itables,
DataTables) of the layers and of every layer's largest entries.

The twin's HTML carries no library: plotly.js and the DataTables bundle are put into the report
once by ``embed_libraries`` (``render.to_html`` calls it), so a notebook with several explorers
does not carry them several times, and nothing is fetched from a CDN.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from .. import settings
from ..units import human_bytes

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..widgets.model import ExplorerModel

#: Set by ``render.execute`` in the kernels it starts: explorers then add their twin to their output.
REPORT_ENV = settings.REPORT
TWIN_MARKER = "dockopt-static-twin"
PROPOSAL_TWIN_MARKER = "dockopt-proposal-twin"
_ITABLES_USE = re.compile(r"window\._itables_\d")
_PLOTLY_INLINE = re.compile(r"plotly\.js v\d|define\('plotly'|window\.Plotly\s*=|Plotly=")


def _itable(df: object, caption: str) -> str:
    from itables import to_html_datatable

    return to_html_datatable(df, caption=caption, connected=False, display_logo_when_loading=False,
                             classes="display nowrap compact", lengthMenu=[10, 25, 100], pageLength=10,
                             columnDefs=[{"className": "dt-left", "targets": "_all"}], allow_html=False,
                             maxBytes=0)


def static_twin_html(model: ExplorerModel, *, max_nodes: int = 120, top: int = 15) -> str:
    """The twin of ``dockopt.explore``'s application for ``model``, as an HTML fragment."""
    from ..plots.explorer import layer_slider

    treemap, top_files = model.twin_frames(max_nodes=max_nodes, top=top)
    layers = model.layers_df
    fig = layer_slider(treemap, top_files, layers, title=f"Inside each layer of {model.name}")
    div_id = f"{TWIN_MARKER}-{abs(hash(model.name)) % 10**8}-{id(model) % 10**6}"
    figure = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                         config={"displaylogo": False, "responsive": True})
    # plotly.js may come later in the page (embed_libraries puts it in <head>, but an output's
    # scripts can run first): wait for it rather than fail
    figure = _wait_for_plotly(figure)
    shown = layers.assign(size=[human_bytes(v) for v in layers["size_bytes"]],
                          wasted=[human_bytes(v) if v else "" for v in layers["wasted_bytes"]],
                          reclaimable=[human_bytes(v) if v else "" for v in layers["reclaimable_bytes"]],
                          instruction=[i if len(i) <= 100 else i[:97] + "..." for i in layers["instruction"]])
    shown = shown[["layer", "line", "stage", "size", "size_bytes", "files_added", "files_modified",
                   "files_removed", "wasted", "reclaimable", "instruction"]]
    shown["line"] = shown["line"].astype("Int64")
    files = top_files.assign(size=[human_bytes(v) for v in top_files["size_bytes"]],
                             wasted=["wasted" if x else "" for x in top_files["wasted"]])
    files = files[["layer", "size", "change", "wasted", "path", "size_bytes"]]
    base = (f" The lowest {model.base_layers} layers came with the base image "
            f"<code>{html.escape(model.base_ref or '?')}</code>." if model.base_layers else "")
    return (f"<div class='{TWIN_MARKER}'>"
            f"<p><b>{html.escape(model.name)}</b> &middot; the interactive explorer needs a running kernel; "
            f"this is its static twin. Move the slider to look inside another layer; the tables sort and "
            f"search.{base}</p>"
            f"{figure}{_itable(shown, 'Layers')}{_itable(files, f'Largest entries of each layer (top {top})')}"
            "</div>")


def proposal_twin_html(before: ExplorerModel, after: ExplorerModel, *, headline: str, diff: str,
                       changes: pd.DataFrame | None = None, top: int = 200) -> str:
    """The twin of ``dockopt.explore(proposal)`` (``widgets.explorer.ProposalExplorer``): the original's and the
    proposal's twins side by side, the files that differ (``analysis.diff``: the ``top`` largest changes, a
    table that sorts and searches) and the Dockerfile's unified diff."""
    from .proposal import diff_html

    def column(title: str, model: ExplorerModel) -> str:
        return (f"<div style='min-width:0;overflow-x:auto'><h4 style='margin:4px 0'>{html.escape(title)}</h4>"
                f"{static_twin_html(model)}</div>")

    files = ""
    if changes is not None:
        shown = changes.head(top).assign(delta=[("+" if d > 0 else "") + human_bytes(d)
                                                for d in changes["delta_bytes"].head(top)])
        shown = shown[["change", "delta", "path", "delta_bytes"]]
        net = int(changes["delta_bytes"].sum())
        counts = changes["change"].value_counts()
        summary = ", ".join(f"{int(counts[c])} {c}" for c in ("added", "removed", "changed") if c in counts)
        files = (f"<p><b>Files, the proposal against the original</b>: {summary or 'no differences'}; net "
                 f"{'+' if net > 0 else ''}{human_bytes(net)}</p>"
                 + _itable(shown, f"Largest differences (top {min(top, len(changes))} of {len(changes)})"))
    return (f"<div class='{PROPOSAL_TWIN_MARKER}'>"
            f"<p>{headline}</p>"
            "<div style='display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:12px'>"
            f"{column('Original', before)}{column('Proposed', after)}</div>"
            f"{files}{diff_html(diff, title='The Dockerfile, original against proposed')}</div>")


def _wait_for_plotly(figure_html: str) -> str:
    return re.sub(r"<script type=\"text/javascript\">(.*?)</script>",
                  lambda m: ("<script type=\"text/javascript\">(function draw(){if(!window.Plotly)"
                             "{return setTimeout(draw,50);}" + m.group(1) + "})();</script>"),
                  figure_html, count=1, flags=re.S)


def embed_libraries(page: str) -> str:
    """Put the libraries the twins (and itables) in ``page`` need into its ``<head>``, inline, once:
    DataTables when a table waits for it, plotly.js when a twin needs it and no figure brought it."""
    needs_itables = bool(_ITABLES_USE.search(page))
    needs_plotly = TWIN_MARKER in page and not _PLOTLY_INLINE.search(page)
    if not (needs_itables or needs_plotly):
        return page
    head = []
    if needs_plotly:
        from plotly.offline import get_plotlyjs

        head.append(f"<script type='text/javascript'>{get_plotlyjs()}</script>")
    if needs_itables:
        from itables.javascript import generate_init_offline_itables_html
        from itables.options import dt_bundle

        head.append(generate_init_offline_itables_html(dt_bundle))
    at = page.find("</head>")
    return page[:at] + "".join(head) + page[at:] if at >= 0 else "".join(head) + page
