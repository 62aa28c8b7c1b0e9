"""``dockopt.explore``: dive's view of an image in JupyterLab, with the Dockerfile line of each layer
and a diff against a second image.

Layers (one row each, the base image's folded into one row; a bar chart beside them), the selected
layer's files (a lazily opened tree, this layer's changes or the image as it stands at this layer,
with filters), the Dockerfile with that layer's instruction highlighted, and a comparison with a
local image or an archive. Every answer comes from ``ExplorerModel`` (plain Python); the widgets
only draw it. In a report (no kernel) the explorer is replaced by its static twin
(``dockopt.report.twin``).
"""

from __future__ import annotations

import contextlib
import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import ipywidgets as w

from .. import naming, settings
from ..errors import DockoptError, WidgetError
from ..units import human_bytes
from .model import Filters, LayerRow, TreeRow, common_prefix
from .treetable import TreeTable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..analysis_report import AnalysisReport
    from ..dockerfile import Dockerfile
    from ..optimise import Proposal
    from .model import ExplorerModel

MIN_SIZES = (("any size", 0), ("≥ 1 kB", 1_000), ("≥ 100 kB", 100_000), ("≥ 1 MB", 1_000_000),
             ("≥ 10 MB", 10_000_000))
CHART_WIDTH = 460
DOCKERFILE_CONTEXT = 12  # lines shown above and below the selected layer's instruction
_CHANGE_MARK = {"added": "+ added", "modified": "~ modified", "deleted": "− removed", "opaque": "⊘ opaque dir",
                "removed": "− removed", "changed": "~ changed"}
_LAYER_COLUMNS = [{"key": "layer", "label": "layer"}, {"key": "line", "label": "line", "align": "right"},
                  {"key": "stage", "label": "stage"}, {"key": "size", "label": "size", "align": "right"},
                  {"key": "added", "label": "added", "align": "right"},
                  {"key": "modified", "label": "modified", "align": "right"},
                  {"key": "removed", "label": "removed", "align": "right"},
                  {"key": "wasted", "label": "wasted (dive)", "align": "right"},
                  {"key": "reclaimable", "label": "reclaimable", "align": "right"},
                  {"key": "instruction", "label": "instruction"}]
_FILE_COLUMNS = [{"key": "name", "label": "path"}, {"key": "size", "label": "size", "align": "right"},
                 {"key": "files", "label": "files", "align": "right"}, {"key": "change", "label": "change"},
                 {"key": "kind", "label": "kind / link"}, {"key": "wasted", "label": "wasted"}]
_DIFF_COLUMNS = [{"key": "name", "label": "path"}, {"key": "size", "label": "size change", "align": "right"},
                 {"key": "files", "label": "files", "align": "right"}, {"key": "change", "label": "change"}]


def report_mode() -> bool:
    """Whether this kernel renders a report (``report.execute`` says so): outputs then carry their static twin."""

    return settings.in_report()


# --- where an image came from ---------------------------------------------------------------------


def _analysis(source: Any) -> tuple[AnalysisReport, Any]:
    """(analysis, the BuildResult it came from or None) for a report, a build result, a reference or an archive."""
    from ..analysis_report import AnalysisReport, analyze_report
    from ..build import BuildResult

    if isinstance(source, AnalysisReport):
        return source, None
    if isinstance(source, BuildResult):
        return analyze_report(source.ref, build=source, scanners=False), source
    return analyze_report(source, scanners=False), None


def _sample_dockerfile(labels: Mapping[str, str]) -> tuple[Path, str | None, dict[str, str]] | None:
    """The Dockerfile, target and build args of a sample image, from the labels dockopt gave it."""
    from .. import samples

    name, variant = labels.get(naming.LABEL_SAMPLE), labels.get(naming.LABEL_VARIANT)
    if not name or not variant:
        return None
    try:
        req = samples.build_request(name, variant, labels.get(naming.LABEL_BASE) or None)
        sample = samples.load(name)
        return sample.root / req.dockerfile, req.target, dict(req.build_args)
    except DockoptError:
        return None


def _base_layers(report: AnalysisReport, base_ref: str | None, lowest_matched: int | None) -> int:
    """How many of the image's lowest layers are its base image's: the layers it shares with the
    base image in the engine (exact), else those below the first layer the Dockerfile made."""
    from .. import engine
    from ..dockerfile import SCRATCH

    if base_ref == SCRATCH:
        return 0
    if base_ref:
        try:
            base = engine.find_image(base_ref)
        except DockoptError:
            base = None
        if base is not None:
            return common_prefix([info.digest for info in report.contents.layer_info], base.layers)
    return lowest_matched or 0


