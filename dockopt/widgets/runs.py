"""The one place the experiment panels call experiments: what each needs, how to run it, what to show.

Each experiment is run by sample name through ``dockopt.experiments`` (that keeps working while the
experiments learn to take any project: re-point the ``run`` functions here, nothing else). A run
returns the experiment's own table, the figure the notebooks draw from it, and how many steps it
took, so the panel can show progress without knowing what an experiment does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import plotly.graph_objects as go

ALL = "all"
BOTH = "naive + optimised"


@dataclass(frozen=True)
class Choice:
    """What the panel's dropdowns picked."""

    sample: str
    variant: str = BOTH      # Dockerfile variant: naive, optimised, or both
    base: str = ALL          # runtime base value, or all of the sample's
    scenario: str = ALL      # cache scenario to show, or all


@dataclass(frozen=True)
class Experiment:
    """One experiment the panels offer: its title, which dropdowns apply, and how to run and draw it.

    ``steps(choice)`` lists the units of work (each ``run_step(choice, unit)`` → a table part), so a
    progress bar can move; ``combine`` joins the parts; ``show`` filters the table for display
    (e.g. one cache scenario) and ``figure`` draws it.
    """

    name: str
    title: str
    controls: tuple[str, ...]                                 # of "variant", "base", "scenario"
    steps: Callable[[Choice], Sequence[Any]]
    run_step: Callable[[Choice, Any], pd.DataFrame]
    figure: Callable[[pd.DataFrame, Choice], go.Figure]
    columns: tuple[str, ...] = ()
    show: Callable[[pd.DataFrame, Choice], pd.DataFrame] = lambda table, choice: table


def _sample(name: str) -> Any:
    from .. import samples

    return samples.load(name)


def sample_names() -> list[str]:
    """Samples an experiment can build here (registry-only ones are left out)."""
    from .. import samples

    return [s.name for s in samples.all_samples() if not s.registry_only]


def bases_of(sample: str) -> list[str]:
    """The runtime base values the sample declares (buildable here first)."""
    s = _sample(sample)
    return [b.name for b in s.bases if b.offline] + [b.name for b in s.bases if not b.offline]


# --- naive vs optimised -------------------------------------------------------------------------


def _compare_step(choice: Choice, _: Any) -> pd.DataFrame:
    from .. import experiments

    base = None if choice.base == ALL else choice.base
    return experiments.naive_vs_optimised(choice.sample, base=base, progress=False).sizes


def _compare_figure(table: pd.DataFrame, choice: Choice) -> go.Figure:
    from .. import plots

    return plots.size_comparison(table, title=f"{choice.sample}: naive vs optimised")


# --- cache --------------------------------------------------------------------------------------


def _variants(choice: Choice) -> list[str]:
    return ["naive", "optimised"] if choice.variant == BOTH else [choice.variant]


def _cache_step(choice: Choice, variant: str) -> pd.DataFrame:
    from .. import experiments

    return experiments.cache_scenarios(choice.sample, [variant], progress=False).runs


def _cache_show(table: pd.DataFrame, choice: Choice) -> pd.DataFrame:
    return table if choice.scenario == ALL else table[table["scenario"] == choice.scenario]


def _cache_figure(table: pd.DataFrame, choice: Choice) -> go.Figure:
    from .. import plots

    return plots.cache_scenarios(table, title=f"{choice.sample}: rebuild wall time by change")


# --- runtime bases ------------------------------------------------------------------------------


def _bases_steps(choice: Choice) -> list[str]:
    return bases_of(choice.sample) if choice.base == ALL else [choice.base]


def _bases_step(choice: Choice, base: str) -> pd.DataFrame:
    from .. import experiments

    return experiments.base_matrix(choice.sample, [base], progress=False)


def _bases_figure(table: pd.DataFrame, choice: Choice) -> go.Figure:
    from .. import plots

    return plots.base_matrix(table, title=f"{choice.sample}: image size by runtime base")


EXPERIMENTS: dict[str, Experiment] = {
    "compare": Experiment("compare", "Naive vs optimised", ("base",), lambda c: [None], _compare_step,
                          _compare_figure, ("variant", "image", "size_bytes", "layers", "build_s")),
    "cache": Experiment("cache", "Rebuild cost after a change", ("variant", "scenario"), _variants, _cache_step,
                        _cache_figure, ("variant", "scenario", "wall_s", "steps_executed", "steps_cached",
                                        "first_executed"), _cache_show),
    "bases": Experiment("bases", "Image size by runtime base", ("base",), _bases_steps, _bases_step, _bases_figure,
                        ("base", "base_image", "size_bytes", "base_size_bytes", "app_bytes", "standin", "healthy",
                         "skipped")),
}


def experiment(name: str) -> Experiment:
    from ..errors import WidgetError

    if name not in EXPERIMENTS:
        raise WidgetError(f"no experiment panel {name!r}", hint=f"pick one of {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]


def scenarios() -> list[str]:
    from ..experiments import SCENARIOS

    return [ALL, *SCENARIOS]
