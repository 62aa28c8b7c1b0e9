"""``dockopt report --fleet DIR``: one offline HTML page over a fleet audit's tables.

plotly.js is inlined once in the page's head (no CDN, opens offline); every chart is drawn from
the tables ``dockopt audit`` wrote (``dockopt.fleet.tables`` group-bys, ``dockopt.plots.fleet``).
A notebook template for JupyterLab asks the same questions: ``fleet_notebook(DIR)`` writes it.
"""

from __future__ import annotations

import html
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ..units import human_bytes

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

PAGE = "fleet.html"
NOTEBOOK = "fleet.ipynb"
_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1.5em}td,th{border:1px solid #ddd;padding:3px 6px;
text-align:left;vertical-align:top}th{background:#f3f3f3}.num{text-align:right}.cards{display:flex;flex-wrap:wrap;
gap:1em}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:9em}.card b{display:block;
font-size:1.4em}code{font-size:.85em}.err{color:#a00}"""


@dataclass(frozen=True)
class FleetReport:
    """The rendered page: where it is, its size, how many charts it carries."""

    html_path: str
    html_bytes: int
    charts: int
    notebook_path: str


def _table(df: pd.DataFrame, byte_columns: tuple[str, ...] = ()) -> str:
    if df.empty:
        return "<p><i>none</i></p>"
    import pandas as pd

    shown = df.copy()
    for col in byte_columns:
        if col in shown:
            shown[col] = ["" if pd.isna(v) else human_bytes(v) for v in shown[col]]
    for col in shown.columns:
        if col.endswith("digest"):
            shown[col] = shown[col].astype(str).str[:19]
    return shown.to_html(index=False, escape=True, na_rep="", border=0)


def render_fleet_report(audit_dir: str | os.PathLike[str], output: str | os.PathLike[str] | None = None,
                        *, top: int = 15) -> FleetReport:
    """Render ``audit_dir``'s tables (``dockopt audit -o DIR``) into ``output`` (default
    ``DIR/fleet.html``), with the notebook template beside it."""
    from plotly.offline import get_plotlyjs

    from ..fleet import tables
    from ..fleet.store import load_meta, read_tables
    from ..plots import fleet as plots

    folder = Path(audit_dir)
    images, layers, findings = read_tables(folder)
    registry = str(load_meta(folder).get("registry") or "")
    s = tables.summary(images, layers)
    worst = tables.offenders(images, top)
    risky = tables.risky(images)
    families = tables.base_families(images)
    shared = tables.shared_layers(images, layers)
    figures = [plots.offenders_bar(worst), plots.risk_bar(images), plots.base_families_bar(families),
               plots.shared_layers_bar(shared, top)]
    divs = [fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"fleet-chart-{i}",
                        config={"displaylogo": False, "responsive": True}) for i, fig in enumerate(figures)]
    fixes = worst.assign(
        single_image_report=[f"dockopt report --image {registry or '<registry>'}/{r}@{d}"
                             for r, d in zip(worst["repository"], worst["digest"])])[
        ["repository", "tags", "reclaimable_bytes", "waste_instruction", "waste_instruction_bytes", "top_rule",
         "top_fix", "single_image_report"]]
    errors = images[images["error"].notna()][["repository", "tag", "digest", "error"]]
    cards = [("tags audited", str(s["tags"])), ("distinct images", str(s["images"])),
             ("repositories", str(s["repositories"])), ("failed", str(s["failed"])),
             ("reclaimable", human_bytes(s["reclaimable_bytes"])),
             ("stored (layers once)", human_bytes(s["compressed_bytes_stored"])),
             ("pulled if not shared", human_bytes(s["compressed_bytes_listed"])),
             ("run as root", str(s["runs_as_root"])), ("carry secrets", str(s["with_secrets"]))]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = f"""<h1>Fleet audit</h1>
<p>{html.escape(registry or "?")} &middot; {html.escape(str(folder))} &middot; rendered {when} &middot;
from <code>images.parquet</code>,
<code>layers.parquet</code> and <code>findings.parquet</code> (<code>dockopt audit</code>).</p>
<div class="cards">{''.join(f'<div class="card"><b>{html.escape(v)}</b>{html.escape(k)}</div>' for k, v in cards)}</div>
<h2>Worst offenders by reclaimable bytes</h2>{divs[0]}
<h3>The fix dockopt suggests for each</h3>
<p>Reclaimable bytes are shipped but hidden by a later layer; the step that wrote most of them is named, then
dockopt's first finding for the image. The last column opens the image's own report.</p>
{_table(fixes, ("reclaimable_bytes", "waste_instruction_bytes"))}
<h2>Images running as root or carrying secrets</h2>{divs[1]}
{_table(risky)}
<h2>Base families and their versions</h2>{divs[2]}
<p>From each image's <code>os-release</code>; the base's age counts from its first layer's build time.</p>
{_table(families)}
<h2>Bytes shared across repositories</h2>{divs[3]}
{_table(shared.head(top), ("compressed_bytes", "size_bytes", "saved_bytes"))}
<h2>Images that could not be analysed</h2>{_table(errors)}
"""
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>dockopt fleet audit</title>"
            f"<style>{_CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head>"
            f"<body>{body}</body></html>")
    target = Path(output) if output else folder / PAGE
    if target.is_dir():
        target = target / PAGE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    notebook = fleet_notebook(folder, target.parent / NOTEBOOK)
    return FleetReport(html_path=str(target), html_bytes=target.stat().st_size, charts=len(figures),
                       notebook_path=str(notebook))


def fleet_notebook(audit_dir: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """Write the fleet notebook template (for JupyterLab) to ``path``, its ``parameters`` cell pointing
    at ``audit_dir``."""
    template = resources.files("dockopt.report") / "templates" / NOTEBOOK
    target = Path(path)
    with resources.as_file(template) as src:
        shutil.copyfile(src, target)
    nb = json.loads(target.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = [f"audit_dir = {str(Path(audit_dir).resolve())!r}\n", "top = 15\n"]
    target.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return target