def build_model(source: Any, dockerfile: str | os.PathLike[str] | Dockerfile | None = None, *,
                target: str | None = None, build_args: Mapping[str, str] | None = None) -> ExplorerModel:
    """The explorer's data for ``source`` (see ``explore``), without widgets."""
    from ..dockerfile import Dockerfile, parse
    from .model import ExplorerModel

    report, result = _analysis(source)
    df: Dockerfile | None = None
    args = dict(build_args or {})
    if isinstance(dockerfile, Dockerfile):
        df = dockerfile
    else:
        path: Path | None = Path(dockerfile) if dockerfile is not None else None
        if path is None and result is not None:
            path = Path(result.context) / result.dockerfile
            target = target or result.target
        if path is None:
            found = _sample_dockerfile(report.contents.image_config.get("Labels") or {})
            if found is not None:
                path, found_target, found_args = found
                target = target or found_target
                args = {**found_args, **args}
        if path is not None:
            df = parse(path, build_args=args)
    lines: list[Any] = []
    base_ref = None
    lowest = None
    if df is not None:
        # the one alignment of history with instructions (tables, charts, report and explorer share it)
        from ..analysis import layer_instructions

        lines = layer_instructions(report.contents, df, target)
        lowest = next((i for i, ins in enumerate(lines) if ins is not None), None)
        base_ref = df.chain(target)[0].base
    base_layers = _base_layers(report, base_ref, lowest)
    return ExplorerModel(report=report, dockerfile=df, target=target, base_layers=base_layers, base_ref=base_ref,
                         lines=lines)


@overload
def explore(image_or_archive_or_report: Proposal, dockerfile: None = None, *, compare: None = None,
            target: str | None = None, build_args: Mapping[str, str] | None = None,
            original: Any = None) -> ProposalExplorer: ...


@overload
def explore(image_or_archive_or_report: Any, dockerfile: str | os.PathLike[str] | Dockerfile | None = None, *,
            compare: str | os.PathLike[str] | None = None, target: str | None = None,
            build_args: Mapping[str, str] | None = None) -> Explorer: ...


def explore(image_or_archive_or_report: Any, dockerfile: str | os.PathLike[str] | Dockerfile | None = None, *,
            compare: str | os.PathLike[str] | None = None, target: str | None = None,
            build_args: Mapping[str, str] | None = None, original: Any = None) -> Explorer | ProposalExplorer:
    """An explorer for one image: an ipywidgets application (display it, or leave it last in a cell).

    ``image_or_archive_or_report``: an image reference in the engine, an archive path (docker save,
    OCI), an ``AnalysisReport`` (``dockopt.analyze_report``) or a ``BuildResult``. ``dockerfile``: the
    Dockerfile that built it (found by itself for dockopt's sample images and build results), with
    ``target`` and ``build_args`` as built. ``compare``: an image or archive to diff against at once.

    Given a ``Proposal`` (``dockopt.optimise``): the original image and the proposal's side by side, with
    the files that differ and the Dockerfile's diff (``explore_proposal``; ``original``: the project's image).
    """
    from ..optimise import Proposal

    if isinstance(image_or_archive_or_report, Proposal):
        if dockerfile is not None or compare is not None:
            raise WidgetError("a proposal's explorer knows both Dockerfiles and compares the two images itself",
                              hint="dockopt.explore(proposal, original=IMAGE): give only the original image")
        return explore_proposal(image_or_archive_or_report, original, target=target, build_args=build_args)
    model = build_model(image_or_archive_or_report, dockerfile, target=target, build_args=build_args)
    return Explorer(model, compare=compare)


