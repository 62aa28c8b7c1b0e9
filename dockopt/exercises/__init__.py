"""Graded exercises for team training: ``exercises/NN-topic/`` folders, checked on real builds.

- ``spec``: ``exercise.toml`` loaded and validated (``load``, ``names``, ``all_exercises``, ``catalog``);
- ``grade``: ``check(exercise, path)`` builds a learner's Dockerfile and measures every criterion;
- ``scorecard``: the result (``Scorecard``: a tidy ``criteria`` table, text, and HTML in a notebook).

The trainer's class scoreboard (every learner folder, one offline HTML page) is ``report.scoreboard``.
``check`` (and the engine, the docker SDK) load on first use: listing exercises needs neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .scorecard import SCORE_COLUMNS, Measurement, Scorecard
from .spec import (
    KINDS,
    LEVELS,
    Criterion,
    Exercise,
    Token,
    all_exercises,
    catalog,
    exercises_dir,
    load,
    load_spec,
    names,
)

if TYPE_CHECKING:  # pragma: no cover
    from .grade import check, fake_github_token, image_tag

__all__ = ["KINDS", "LEVELS", "SCORE_COLUMNS", "Criterion", "Exercise", "Measurement", "Scorecard", "Token",
           "all_exercises", "catalog", "check", "exercises_dir", "fake_github_token", "image_tag", "load", "load_spec",
           "names"]

_LAZY = ("check", "fake_github_token", "image_tag")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import grade

        return getattr(grade, name)
    raise AttributeError(f"module 'dockopt.exercises' has no attribute {name!r}")
