"""Execute notebooks and write self-contained HTML reports (plotly.js inline, no CDN) plus an index.

Every report says which base images were offline stand-ins: notebooks end with
``dockopt.report.provenance()``, which shows the base images their builds used and leaves a
machine-readable copy in the output; the renderer turns it into a banner at the top.
"""

from __future__ import annotations

import html
import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import engine
from .bases.catalog import is_standin_of
from .build import bases_seen
from .errors import EngineUnavailable, ReportError

PROVENANCE_MIME = "application/vnd.dockopt.provenance+json"
STANDIN_FOR_LABEL = "io.dockopt.standin.for"
STANDIN_RECIPE_LABEL = "io.dockopt.standin.recipe"
# plotly's own switch: JupyterLab renders the mimetype; nbconvert keeps the HTML, whose first
# figure carries plotly.js inline (the "notebook" renderer, connected=False).
PLOTLY_RENDERER = "plotly_mimetype+notebook"
_TEMPLATE_DIR = Path(__file__).parent / "report_template"


def base_provenance(references: Sequence[str]) -> pd.DataFrame:
    """Each row is one base image reference: whether the local image is an offline stand-in.

    Columns: ``reference``, ``present``, ``standin`` (bool), ``standin_for``, ``recipe``,
    ``image_id``, ``size_bytes``.
    """
    rows = []
    for ref in dict.fromkeys(references):
        row: dict[str, Any] = {"reference": ref, "present": False, "standin": False, "standin_for": None,
                               "recipe": None, "image_id": None, "size_bytes": None}
        if ref != "scratch" and engine.image_exists(ref):
            attrs = engine.inspect_image(ref)
            labels = (attrs.get("Config") or {}).get("Labels") or {}
            # labels are inherited by images built FROM a stand-in: ask whether this one *is* it
            row.update(present=True, standin=is_standin_of(ref, labels),
                       standin_for=labels.get(STANDIN_FOR_LABEL), recipe=labels.get(STANDIN_RECIPE_LABEL),
                       image_id=attrs["Id"], size_bytes=int(attrs.get("Size") or 0))
        rows.append(row)
    return pd.DataFrame(rows, columns=["reference", "present", "standin", "standin_for", "recipe", "image_id",
                                       "size_bytes"])


def provenance(references: Sequence[str] | None = None) -> pd.DataFrame:
    """Show (in a notebook) and return the provenance of the bases this kernel's builds used."""
    table = base_provenance(references if references is not None else bases_seen())
    try:
        from IPython.display import display
    except ImportError:  # plain Python: the table is the answer
        return table
    payload = {"bases": json.loads(table.to_json(orient="records"))}
    shown = table[["reference", "standin", "recipe"]].rename(columns={"standin": "offline stand-in"})
    display({PROVENANCE_MIME: payload, "text/html": shown.to_html(index=False),
             "text/plain": shown.to_string(index=False)}, raw=True)
    return table


def _recorded_bases(nb: Any) -> dict[str, dict[str, Any]]:
    """The base images an executed notebook's ``provenance()`` outputs recorded, by reference."""
    bases: dict[str, dict[str, Any]] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PROVENANCE_MIME in data:
                payload = data[PROVENANCE_MIME]
                payload = json.loads(payload) if isinstance(payload, str) else payload
                for b in payload.get("bases", []):
                    bases[b["reference"]] = b
    return bases


def _banner(bases: dict[str, dict[str, Any]]) -> str:
    if not bases:
        return ""
    standins = [b for b in bases.values() if b.get("standin")]
    if not standins:
        return "Base images: all real upstream images (" + html.escape(", ".join(bases)) + ")."
    items = "".join(f"<li><code>{html.escape(b['reference'])}</code>: {html.escape(b.get('recipe') or 'stand-in')}</li>"
                    for b in standins)
    upstream = [r for r, b in bases.items() if not b.get("standin")]
    tail = f" Real upstream or local images: {html.escape(', '.join(upstream))}." if upstream else ""
    return (f"<strong>Offline stand-ins.</strong> No registry was reachable when this report was made, so "
            f"{len(standins)} base image(s) were built locally from distribution packages under their upstream "
            f"references; sizes of real upstream images differ.<ul>{items}</ul>{tail}")


