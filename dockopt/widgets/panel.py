"""``experiment_panel``: a notebook's experiment behind dropdowns and a Run button.

Pick the sample (stack), the Dockerfile variant, the runtime base or the cache scenario, press Run:
a progress bar moves as each build of the experiment finishes, then the chart and the table are
updated in place. No cell is edited. Experiments are called through ``widgets.runs`` only.
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..errors import DockoptError
from ..units import human_bytes, human_seconds
from . import runs
from .runs import ALL, BOTH, Choice

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _format(table: pd.DataFrame, columns: tuple[str, ...]) -> str:
    shown = table[[c for c in columns if c in table.columns]] if columns else table
    formatters = {c: (lambda v: human_bytes(v) if v == v and v is not None else "–")
                  for c in shown.columns if c.endswith("_bytes")}
    rendered = shown.to_html(index=False, formatters=formatters, na_rep="–", border=0, classes="dockopt-panel-table")
    return f"<div class='jp-RenderedHTMLCommon'>{rendered}</div>"  # JupyterLab's own table style


class ExperimentPanel(w.VBox):
    """Dropdowns, a Run button with a progress bar, and the experiment's chart and table.

    ``run()`` does what the button does and returns the table; ``table`` holds the last result.
    """

    def __init__(self, experiment: str, *, sample: str | None = None, result: pd.DataFrame | None = None) -> None:
        import plotly.graph_objects as go

        self.experiment = runs.experiment(experiment)
        names = runs.sample_names()
        chosen = sample if sample in names else names[0]
        wide = {"description_width": "initial"}
        self.sample = w.Dropdown(options=names, value=chosen, description="stack", style=wide)
        self.variant = w.Dropdown(options=[BOTH, "naive", "optimised"], value=BOTH, description="Dockerfile",
                                  style=wide)
        self.base = w.Dropdown(options=[ALL, *runs.bases_of(chosen)], value=ALL, description="runtime base",
                               style=wide)
        self.scenario = w.Dropdown(options=runs.scenarios(), value=ALL, description="scenario", style=wide)
        for name, control in (("variant", self.variant), ("base", self.base), ("scenario", self.scenario)):
            control.layout.display = None if name in self.experiment.controls else "none"
        self.sample.observe(self._sample_changed, names="value")
        self.scenario.observe(lambda _: self._show(), names="value")
        self.button = w.Button(description="Run", button_style="primary", icon="play")
        self.button.on_click(lambda _: self.run())
        self.progress = w.IntProgress(value=0, min=0, max=1, description="", layout=w.Layout(width="240px"))
        self.status = w.HTML()
        self.chart = go.FigureWidget()
        self.chart.layout.height = 420
        self.chart_box = w.Box([self.chart], layout=w.Layout(display="none"))  # no empty axes before a result
        self.table_view = w.HTML()
        self.table: pd.DataFrame | None = result
        self._choice = Choice(sample=chosen)
        controls = w.HBox([self.sample, self.variant, self.base, self.scenario, self.button],
                          layout=w.Layout(flex_flow="row wrap", align_items="center"))
        super().__init__([w.HTML(f"<b>{html.escape(self.experiment.title)}</b>: pick, then Run "
                                 "(builds run in this kernel; the chart and table below update when it ends)"),
                          controls, w.HBox([self.progress, self.status]), self.chart_box, self.table_view])
        self.add_class("dockopt-panel")
        if result is not None:
            self.status.value = f"<small>showing the notebook's result for <b>{html.escape(chosen)}</b></small>"
            self._show()

    def _sample_changed(self, change: Any) -> None:
        self.base.options = [ALL, *runs.bases_of(change["new"])]
        self.base.value = ALL

    def choice(self) -> Choice:
        return Choice(sample=self.sample.value, variant=self.variant.value, base=self.base.value,
                      scenario=self.scenario.value)

    def run(self) -> pd.DataFrame | None:
        """Run the experiment for the current choice; the chart and table update when it ends."""
        import pandas as pd

        choice = self.choice()
        units = list(self.experiment.steps(choice))
        self.button.disabled = True
        self.progress.max, self.progress.value, self.progress.bar_style = max(len(units), 1), 0, "info"
        started = time.monotonic()
        parts = []
        try:
            for i, unit in enumerate(units):
                what = f" ({unit})" if unit is not None else ""
                self.status.value = f"<small>running {i + 1} of {len(units)}{html.escape(what)}…</small>"
                parts.append(self.experiment.run_step(choice, unit))
                self.progress.value = i + 1
        except DockoptError as exc:
            self.progress.bar_style = "danger"
            self.status.value = (f"<span style='color:#c62828'>{html.escape(exc.message)}</span>"
                                 + (f"<br><small>{html.escape(exc.hint)}</small>" if exc.hint else ""))
            return None
        finally:
            self.button.disabled = False
        self.progress.bar_style = "success"
        self.table = pd.concat(parts, ignore_index=True) if parts else None
        self._choice = choice
        self.status.value = (f"<small>{html.escape(choice.sample)}: done in "
                             f"{human_seconds(time.monotonic() - started)}</small>")
        self._show()
        return self.table

    def _show(self) -> None:
        if self.table is None:
            return
        choice = Choice(sample=self._choice.sample, variant=self._choice.variant, base=self._choice.base,
                        scenario=self.scenario.value)
        shown = self.experiment.show(self.table, choice)
        fig = self.experiment.figure(shown, choice)
        with self.chart.batch_update():
            self.chart.data = ()
            self.chart.add_traces(list(fig.data))
            self.chart.layout = fig.layout
        self.chart_box.layout.display = None
        self.table_view.value = _format(shown, self.experiment.columns)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        data = super()._repr_mimebundle_(**kwargs)
        from .explorer import report_mode

        if report_mode() and isinstance(data, dict):
            data["text/html"] = ("<p><i>In JupyterLab an experiment panel stands here: pick another stack, "
                                 f"Dockerfile or base and press Run ({html.escape(self.experiment.title)}). "
                                 "The other stacks have reports of their own in this folder.</i></p>")
        return data


def experiment_panel(experiment: str = "compare", *, sample: str | None = None,
                     result: pd.DataFrame | None = None) -> ExperimentPanel:
    """A panel for one of the notebooks' experiments: ``compare`` (naive vs optimised), ``cache``
    (rebuild cost per change) or ``bases`` (size and health per runtime base).

    ``sample``: the stack picked at first; ``result``: a table the notebook already computed for it
    (shown at once, so nothing is built until Run is pressed).
    """
    return ExperimentPanel(experiment, sample=sample, result=result)