def explore_proposal(proposal: Proposal, original: Any = None, *, target: str | None = None,
                     build_args: Mapping[str, str] | None = None) -> ProposalExplorer:
    """The original image and the proposal's, side by side (``ProposalExplorer``).

    ``proposal``: what ``dockopt.optimise`` returned (its ``image``, the final rung's, is read; an image
    reference or an archive). ``original``: the project's image as the original Dockerfile builds it (a
    reference, an archive, an ``AnalysisReport`` or a ``BuildResult``, e.g. the report's ``build``); by
    default the ladder's first rung, which is there only when ``optimise(..., keep_images=True)`` kept it.
    ``target`` and ``build_args``: how the original was built (to name each layer's line).
    """
    from ..analysis import diff
    from ..build import BuildResult
    from ..dockerfile import parse

    if proposal.image is None:
        raise WidgetError(f"{proposal.project}: the proposal has no image to read",
                          hint="run dockopt.optimise(project) again: it keeps the final rung's image")
    if original is None:
        original = _kept_original(proposal)
    if isinstance(original, BuildResult):
        before = build_model(original)
    else:
        before = build_model(original, parse(proposal.original_path, text=proposal.original,
                                             build_args=build_args), target=target, build_args=build_args)
    proposed_df = parse(proposal.original_path.with_name(proposal.original_path.name + " (proposed)"),
                        text=proposal.dockerfile, build_args=build_args)
    after = build_model(proposal.image, proposed_df)
    changes = diff(before.report.contents, after.report.contents)
    return ProposalExplorer(proposal, before, after, changes)


def _kept_original(proposal: Proposal) -> str:
    """The ladder's original image, when the engine still has it."""
    from .. import engine

    ref = proposal.baseline.get("image")
    found = None
    if isinstance(ref, str) and ref:
        with contextlib.suppress(DockoptError):
            found = engine.find_image(ref)
    if found is None:
        raise WidgetError(f"{proposal.project}: the original image of the climb is gone (optimise removes the "
                          "images of its rungs but the last)",
                          hint="pass original= (the project's image: its reference, or dockopt.build(project)), "
                               "or climb with dockopt.optimise(project, keep_images=True)")
    return str(ref)


# --- the application ----------------------------------------------------------------------------


def _layer_cells(row: LayerRow) -> dict[str, str]:
    return {"layer": str(row.layer), "line": str(row.line) if row.line else "", "stage": row.stage or "",
            "size": human_bytes(row.size_bytes), "added": str(row.files_added or ""),
            "modified": str(row.files_modified or ""), "removed": str(row.files_removed or ""),
            "wasted": human_bytes(row.wasted_bytes) if row.wasted_bytes else "",
            "reclaimable": human_bytes(row.reclaimable_bytes) if row.reclaimable_bytes else "",
            "instruction": row.instruction[:160]}


def _file_row(row: TreeRow, *, diff: bool = False) -> dict[str, Any]:
    if row.more:
        return {"id": row.path, "depth": row.depth, "cls": "more", "cells": {"name": row.name}}
    size = ("+" if diff and row.size_bytes > 0 else "") + human_bytes(row.size_bytes) if diff else \
        human_bytes(row.size_bytes)
    kind = row.kind if row.kind not in ("file", "dir") else ""
    if row.link:
        kind = f"{'→' if row.kind == 'symlink' else '⇒'} {row.link}"
    change = _CHANGE_MARK.get(row.change, row.change)
    return {"id": row.path, "depth": row.depth, "expandable": row.is_dir, "expanded": row.expanded,
            "title": row.path,
            "cells": {"name": row.name + ("/" if row.is_dir else ""), "size": size,
                      "files": str(row.files) if row.is_dir else "", "change": change, "kind": kind,
                      "wasted": "⚠ wasted" if row.wasted else ""},
            "cell_cls": {"change": row.change, "wasted": "wasted" if row.wasted else ""}}


