"""Execute notebooks and write self-contained HTML reports (plotly.js inline, no CDN) plus a landing page.

Every report says which base images were offline stand-ins: the renderer reads what the
notebook's ``report.provenance(...)`` cell recorded in its output (``provenance.recorded_bases``)
and turns it into a banner at the top. ``index.html`` is the front page of every report in the
folder: grouped by theme (notebook) and stack, each with its question, headline figures and
conclusion as the notebook recorded them (``story.recorded_story``), and the stand-ins it used.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import content, engine, extras
from ..errors import EngineUnavailable, ReportError
from ..units import human_seconds
from .provenance import banner, recorded_bases
from .story import recorded_story
from .twin import REPORT_ENV, embed_libraries

# plotly's own switch: JupyterLab renders the mimetype; nbconvert keeps the HTML, whose first
# figure carries plotly.js inline (the "notebook" renderer, connected=False).
PLOTLY_RENDERER = "plotly_mimetype+notebook"
_TEMPLATE_DIR = content.report_template_dir()


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


# A report has no kernel: a widget's view would be an empty box (its manager is not loaded, and
# loading it means a CDN). Dropping the view lets the output's other form show: an explorer's
# static twin (report.twin), or the widget's text.
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _drop_widget_views(nb: Any) -> None:
    for cell in nb.cells:
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if _WIDGET_VIEW in data:
                del data[_WIDGET_VIEW]
                if "text/html" not in data:  # "VBox(children=...)" says nothing to a reader
                    continue
            kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept
    nb.metadata.pop("widgets", None)  # their saved state: nothing left to draw with it


@dataclass(frozen=True)
class Report:
    """One rendered notebook."""

    notebook: str
    html_path: str
    executed_path: str
    duration_s: float
    standins: tuple[str, ...]
    html_bytes: int
    title: str = ""
    headlines: tuple[str, ...] = ()  # "node-express: 1.09 GB → 152 MB, 86.1 % smaller", as recorded


def _kernel_manager_class() -> type:
    """A kernel manager that gives the kernel CurveZMQ keys when its kernelspec supports them.

    ipykernel 7 warns on stderr about every kernel talking plain TCP ("susceptible to
    eavesdropping"); with keys the channels are encrypted and ``dockopt report`` prints no such
    warning per report. Kernels that declare no support start as before (``auto``).
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    if "transport_encryption" not in AsyncKernelManager.class_trait_names():  # older jupyter_client
        return AsyncKernelManager

    class EncryptedKernelManager(AsyncKernelManager):
        transport_encryption = CaselessStrEnum(["disabled", "auto", "required"], default_value="auto",
                                               config=True)

    return EncryptedKernelManager


def execute(notebook: str | os.PathLike[str], executed_path: str | os.PathLike[str], *,
            parameters: Mapping[str, Any] | None = None, timeout_s: int = 1800,
            cwd: str | os.PathLike[str] | None = None) -> Any:
    """Run ``notebook`` (papermill, so a ``parameters`` cell can be overridden) into ``executed_path``,
    in ``cwd`` (default: the notebook's folder)."""
    extras.require("report", "running a notebook into a report")
    import papermill
    from papermill.exceptions import PapermillExecutionError

    src = Path(notebook)
    if not src.is_file():
        raise ReportError(f"notebook {str(src)!r} does not exist", hint="list them with `ls notebooks/`")
    Path(executed_path).parent.mkdir(parents=True, exist_ok=True)
    os.environ["PLOTLY_RENDERER"] = PLOTLY_RENDERER  # the kernel inherits it
    # the kernel's explorers add their static twin to their output (report.twin); this process's do not
    was = os.environ.get(REPORT_ENV)
    os.environ[REPORT_ENV] = "1"
    try:
        return papermill.execute_notebook(str(src), str(executed_path), parameters=dict(parameters or {}),
                                          cwd=str(Path(cwd or src.parent).resolve()), kernel_name="python3",
                                          progress_bar=False, execution_timeout=timeout_s, log_output=False,
                                          kernel_manager_class=_kernel_manager_class())
    except PapermillExecutionError as exc:
        raise ReportError(f"{src.name}: cell {exc.exec_count} raised {exc.ename}: {exc.evalue}",
                          hint=f"open {executed_path} to see the failing cell") from exc
    finally:
        if was is None:
            os.environ.pop(REPORT_ENV, None)
        else:
            os.environ[REPORT_ENV] = was


def to_html(nb: Any, html_path: str | os.PathLike[str], *, no_input: bool = False) -> tuple[int, tuple[str, ...]]:
    """Write one self-contained HTML file; returns (bytes written, stand-in references).
    ``no_input``: leave the code cells out (for readers who want the story only)."""
    extras.require("report", "rendering a report")
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(_TEMPLATE_DIR)],
                            exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True,
                            exclude_input=no_input)
    bases = recorded_bases(nb)
    _drop_cdn_mathjax(nb)
    _drop_widget_views(nb)
    body, _ = exporter.from_notebook_node(nb, resources={"dockopt_banner": banner(bases)})
    body = embed_libraries(body)
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
    story = recorded_story(nb)
    return Report(notebook=str(src), html_path=str(out / f"{stem}.html"), executed_path=str(executed),
                  duration_s=time.monotonic() - started, standins=standins, html_bytes=size, title=story.title,
                  headlines=tuple(h.get("text", "") for h in story.headlines))


