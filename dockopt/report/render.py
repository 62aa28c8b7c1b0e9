"""Execute notebooks and write self-contained HTML reports (plotly.js inline, no CDN) plus an index.

Every report says which base images were offline stand-ins: the renderer reads what the
notebook's ``report.provenance(...)`` cell recorded in its output (``provenance.recorded_bases``)
and turns it into a banner at the top.
"""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import engine
from ..errors import EngineUnavailable, ReportError
from .provenance import banner, recorded_bases

# plotly's own switch: JupyterLab renders the mimetype; nbconvert keeps the HTML, whose first
# figure carries plotly.js inline (the "notebook" renderer, connected=False).
PLOTLY_RENDERER = "plotly_mimetype+notebook"
_TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "report_template"


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
            parameters: Mapping[str, Any] | None = None, timeout_s: int = 1800,
            cwd: str | os.PathLike[str] | None = None) -> Any:
    """Run ``notebook`` (papermill, so a ``parameters`` cell can be overridden) into ``executed_path``,
    in ``cwd`` (default: the notebook's folder)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    src = Path(notebook)
    if not src.is_file():
        raise ReportError(f"notebook {str(src)!r} does not exist", hint="list them with `ls notebooks/`")
    Path(executed_path).parent.mkdir(parents=True, exist_ok=True)
    os.environ["PLOTLY_RENDERER"] = PLOTLY_RENDERER  # the kernel inherits it
    try:
        return papermill.execute_notebook(str(src), str(executed_path), parameters=dict(parameters or {}),
                                          cwd=str(Path(cwd or src.parent).resolve()), kernel_name="python3",
                                          progress_bar=False, execution_timeout=timeout_s, log_output=False)
    except PapermillExecutionError as exc:
        raise ReportError(f"{src.name}: cell {exc.exec_count} raised {exc.ename}: {exc.evalue}",
                          hint=f"open {executed_path} to see the failing cell") from exc


def to_html(nb: Any, html_path: str | os.PathLike[str], *, no_input: bool = False) -> tuple[int, tuple[str, ...]]:
    """Write one self-contained HTML file; returns (bytes written, stand-in references).
    ``no_input``: leave the code cells out (for readers who want the story only)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(_TEMPLATE_DIR)],
                            exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True,
                            exclude_input=no_input)
    bases = recorded_bases(nb)
    _drop_cdn_mathjax(nb)
    body, _ = exporter.from_notebook_node(nb, resources={"dockopt_banner": banner(bases)})
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
        f"<tr><td><a href='{html.escape(Path(str(path)).name)}'>{html.escape(str(name))}</a></td>"
        f"<td>{duration_s:.0f} s</td><td>{html.escape(str(standins)) or 'none'}</td></tr>"
        for path, name, duration_s, standins in zip(table["html_path"], table["report"], table["duration_s"],
                                                    table["standins"]))
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>dockopt reports</title>"
            "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em 1em;text-align:left}</style></head>"
            "<body><h1>dockopt reports</h1><table><tr><th>report</th><th>run time</th>"
            f"<th>offline stand-ins used</th></tr>{rows}</table></body></html>")
    path = Path(output_dir) / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