class Explorer(w.VBox):
    """The explorer application. ``select(layer)``, ``set_filters(...)``, ``compare_with(image)``
    do what clicking does; ``model`` holds the data."""

    def __init__(self, model: ExplorerModel, *, compare: str | os.PathLike[str] | None = None,
                 compact: bool = False) -> None:
        from ..plots.explorer import explorer_layers

        self.model = model
        self.layer = len(model.layers) - 1 if model.layers else 0
        self.mode = "changes"
        self.filters = Filters()
        self._base_open = False
        self._expanded: set[str] = set()
        self._collapsed: set[str] = set()
        self._diff: Any = None
        self._diff_expanded: set[str] = set()

        d = model.report.dive
        n_files = sum(1 for v, k in zip(model.table.visible, model.table.kind) if v and k == 0)
        self.header = w.HTML(
            f"<b>{html.escape(model.name)}</b>: {human_bytes(d.size_bytes)} in {len(model.layers)} layers, "
            f"{n_files} files &middot; efficiency {d.efficiency:.2%} &middot; wasted (dive) "
            f"{human_bytes(d.wasted_bytes)} &middot; reclaimable {human_bytes(model.report.reclaimable_bytes)}")
        # half a page (compact) shows no more than the first columns without scrolling: the instruction goes third
        columns = _LAYER_COLUMNS if not compact else sorted(
            _LAYER_COLUMNS, key=lambda c: {"layer": 0, "size": 1, "instruction": 2}.get(c["key"], 3))
        self.layers_table = TreeTable("layers", columns, height="300px")
        self.layers_table.on_click(self._layer_clicked)
        self.chart = _figure_widget(explorer_layers(model.layers_df, selected=self.layer))
        if self.chart is not None and self.chart.data:
            self.chart.data[0].on_click(self._bar_clicked)
        self.mode_buttons = w.ToggleButtons(options=[("this layer's changes", "changes"),
                                                     ("image at this layer", "image")], value="changes",
                                            style={"button_width": "150px"})
        self.path_filter = w.Text(placeholder="path contains…", description="filter",
                                  layout=w.Layout(width="260px"))
        self.min_size = w.Dropdown(options=MIN_SIZES, value=0, description="size", layout=w.Layout(width="170px"))
        self.only_wasted = w.Checkbox(description="only wasted", indent=False, layout=w.Layout(width="110px"))
        self.only_changes = w.Checkbox(description="only changes", indent=False, layout=w.Layout(width="120px"))
        self.sort = w.Dropdown(options=[("largest first", "size"), ("by name", "name")], value="size",
                               description="sort", layout=w.Layout(width="220px"))
        for control in (self.mode_buttons, self.path_filter, self.min_size, self.only_wasted, self.only_changes,
                        self.sort):
            control.observe(self._filters_changed, names="value")
        self.files_table = TreeTable("files", _FILE_COLUMNS, height="420px")
        self.files_table.on_click(self._file_clicked)
        self.files_status = w.HTML()
        self.dockerfile_pane = w.HTML(layout=w.Layout(max_height="460px", overflow="auto", width="100%", min_width="0"))
        self.compare_images = w.Dropdown(options=_local_images(model.name), value=None, description="image",
                                         layout=w.Layout(width="420px"))
        self.compare_images.observe(lambda change: self._compare_quietly(change["new"]), names="value")
        self.compare_path = w.Text(placeholder="or an archive path (docker save, OCI)",
                                   layout=w.Layout(width="360px"))
        self.compare_button = w.Button(description="compare archive")
        self.compare_button.on_click(lambda _: self._compare_quietly(self.compare_path.value))
        self.compare_status = w.HTML()
        self.diff_table = TreeTable("diff", _DIFF_COLUMNS, height="320px")
        self.diff_table.on_click(self._diff_clicked)

        # the chart gets a fixed width: plotly sizes a figure once, from its box's width at first draw;
        # compact (half a page, ``ProposalExplorer``): the chart below the table, the Dockerfile below the files
        stack = w.VBox if compact else w.HBox

        def part(flex: str) -> w.Layout:
            # side by side the parts share the row's width; stacked (compact) a flex basis of 0 would be a
            # height of 0 (the tables vanished in JupyterLab): each part keeps its own height and the full width
            return w.Layout(flex="0 0 auto", width="100%", min_width="0") if compact else \
                w.Layout(flex=flex, min_width="0")

        top = stack([w.Box([self.layers_table], layout=part("1 1 0")),
                     w.Box([self.chart] if self.chart is not None else [],
                           layout=w.Layout(flex="0 0 auto", width=f"{CHART_WIDTH}px", max_width="100%",
                                           overflow="hidden"))])
        controls = w.HBox([self.mode_buttons, self.path_filter, self.min_size, self.only_wasted, self.only_changes,
                           self.sort], layout=w.Layout(flex_flow="row wrap", align_items="center"))
        middle = stack([w.VBox([self.files_table, self.files_status], layout=part("3 1 0")),
                        w.VBox([w.HTML("<b>Dockerfile</b>"), self.dockerfile_pane], layout=part("2 1 0"))])
        self.compare_title = w.HTML("<b>Compare with another image</b>")
        self.compare_box = w.VBox([self.compare_title,
                                   w.HBox([self.compare_images, self.compare_path, self.compare_button],
                                          layout=w.Layout(flex_flow="row wrap")),
                                   self.compare_status, self.diff_table])
        super().__init__([self.header, top, w.HTML("<b>Files</b>"), controls, middle, self.compare_box])
        self.add_class("dockopt-explorer")
        self._draw_layers()
        self.select(self.layer)
        if compare is not None:
            if str(compare) in {value for _, value in self.compare_images.options}:
                self.compare_images.value = str(compare)  # the dropdown's observer compares
            else:
                self.compare_path.value = str(compare)
                self.compare_with(str(compare))

    # --- layers ---------------------------------------------------------------------------------

    def _draw_layers(self) -> None:
        rows = []
        layers = self.model.layers
        base = [r for r in layers if r.base]
        if base:
            total = {k: sum(getattr(r, k) for r in base) for k in ("size_bytes", "files_added", "files_modified",
                                                                   "files_removed", "wasted_bytes",
                                                                   "reclaimable_bytes")}
            ref = self.model.base_ref or "base image"
            group = LayerRow(layer=-1, instruction=f"base: {ref}, {len(base)} layers", line=None, stage="base",
                             base=True, **total)
            cells = _layer_cells(group)
            cells["layer"] = f"0–{len(base) - 1}" if len(base) > 1 else "0"
            rows.append({"id": "base", "depth": 0, "expandable": True, "expanded": self._base_open,
                         "cls": "group base", "cells": cells, "title": "the base image's layers: click to open"})
        for r in layers:
            if r.base and not self._base_open:
                continue
            rows.append({"id": f"L{r.layer}", "depth": 1 if r.base else 0, "cls": "base" if r.base else "",
                         "cells": _layer_cells(r), "title": r.instruction})
        self.layers_table.rows = rows

    def _layer_clicked(self, row_id: str, twisty: bool) -> None:
        if row_id == "base":
            self._base_open = not self._base_open
            self._draw_layers()
        elif row_id.startswith("L"):
            self.select(int(row_id[1:]))

    def _bar_clicked(self, trace: Any, points: Any, state: Any) -> None:
        if points.point_inds:
            self.select(int(self.model.layers[points.point_inds[0]].layer))

    def select(self, layer: int) -> None:
        """Show ``layer`` (its row, bar, files and Dockerfile line)."""
        if not 0 <= layer < len(self.model.layers):
            raise WidgetError(f"{self.model.name} has no layer {layer}",
                              hint=f"layers are numbered 0..{len(self.model.layers) - 1}")
        self.layer = layer
        if self.model.layers[layer].base and not self._base_open:
            self._base_open = True
            self._draw_layers()
        self.layers_table.selected = f"L{layer}"
        if self.chart is not None and self.chart.data:
            from ..plots.explorer import layer_colours

            self.chart.data[0].marker.color = layer_colours(self.model.layers_df, layer)
        self._expanded = self.model.first_expanded(layer, self.mode, self.filters.sort)
        self._collapsed = set()
        self._draw_files()
        self._draw_dockerfile()

    # --- files ----------------------------------------------------------------------------------

    def set_filters(self, **changes: Any) -> None:
        """Change the file view's filters (``path``, ``min_size_bytes``, ``only_wasted``,
        ``only_changes``, ``sort``) or ``mode`` as the controls do."""
        controls = {"path": self.path_filter, "min_size_bytes": self.min_size, "only_wasted": self.only_wasted,
                    "only_changes": self.only_changes, "sort": self.sort, "mode": self.mode_buttons}
        with self.hold_trait_notifications():
            for key, value in changes.items():
                controls[key].value = value

    def _filters_changed(self, change: Any) -> None:
        mode = self.mode_buttons.value
        self.filters = Filters(path=self.path_filter.value, min_size_bytes=int(self.min_size.value or 0),
                               only_wasted=self.only_wasted.value, only_changes=self.only_changes.value,
                               sort=self.sort.value)
        self._collapsed = set()
        if mode != self.mode:
            self.mode = mode
            self._expanded = self.model.first_expanded(self.layer, mode, self.filters.sort)
        self._draw_files()

    def _draw_files(self) -> None:
        view = self.model.view(self.layer, self.mode)
        rows = self.model.tree_rows(self.layer, self.mode, self._expanded, self.filters, collapsed=self._collapsed)
        self.files_table.rows = [_file_row(r) for r in rows]
        what = "changes of layer" if self.mode == "changes" else "image as it stands at layer"
        shown = sum(1 for r in rows if not r.more)
        narrowed = " matching the filters" if self.filters.narrowing else ""
        self.files_status.value = (f"<small>{what} {self.layer}: {len(view.rows)} entries; {shown} rows shown"
                                   f"{narrowed} (folders open on click; at most a few hundred rows at once)</small>")

    def _file_clicked(self, path: str, twisty: bool) -> None:
        view = self.model.view(self.layer, self.mode)
        if path in view.tree.is_dir:
            if self.filters.narrowing:
                self._collapsed ^= {path}
            else:
                self._expanded ^= {path}
            self._draw_files()
        self.files_table.selected = path

    # --- Dockerfile -------------------------------------------------------------------------------

    def _draw_dockerfile(self) -> None:
        df = self.model.dockerfile
        row = self.model.layers[self.layer]
        if df is None:
            self.dockerfile_pane.value = ("<i>No Dockerfile known for this image: pass "
                                          "<code>dockerfile=</code> to <code>dockopt.explore</code>.</i>")
            return
        ins = self.model.lines[self.layer] if self.layer < len(self.model.lines) else None
        if ins is None and row.base:  # a base layer: point at the FROM that brought the base image in
            ins = df.chain(self.model.target)[0].instructions[0]
        lo, hi = (ins.line_start, ins.line_end) if ins is not None else (0, -1)
        lines = df.text.splitlines()
        # an HTML pane cannot scroll itself: show the lines around the instruction, say what is left out
        first = max(1, lo - DOCKERFILE_CONTEXT) if ins is not None else 1
        last = min(len(lines), max(hi, first + 2 * DOCKERFILE_CONTEXT)) if ins is not None else len(lines)
        out = [f"<span style='color:#999'>    … lines 1–{first - 1} above</span>"] if first > 1 else []
        for n in range(first, last + 1):
            text = lines[n - 1]
            style = " style='background:#fff3c4;font-weight:600'" if lo <= n <= hi else ""
            mark = " class='dockopt-current'" if n == lo else ""
            out.append(f"<span{style}{mark}><span style='color:#999'>{n:>3} </span>{html.escape(text)}</span>")
        if last < len(lines):
            out.append(f"<span style='color:#999'>    … lines {last + 1}–{len(lines)} below</span>")
        if row.base:
            note = f"layer {row.layer} came with the base image <code>{html.escape(self.model.base_ref or '?')}</code>"
        elif ins is None:
            note = (f"layer {row.layer}: no Dockerfile instruction matches "
                    f"<code>{html.escape(row.instruction[:80])}</code>")
        else:
            note = f"layer {row.layer}: line {lo}" + (f"–{hi}" if hi > lo else "")
        self.dockerfile_pane.value = (f"<small>{note} &middot; {html.escape(str(df.path or ''))}</small>"
                                      "<pre style='margin:0;font-size:12px;line-height:1.35;white-space:pre;"
                                      "overflow-x:auto'>"
                                      + "\n".join(out) + "</pre>")

    # --- compare ----------------------------------------------------------------------------------

    def compare_with(self, other: str | os.PathLike[str]) -> pd.DataFrame:
        """Diff this image against ``other`` (a reference or an archive); returns ``analysis.diff``'s table."""
        from ..analysis import diff
        from ..image import read_image

        self.compare_status.value = f"<i>reading {html.escape(str(other))}…</i>"
        try:
            contents = read_image(other)
        except DockoptError as exc:
            hint = f"<br><small>{html.escape(exc.hint)}</small>" if exc.hint else ""
            self.compare_status.value = f"<span style='color:#c62828'>{html.escape(exc.message)}</span>{hint}"
            raise
        changes = diff(self.model.report.contents, contents)
        self.show_diff(changes, str(other))
        return changes

    def show_diff(self, changes: pd.DataFrame, other: str) -> None:
        """Show a table of ``analysis.diff(this image, other)`` already computed (``compare_with`` reads and
        diffs; ``ProposalExplorer`` has both images read)."""
        self._diff = (changes, self.model.diff_tree(changes))
        self._diff_expanded = self._diff[1].largest_open(30, "size")
        count: dict[str, int] = {}
        delta: dict[str, int] = {}
        for change, d in zip(changes["change"].tolist(), changes["delta_bytes"].tolist()):
            count[change] = count.get(change, 0) + 1
            delta[change] = delta.get(change, 0) + int(d)
        parts = [f"{count[c]} {c} ({'+' if delta[c] > 0 else ''}{human_bytes(delta[c])})"
                 for c in ("added", "removed", "changed") if c in count]
        total = int(changes["delta_bytes"].sum())
        self.compare_status.value = (f"<b>{html.escape(str(other))}</b> against this image: "
                                     + (", ".join(parts) or "no differences")
                                     + f"; net {'+' if total > 0 else ''}{human_bytes(total)}")
        self._draw_diff()

    def _compare_quietly(self, other: str) -> None:
        """A click's comparison: a bad reference or archive is said in the status line (compare_with
        puts the message and what to do there), not raised into the widget's callback."""
        if other:
            with contextlib.suppress(DockoptError):
                self.compare_with(other)

    def _draw_diff(self) -> None:
        if self._diff is None:
            return
        changes, tree = self._diff
        rows = self.model.diff_rows(tree, changes, self._diff_expanded)
        self.diff_table.rows = [_file_row(r, diff=True) for r in rows]

    def _diff_clicked(self, path: str, twisty: bool) -> None:
        if self._diff is not None and path in self._diff[1].is_dir:
            self._diff_expanded ^= {path}
            self._draw_diff()
        self.diff_table.selected = path

    # --- display ------------------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        data = super()._repr_mimebundle_(**kwargs)
        if report_mode() and isinstance(data, dict):
            from ..report.twin import static_twin_html

            data["text/html"] = static_twin_html(self.model)
        return data