def prunes_build_cache(notebook: str | os.PathLike[str]) -> bool:
    """Whether a notebook's metadata says it prunes the engine's build cache
    (``"dockopt": {"prunes_build_cache": true}``): such notebooks run after the others, whose builds
    would otherwise turn cold. An unreadable notebook says no."""
    import json

    try:
        meta = json.loads(Path(notebook).read_text(encoding="utf-8")).get("metadata", {}).get("dockopt", {})
    except (OSError, ValueError):
        return False
    return bool(meta.get("prunes_build_cache"))


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
               parameters: Mapping[str, Any] | None = None,
               on_progress: Callable[[int, int, str, Report | None], None] | None = None) -> pd.DataFrame:
    """Each row is one rendered report (``notebook``, ``report``, ``html_path``, ``duration_s``,
    ``html_bytes``, ``standins``, ``headlines``); writes ``index.html`` beside them. A failing
    notebook stops the run.

    ``parameters`` override every run's values (and replace a notebook's own list of runs).
    ``on_progress(index, total, name, report)`` is called before each report (``report`` None) and
    after it (the ``Report``)."""
    try:
        engine.info()
    except EngineUnavailable as exc:
        raise ReportError("reports build real images, and no Docker Engine answers", hint=exc.hint) from exc
    planned = [(nb, name, params) for nb in notebooks
               for name, params in ([(Path(nb).stem, {})] if parameters else planned_runs(nb))]
    reports = []
    for index, (nb, name, params) in enumerate(planned, start=1):
        if on_progress is not None:
            on_progress(index, len(planned), name, None)
        done = render(nb, output_dir, parameters={**params, **dict(parameters or {})}, name=name)
        reports.append(done)
        if on_progress is not None:
            on_progress(index, len(planned), name, done)
    table = pd.DataFrame([{"notebook": Path(r.notebook).name, "report": Path(r.html_path).stem,
                           "html_path": r.html_path, "duration_s": round(r.duration_s, 1),
                           "html_bytes": r.html_bytes, "standins": ", ".join(r.standins),
                           "headlines": "; ".join(r.headlines)} for r in reports],
                         columns=["notebook", "report", "html_path", "duration_s", "html_bytes", "standins",
                                  "headlines"])
    write_index(output_dir)
    return table


def _theme_key(stem: str) -> str:
    """The notebook a report came from: ``10_stack--go-api`` → ``10_stack``."""
    return stem.split("--", 1)[0]