# plotly's notebook renderer links MathJax from a CDN in every figure; dockopt's charts use no
# LaTeX, and a report must not reach out to the internet, so the link is dropped.
_CDN_MATHJAX = re.compile(r"""<script[^>]*\bsrc=["']https?://[^"']*mathjax[^"']*["'][^>]*>\s*</script>""", re.I)


def _drop_cdn_mathjax(nb: Any) -> None:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                text = data["text/html"]
                text = "".join(text) if isinstance(text, list) else text
                data["text/html"] = _CDN_MATHJAX.sub("", text)


@dataclass(frozen=True)
class Report:
    """One rendered notebook."""

    notebook: str
    html_path: str
    executed_path: str
    duration_s: float
    standins: tuple[str, ...]
    html_bytes: int


def execute(notebook: str | os.PathLike[str], executed_path: str | os.PathLike[str], *,
            parameters: Mapping[str, Any] | None = None, timeout_s: int = 1800) -> Any:
    """Run ``notebook`` (papermill, so a ``parameters`` cell can be overridden) into ``executed_path``."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    src = Path(notebook)
    if not src.is_file():
        raise ReportError(f"notebook {str(src)!r} does not exist", hint="list them with `ls notebooks/`")
    Path(executed_path).parent.mkdir(parents=True, exist_ok=True)
    os.environ["PLOTLY_RENDERER"] = PLOTLY_RENDERER  # the kernel inherits it
    try:
        return papermill.execute_notebook(str(src), str(executed_path), parameters=dict(parameters or {}),
                                          cwd=str(src.parent.resolve()), kernel_name="python3",
                                          progress_bar=False, execution_timeout=timeout_s, log_output=False)
    except PapermillExecutionError as exc:
        raise ReportError(f"{src.name}: cell {exc.exec_count} raised {exc.ename}: {exc.evalue}",
                          hint=f"open {executed_path} to see the failing cell") from exc


def to_html(nb: Any, html_path: str | os.PathLike[str]) -> tuple[int, tuple[str, ...]]:
    """Write one self-contained HTML file; returns (bytes written, stand-in references)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(_TEMPLATE_DIR)],
                            exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True)
    bases = _recorded_bases(nb)
    banner = _banner(bases)
    _drop_cdn_mathjax(nb)
    body, _ = exporter.from_notebook_node(nb, resources={"dockopt_banner": banner})
    path = Path(html_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    standins = tuple(ref for ref, b in bases.items() if b.get("standin"))
    return len(body.encode()), standins


def render(notebook: str | os.PathLike[str], output_dir: str | os.PathLike[str] = "reports", *,
           parameters: Mapping[str, Any] | None = None, name: str | None = None, timeout_s: int = 1800) -> Report:
    """Execute one notebook and write ``<output_dir>/<name>.html`` (executed copy under ``_executed/``)."""
    src = Path(notebook)
    out = Path(output_dir)
    stem = name or src.stem
    executed = out / "_executed" / f"{stem}.ipynb"
    started = time.monotonic()
    nb = execute(src, executed, parameters=parameters, timeout_s=timeout_s)
    size, standins = to_html(nb, out / f"{stem}.html")
    return Report(notebook=str(src), html_path=str(out / f"{stem}.html"), executed_path=str(executed),
                  duration_s=time.monotonic() - started, standins=standins, html_bytes=size)


def planned_runs(notebook: str | os.PathLike[str]) -> list[tuple[str, dict[str, Any]]]:
    """(report name, parameters) for each report a notebook asks for.

    A notebook that serves many runs lists them in its metadata, e.g.
    ``"dockopt": {"runs": [{"sample_name": "go-api"}, {"sample_name": "java"}]}``: one report per
    entry, named ``<notebook>--<values>``. Otherwise: one report with the notebook's own parameters.
    """
    import nbformat

    src = Path(notebook)
    if not src.is_file():
        raise ReportError(f"notebook {str(src)!r} does not exist", hint="list them with `ls notebooks/`")
    runs = (nbformat.read(src, as_version=4).metadata.get("dockopt") or {}).get("runs") or []
    if not runs:
        return [(src.stem, {})]
    return [(f"{src.stem}--{'-'.join(str(v) for v in run.values())}", dict(run)) for run in runs]


def render_all(notebooks: Sequence[str | os.PathLike[str]], output_dir: str | os.PathLike[str] = "reports", *,
               parameters: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Each row is one rendered report (``notebook``, ``report``, ``html_path``, ``duration_s``,
    ``html_bytes``, ``standins``); writes ``index.html`` beside them. A failing notebook stops the run.

    ``parameters`` override every run's values (and replace a notebook's own list of runs)."""
    try:
        engine.info()
    except EngineUnavailable as exc:
        raise ReportError("reports build real images, and no Docker Engine answers", hint=exc.hint) from exc
    reports = []
    for nb in notebooks:
        runs = [(Path(nb).stem, {})] if parameters else planned_runs(nb)
        for name, params in runs:
            reports.append(render(nb, output_dir, parameters={**params, **dict(parameters or {})}, name=name))
    table = pd.DataFrame([{"notebook": Path(r.notebook).name, "report": Path(r.html_path).stem,
                           "html_path": r.html_path, "duration_s": round(r.duration_s, 1),
                           "html_bytes": r.html_bytes, "standins": ", ".join(r.standins)} for r in reports])
    write_index(table, output_dir)
    return table


def write_index(table: pd.DataFrame, output_dir: str | os.PathLike[str]) -> Path:
    rows = "".join(
        f"<tr><td><a href='{html.escape(Path(r.html_path).name)}'>{html.escape(r.report)}</a></td>"
        f"<td>{r.duration_s:.0f} s</td><td>{html.escape(r.standins) or 'none'}</td></tr>"
        for r in table.itertuples())
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>dockopt reports</title>"
            "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em 1em;text-align:left}</style></head>"
            "<body><h1>dockopt reports</h1><table><tr><th>report</th><th>run time</th>"
            f"<th>offline stand-ins used</th></tr>{rows}</table></body></html>")
    path = Path(output_dir) / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


# --- checking a rendered report -----------------------------------------------------------------

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic")
_EXTERNAL = re.compile(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']?(https?:)?//""", re.I)


