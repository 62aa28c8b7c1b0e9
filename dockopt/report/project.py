"""Reports on any project or image: the template notebooks shipped in the package (``templates/``),
executed with their parameters into one offline HTML file each, plus the small pieces those
templates show (the project's settings, layers with their Dockerfile lines, a computed conclusion).

- ``render_project(path)``: ``dockopt report --project PATH`` (build, layers, where the bytes went,
  cache scenarios, base comparison, findings; with ``optimise=True``, ``--optimise``, the proposal of
  ``dockopt optimise``: its ladder, before and after, the diff, both images side by side, ``report.proposal``);
- ``render_image(ref_or_archive)``: ``dockopt report --image`` (no build: layers, bytes, findings);
- ``lab_notebook(path, directory)``: ``dockopt lab`` writes a parameterised copy of the project
  template for the user to run and change, with the explorer open on the project's image and on the
  proposal of ``dockopt optimise`` (run from the notebook: ``optimise`` and ``explorer`` parameters).

Nothing is written outside the output folder; the user's project is read, never changed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import engine, extras
from ..errors import ContextNotFound, EngineUnavailable, ImageNotFound, ReportError
from ..project import Project, slug
from .partial import Attempts, Missing
from .render import Report, execute, to_html

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import plotly.graph_objects as go

TEMPLATES = Path(__file__).resolve().parent / "templates"
PROJECT_TEMPLATE = TEMPLATES / "project.ipynb"
IMAGE_TEMPLATE = TEMPLATES / "image.ipynb"
DEFAULT_OUTPUT = "dockopt-report"
DEFAULT_LAB_DIR = "dockopt-notebooks"


# --- rendering ------------------------------------------------------------------------------------------


def _engine_or_error() -> None:
    try:
        engine.info()
    except EngineUnavailable as exc:
        raise ReportError("this report builds and reads images, and no Docker Engine answers", hint=exc.hint) from exc


def _render(template: Path, name: str, title: str, parameters: Mapping[str, Any], output_dir: str | os.PathLike[str],
            no_input: bool, timeout_s: int) -> Report:
    out = Path(output_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    executed = out / "_executed" / f"{name}.ipynb"
    started = time.monotonic()
    nb = execute(template, executed, parameters=parameters, timeout_s=timeout_s, cwd=out)
    nb.metadata["title"] = title
    html_path = out / f"{name}.html"
    size, standins = to_html(nb, html_path, no_input=no_input)
    return Report(notebook=str(template), html_path=str(html_path), executed_path=str(executed),
                  duration_s=time.monotonic() - started, standins=standins, html_bytes=size)


def project_parameters(path: str | os.PathLike[str], *, dockerfile: str | None = None,
                       target: str | None = None, optimise: bool = False, explorer: bool = False) -> dict[str, Any]:
    """The template's parameters for the project in ``path`` (which must be a folder; everything else is
    the report's to say, so a broken Dockerfile still gives a report that says so). ``optimise``: add the
    proposal of ``dockopt optimise``; ``explorer``: open the explorer on the image (a notebook for JupyterLab)."""
    folder = Path(path).expanduser()
    if folder.is_file() and dockerfile is None:
        folder, dockerfile = folder.parent, str(folder.resolve())
    if not folder.is_dir():
        raise ContextNotFound(f"project {str(path)!r} is not a folder",
                              hint="pass the folder that holds the Dockerfile and the app's sources")
    return {"project_path": str(folder.resolve()), "dockerfile": dockerfile, "target": target, "optimise": optimise,
            "explorer": explorer}


def render_project(path: str | os.PathLike[str], *, dockerfile: str | None = None, target: str | None = None,
                   output_dir: str | os.PathLike[str] = DEFAULT_OUTPUT, no_input: bool = False,
                   timeout_s: int = 3600, optimise: bool = False) -> Report:
    """Render the project template for the project in ``path`` into ``<output_dir>/<project>.html``
    (the executed notebook beside it, under ``_executed/``). What cannot be measured is a note in
    the report, not an error; a missing folder or no engine is an error.

    ``optimise``: add the proposal of ``dockopt optimise`` (``report.proposal``: the ladder, before and
    after, the Dockerfile's diff, both images side by side). Off by default: the climb builds, starts and
    rebuilds each rung and each candidate runtime base, ten to fifteen builds that more than double the
    report's time, while a report is asked for far more often than a proposal."""
    params = project_parameters(path, dockerfile=dockerfile, target=target, optimise=optimise)
    _engine_or_error()
    name = slug(Path(params["project_path"]).name)
    return _render(PROJECT_TEMPLATE, name, f"dockopt report: {Path(params['project_path']).name}", params,
                   output_dir, no_input, timeout_s)


def render_image(image: str | os.PathLike[str], *, output_dir: str | os.PathLike[str] = DEFAULT_OUTPUT,
                 no_input: bool = False, timeout_s: int = 1800) -> Report:
    """Render the image template for an image (a reference in the engine, or an archive: ``docker
    save``, OCI layout) into ``<output_dir>/<image>.html``; nothing is built."""
    text = os.fspath(image)
    path = Path(text).expanduser()
    if path.exists():
        text = str(path.resolve())
        name = slug(path.name.split(".")[0] or "image")
    else:
        _engine_or_error()
        if engine.find_image(text) is None:
            raise ImageNotFound(f"no image {text!r} in the engine and no such archive",
                                hint="give an image reference (`docker images`) or the path of a `docker save` tar")
        name = slug(text.replace("/", "-").replace(":", "-"))
    return _render(IMAGE_TEMPLATE, name, f"dockopt report: {Path(text).name if path.exists() else text}",
                   {"image": text}, output_dir, no_input, timeout_s)


def lab_notebook(path: str | os.PathLike[str], directory: str | os.PathLike[str] = DEFAULT_LAB_DIR, *,
                 dockerfile: str | None = None, target: str | None = None) -> tuple[Path, bool]:
    """Write a copy of the project template with the project's parameters into ``directory``
    (``<project>.ipynb``); returns (its path, whether it was written now). An existing copy is kept as
    it is (the user may have changed it), never overwritten.

    The copy opens the explorer on the project's image and, once ``dockopt.optimise`` has run in it, on the
    original and the proposal side by side (parameters ``explorer = True``, ``optimise = True``; set
    ``optimise = False`` in its parameters cell to skip the climb's builds)."""
    extras.require("report", "writing a project notebook")
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    params = project_parameters(path, dockerfile=dockerfile, target=target, optimise=True, explorer=True)
    folder = Path(directory).expanduser().resolve()
    notebook = folder / f"{slug(Path(params['project_path']).name)}.ipynb"
    if notebook.exists():
        return notebook, False
    folder.mkdir(parents=True, exist_ok=True)
    # papermill's loader gives every cell the tags list its parameterizer looks for
    nb = parameterize_notebook(load_notebook_node(str(PROJECT_TEMPLATE)), params)
    nbformat.write(nb, notebook)
    return notebook, True


# --- what the templates show ------------------------------------------------------------------------------


def project_header(p: Project) -> pd.DataFrame:
    """Show (in a notebook) a heading for the project and return its settings (``Project.summary``)."""
    from IPython.display import Markdown, display

    readiness = p.service().readiness
    display(Markdown(f"# {p.name}\n\n`{p.relative(p.dockerfile)}`"
                     + (f", target `{p.target}`" if p.target else "")
                     + f" in `{p.context}`; stack: **{p.stack or 'unknown'}**; ready when: {readiness}. "
                     "Each setting below says where it came from (given, the folder's dockopt.toml, or detected "
                     "from the files and the Dockerfile)."))
    return p.summary()


def project_layers(p: Project, image: str, *, dockerfile: str | os.PathLike[str] | None = None,
                   target: str | None = None) -> pd.DataFrame:
    """Each row is one history entry of ``image`` (``dockopt.layers`` columns) with ``stage`` ("base" for the
    base image's entries), ``dockerfile_line`` (where the instruction that made it starts in the project's
    Dockerfile) and ``dockerfile_instruction`` (as written there). The analysis' own alignment of history
    with instructions (``analysis.attribute_layers``), so every table, chart and report names the same line."""
    from ..analysis import attribute_layers
    from ..image import layers

    table = layers(image)
    parsed = p.parsed(dockerfile)
    attributed = attribute_layers(table, (parsed, target if dockerfile is not None else p.target))
    return table.assign(stage=attributed["stage"].to_numpy(), dockerfile_line=attributed["line"].array,
                        dockerfile_instruction=attributed["dockerfile_instruction"].to_numpy())


def layer_label(line: Any, stage: Any, instruction: Any) -> str:
    """How a layer is named in a chart: ``line 7: RUN npm ci``, ``(base) ...`` for the base image's."""
    import pandas as pd

    text = instruction or ""
    if stage == "base":
        return f"(base) {text}".rstrip()
    return f"line {int(line)}: {text}" if line is not None and not pd.isna(line) else str(text)


def layer_chart(layers: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """``plots.layer_sizes`` with each bar labelled by its Dockerfile line (``project_layers``)."""
    import pandas as pd

    from ..plots import layer_sizes

    # a table from before ``stage`` was a column: a layer without a line was the base's
    stages = (layers["stage"] if "stage" in layers.columns
              else ["base" if pd.isna(n) else None for n in layers["dockerfile_line"]])
    written = (layers["dockerfile_instruction"] if "dockerfile_instruction" in layers.columns
               else [None] * len(layers))
    labelled = [layer_label(n, s, w or i) for n, s, w, i in
                zip(layers["dockerfile_line"], stages, written, layers["instruction"])]
    return layer_sizes(layers.assign(instruction=labelled), title=title)


def shown(table: pd.DataFrame, empty: str) -> Any:
    """``table``, or (when it has no rows) ``empty`` as Markdown: "no findings" reads better than headers alone."""
    from IPython.display import Markdown

    return table if len(table) else Markdown(f"*{empty}*")


def image_layers(analysis: Any) -> pd.DataFrame:
    """Each row is one filesystem layer of an analysed image (``AnalysisReport``), with the columns
    ``plots.layer_sizes`` draws (works for archives too: no engine history needed)."""
    return analysis.contents.layers.assign(empty=False)


def _n(value: Any) -> str:
    from ..units import human_bytes

    return human_bytes(None if value is None else int(value))


def project_conclusion(p: Project | Missing, measured: Attempts, *, build: Any = None, analysis: Any = None,
                       cache: Any = None, bases: Any = None, proposal: Any = None) -> str:
    """The report's conclusion in Markdown, computed from whatever was measured; what was not is listed.
    ``proposal``: what ``dockopt.optimise`` proposed, when the report asked for it."""
    from ..units import human_seconds
    from .proposal import proposal_conclusion

    parts: list[str] = []
    if build and analysis:
        parts.append(f"The image is **{_n(build.size_bytes)}**; dive's efficiency {analysis.dive.efficiency:.1%}, "
                     f"**{_n(analysis.reclaimable_bytes)}** shipped although later layers hide it, "
                     f"{len(analysis.package_rows)} packages, {len(analysis.secret_rows)} secret finding(s).")
    if cache:
        runs = cache.runs[cache.runs["skipped"].isna()]
        by = dict(zip(runs["scenario"], runs.itertuples()))
        if "cold" in by and "source edit" in by:
            edit = by["source edit"]
            reran = (f"re-running {edit.steps_executed} step(s) from `{edit.first_executed}`"
                     if edit.steps_executed else "every step from the cache")
            parts.append(f"A one-line source edit ({edit.changed_files}) rebuilt in "
                         f"**{human_seconds(edit.wall_s)}** against {human_seconds(by['cold'].wall_s)} cold, "
                         f"{reran}.")
        if "dependency change" in by:
            dep = by["dependency change"]
            parts.append(f"Changing the dependency manifest ({dep.changed_files}) cost "
                         f"**{human_seconds(dep.wall_s)}**, re-running {dep.steps_executed} step(s)"
                         + (f" from `{dep.first_executed}`." if dep.steps_executed else "."))
        for row in cache.skipped.itertuples():
            parts.append(f"Not run: {row.scenario} ({row.skipped}).")
    if bases is not None and not isinstance(bases, Missing) and len(bases):
        built = bases[bases["skipped"].isna() & bases["size_bytes"].notna()]
        if len(built):
            smallest = built.sort_values("compressed_bytes" if built["compressed_bytes"].notna().all()
                                         else "size_bytes").iloc[0]
            current = built[built["current"].eq(True)]
            line = (f"Of {len(built)} runtime base(s) built, **{smallest.base}** ({smallest.base_image}) ships the "
                    f"least: {_n(smallest.size_bytes)}, {_n(smallest.compressed_bytes)} compressed")
            if len(current) and current.iloc[0].base != smallest.base:
                line += f", against {_n(current.iloc[0].size_bytes)} on the current base"
            healthy = built[built["healthy"].eq(True)]
            parts.append(line + f"; {len(healthy)} of {len(built)} started and became ready.")
    proposed = proposal_conclusion(proposal)
    if proposed:
        parts.append(proposed)
    if not parts:
        parts.append("Nothing could be measured for this project.")
    return "\n\n".join(parts) + "\n\n" + measured.summary()


def image_bases(analysis: Any) -> tuple[str, ...]:
    """The base an analysed image says it was built on, when its labels tell (dockopt's stand-ins label
    themselves, and images built FROM them inherit the labels): for the report's stand-in banner."""
    from ..naming import LABEL_STANDIN_FOR

    labels = analysis.contents.image_config.get("Labels") or {}
    ref = labels.get(LABEL_STANDIN_FOR)
    return (ref,) if ref else ()


def image_conclusion(analysis: Any, measured: Attempts, *, compressed: Any = None) -> str:
    """The image report's conclusion in Markdown, computed from what was measured."""
    parts: list[str] = []
    if analysis:
        surf = analysis.surface
        parts.append(f"The image is **{_n(analysis.size_bytes)}** in {len(analysis.contents.layer_info)} layers; "
                     f"dive's efficiency {analysis.dive.efficiency:.1%}, **{_n(analysis.reclaimable_bytes)}** shipped "
                     f"although later layers hide it; {len(analysis.package_rows)} packages, "
                     f"{len(analysis.secret_rows)} secret finding(s)."
                     + (f" Shell: {', '.join(surf.shells) or 'none'}; runs as root: "
                        f"{'yes' if surf.runs_as_root else 'no'}; setuid files: {len(surf.setuid_files)}."
                        if surf is not None else ""))
    if compressed:
        parts.append(f"A registry would store **{_n(compressed.total_bytes)}** (gzip, {compressed.ratio:.0%} of the "
                     f"layer tars).")
    if not parts:
        parts.append("Nothing could be measured for this image.")
    return "\n\n".join(parts) + "\n\n" + measured.summary()