class ProposalExplorer(w.VBox):
    """``dockopt.explore(proposal)``: the original image (left) and the proposal's (right), each in a compact
    ``Explorer``; below them the files that differ (the proposal against the original, a tree that opens on
    click) and the Dockerfile's unified diff. ``before`` and ``after`` are the two explorers; ``changes`` is
    ``analysis.diff(original, proposal)``. In a report it is replaced by its static twin."""

    def __init__(self, proposal: Proposal, before: ExplorerModel, after: ExplorerModel,
                 changes: pd.DataFrame) -> None:
        from ..report.proposal import diff_html, proposal_headline_html

        self.proposal = proposal
        self.changes = changes
        self.before = Explorer(before, compact=True)
        self.after = Explorer(after, compact=True)
        self.headline = w.HTML(f"<div style='line-height:1.4'>{proposal_headline_html(proposal)}</div>")
        # the file diff goes full width under both: the original's compare box, already filled
        for explorer in (self.before, self.after):
            explorer.children = tuple(c for c in explorer.children if c is not explorer.compare_box)
        self.diff_box = self.before.compare_box
        self.before.compare_title.value = ("<b>Files: the proposal against the original</b> "
                                           "<small>(or pick another image to compare the original with)</small>")
        self.before.compare_path.value = str(proposal.image or "")
        self.before.show_diff(changes, f"the proposal ({proposal.image})")
        self.dockerfile_diff = w.HTML(diff_html(proposal.diff, title="The Dockerfile, original against proposed"))
        column = w.Layout(flex="1 1 0", min_width="0", overflow="auto", border="1px solid #e0e0e0", padding="4px")
        sides = w.HBox([w.VBox([w.HTML("<h4 style='margin:4px 0'>Original</h4>"), self.before], layout=column),
                        w.VBox([w.HTML("<h4 style='margin:4px 0'>Proposed</h4>"), self.after], layout=column)],
                       layout=w.Layout(width="100%", grid_gap="8px"))
        super().__init__([self.headline, sides, self.diff_box, self.dockerfile_diff])
        self.add_class("dockopt-proposal-explorer")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        data = super()._repr_mimebundle_(**kwargs)
        if report_mode() and isinstance(data, dict):
            from ..report.proposal import proposal_headline_html
            from ..report.twin import proposal_twin_html

            data["text/html"] = proposal_twin_html(self.before.model, self.after.model,
                                                   headline=proposal_headline_html(self.proposal),
                                                   diff=self.proposal.diff, changes=self.changes)
        return data


def _figure_widget(fig: Any) -> Any:
    import plotly.graph_objects as go

    fig.update_layout(width=CHART_WIDTH - 10)
    return go.FigureWidget(fig)


def _local_images(exclude: str) -> list[tuple[str, str | None]]:
    """(label, reference) of the engine's tagged images, for the comparison dropdown."""
    from .. import engine

    options: list[tuple[str, str | None]] = [("(pick an image)", None)]
    try:
        tags = sorted({t for img in engine.list_images() for t in img.get("RepoTags") or () if t != "<none>:<none>"})
    except DockoptError:
        return options
    return options + [(t, t) for t in tags if t != exclude]
