"""Limits calibrated on the class's engine: the same exercise is fair on stand-ins and on upstream bases.

A size limit typed into ``exercise.toml`` holds only for the base images it was measured on (Docker
Hub's ``nginx:1.27-bookworm`` is about 190 MB, this machine's stand-in much less). ``calibrate()``
grades every exercise's solution on this engine and writes each base-dependent limit relative to
what the solution measured: bytes as the solution's × ``margin``, layers as at least the solution's
count. ``load()`` applies the file to every exercise it loads, so ``check``, the scoreboards and
``dockopt exercise list`` all use the calibrated limits, and each such limit says so.

The file is ``$DOCKOPT_EXERCISE_LIMITS``, by default ``$XDG_STATE_HOME/dockopt/exercise-limits.toml``
(the engine's machine, not the course folder)::

    ["04-spa-nginx"]
    size = 123456789        # bytes: solution 102.9 MB × 1.2 on 2026-12-07
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ExerciseError
from ..units import human_bytes
from .limits import CALIBRATED_KINDS, limits_file, read_limits
from .spec import Exercise

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["CALIBRATED_KINDS", "calibrate", "limits_file", "read_limits"]


def calibrate(exercises: Sequence[Exercise | str] | None = None, *, margin: float = 1.2,
              path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Grade each exercise's solution here and write the limits relative to it.

    Each row is one calibrated criterion: ``exercise``, ``criterion``, ``kind``, ``solution`` (what the
    solution measured), ``spec_limit`` (``exercise.toml``'s), ``limit`` (written). A solution that does
    not build here is an ``ExerciseError``: there is nothing to calibrate against.
    """
    import pandas as pd

    from .grade import check
    from .spec import all_exercises, load_spec

    if margin < 1:
        raise ExerciseError(f"margin {margin:g} is below 1: the solution itself would fail",
                            hint="use a margin such as 1.2 (20 % above what the solution measured)")
    # calibrate against exercise.toml's own limits, not an earlier calibration
    exs = [load_spec(e.root / "exercise.toml") if isinstance(e, Exercise) else load_spec(_spec_of(e))
           for e in exercises] if exercises else [load_spec(e.root / "exercise.toml") for e in all_exercises()]
    rows = []
    for ex in exs:
        card = check(ex, ex.solution, learner="calibration", progress=False)
        if card.build_error is not None:
            raise ExerciseError(f"the solution of {ex.name} does not build on this engine: "
                                f"{card.build_error.splitlines()[0]}", hint="`dockopt doctor` says what is missing")
        measured = card.criteria.set_index("criterion")["measured"]
        for c in ex.criteria:
            if c.kind not in CALIBRATED_KINDS or c.id not in measured or pd.isna(measured[c.id]):
                continue
            value = float(measured[c.id])
            limit = math.ceil(value * margin) if c.unit == "bytes" else max(c.threshold, value)
            rows.append({"exercise": ex.name, "criterion": c.id, "kind": c.kind, "solution": value,
                         "spec_limit": c.threshold, "limit": float(limit)})
    table = pd.DataFrame(rows, columns=["exercise", "criterion", "kind", "solution", "spec_limit", "limit"])
    _write(Path(path) if path is not None else limits_file(), table, margin)
    return table


def _spec_of(name: str) -> Path:
    from .spec import exercises_dir, resolve_name

    return exercises_dir() / resolve_name(name) / "exercise.toml"


def _write(path: Path, table: pd.DataFrame, margin: float) -> None:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    merged = read_limits(path)
    notes: dict[tuple[str, str], str] = {}
    for r in table.to_dict("records"):
        merged.setdefault(r["exercise"], {})[r["criterion"]] = r["limit"]
        what = (f"bytes: solution {human_bytes(r['solution'])} × {margin:g}" if r["kind"] != "layers"
                else f"layers: the solution has {r['solution']:g}")
        notes[(r["exercise"], r["criterion"])] = f"{what}, calibrated {today}"
    lines = ["# Exercise limits calibrated on this engine by `dockopt class calibrate` (see dockopt/exercises/"
             "calibrate.py).", ""]
    for name in sorted(merged):
        lines.append(f'["{name}"]')
        for cid, limit in sorted(merged[name].items()):
            note = notes.get((name, cid))
            lines.append(f"{cid} = {int(limit)}" + (f"  # {note}" if note else ""))
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