@dataclass(frozen=True)
class HtmlCheck:
    """What a headless browser saw in a report: charts drawn, resources it would fetch from outside."""

    path: str
    charts_drawn: int
    external_resources: int
    plotly_inline: bool


def check_html(html_path: str | os.PathLike[str], *, browser: str | None = None,
               budget_ms: int = 15000) -> HtmlCheck:
    """Open ``html_path`` in headless Chromium (Debian's ``chromium``), let its scripts run, count the
    plotly charts that were drawn (``svg.main-svg`` roots) and the resources the page links from outside."""
    import tempfile

    from . import proc

    path = Path(html_path).resolve()
    if not path.is_file():
        raise ReportError(f"report {str(path)!r} does not exist", hint="render it first: `dockopt report`")
    exe = browser or proc.which("chromium") or proc.which("chromium-browser") or proc.which("google-chrome")
    if exe is None:
        from .errors import ToolMissing

        raise ToolMissing("no Chromium to open the report with", hint="apt-get install chromium")
    text = path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="dockopt-chromium-") as profile:
        done = proc.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
                         "--dump-dom", path.as_uri()], timeout=120)
    # Each drawn plotly figure has one root <svg class="main-svg"> that holds its plot.
    drawn = len(re.findall(r'<div class="[^"]*\bsvg-container\b', done.stdout))
    return HtmlCheck(path=str(path), charts_drawn=drawn, external_resources=len(_EXTERNAL.findall(text)),
                     plotly_inline="plotly.js v" in text or "Plotly=" in text or "define('plotly'" in text)