def _default_parameters(nb: Any) -> dict[str, Any]:
    """The literal values a notebook's ``parameters`` cell assigns (what a run without ``-p`` used)."""
    import ast

    for cell in nb.cells:
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            values: dict[str, Any] = {}
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                return {}
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    with contextlib.suppress(ValueError):
                        values[node.targets[0].id] = ast.literal_eval(node.value)
            return values
    return {}


def index_entries(output_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Each entry is one report in ``output_dir`` (an HTML file with its executed notebook under
    ``_executed/``): name, theme, stack, title, question, headlines, conclusions, stand-ins, run time."""
    import nbformat

    out = Path(output_dir)
    entries = []
    for executed in sorted((out / "_executed").glob("*.ipynb")):
        if not (out / f"{executed.stem}.html").is_file():
            continue
        nb = nbformat.read(executed, as_version=4)
        story = recorded_story(nb)
        papermill = nb.metadata.get("papermill") or {}
        params = {**_default_parameters(nb), **(papermill.get("parameters") or {})}
        bases = recorded_bases(nb)
        entries.append({
            "name": executed.stem, "href": f"{executed.stem}.html", "theme": _theme_key(executed.stem),
            "stack": str(params.get("sample_name") or ""), "parameters": dict(params),
            "title": story.title or _theme_key(executed.stem), "question": story.question,
            "headlines": list(story.headlines), "conclusions": list(story.conclusions),
            "claims": list(story.claims),
            "standins": [{"reference": ref, "recipe": b.get("recipe") or "stand-in"}
                         for ref, b in bases.items() if b.get("standin")],
            "upstream": [ref for ref, b in bases.items() if not b.get("standin")],
            "duration_s": papermill.get("duration"),
        })
    return entries


def _beyond(subject: str, stack: str) -> str:
    """What a headline's subject says beyond its stack: "node-express, rebuild after a source edit" → the rest."""
    return subject[len(stack):].lstrip(" ,:") if subject.startswith(stack) else subject


def write_index(output_dir: str | os.PathLike[str]) -> Path:
    """Write ``<output_dir>/index.html``, the front page of every report in the folder: a glance
    table (stack × theme, headline figures), then per theme its question and one card per stack
    with headlines, conclusion and the stand-ins it used. Self-contained, no scripts."""
    extras.require("report", "writing the reports' index")
    import jinja2
    from nbconvert.filters import markdown2html

    entries = index_entries(output_dir)
    themes: dict[str, dict[str, Any]] = {}
    for e in entries:
        e["conclusions_html"] = [markdown2html(text) for text in e["conclusions"]]
        e["took"] = human_seconds(e["duration_s"]) if e["duration_s"] is not None else ""
        question_html = re.sub(r"^<p>|</p>\s*$", "", markdown2html(e["question"]).strip())
        theme = themes.setdefault(e["theme"], {"key": e["theme"], "title": e["title"], "question": e["question"],
                                               "question_html": question_html, "reports": []})
        theme["reports"].append(e)
    # at a glance: stack x theme, only themes and stacks that recorded a headline
    glance_themes = [t for t in themes.values() if any(e["headlines"] for e in t["reports"])]
    for t in glance_themes:
        t["short"] = re.split(r"(?<=\?)\s|:\s", t["title"], maxsplit=1)[0]
    glance = []
    for stack in dict.fromkeys(e["stack"] for e in entries if e["stack"]):
        cells = [next(({"href": e["href"], "headline": e["headlines"][0],
                        "what": _beyond(str(e["headlines"][0].get("subject", "")), stack)}
                       for e in t["reports"] if e["stack"] == stack and e["headlines"]), None)
                 for t in glance_themes]
        if any(cells):
            glance.append({"stack": stack, "cells": cells})
    standins: dict[str, str] = {}
    for e in entries:
        standins.update({s["reference"]: s["recipe"] for s in e["standins"]})
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATE_DIR)), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    page = env.get_template("landing.html.j2").render(
        themes=list(themes.values()), glance_themes=glance_themes, glance=glance, standins=standins, count=len(entries),
        made=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))
    path = Path(output_dir) / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
