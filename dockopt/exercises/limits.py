"""The exercise limits calibrated on this engine (``dockopt class calibrate`` writes them, see
``calibrate``), read and applied to each exercise ``spec.load`` returns. Imports nothing of the
exercises package: ``spec`` uses it, and ``calibrate`` grades."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

from .. import settings
from ..errors import ExerciseError

# the kinds whose measure depends on the base images the engine has
CALIBRATED_KINDS = ("size", "compressed_size", "layers")


def limits_file() -> Path:
    return settings.exercise_limits_file()


def read_limits(path: Path | None = None) -> dict[str, dict[str, float]]:
    """exercise → criterion id → limit, from the calibration file (empty when there is none)."""
    path = path or limits_file()
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ExerciseError(f"{path}: the calibrated exercise limits cannot be read: {exc}",
                            hint="run `dockopt class calibrate` again, or delete the file to use "
                                 "exercise.toml's limits") from exc
    out: dict[str, dict[str, float]] = {}
    for name, table in data.items():
        if isinstance(table, dict):
            out[name] = {str(k): float(v) for k, v in table.items() if isinstance(v, int | float)}
    return out


def apply_limits(ex: Any, limits: dict[str, dict[str, float]] | None = None) -> Any:
    """``ex`` with the calibrated limits of this engine, each criterion marked ``calibrated``."""
    table = (read_limits() if limits is None else limits).get(ex.name)
    if not table:
        return ex
    criteria = tuple(dataclasses.replace(c, threshold=table[c.id], calibrated=True)
                     if c.id in table and c.kind in CALIBRATED_KINDS else c for c in ex.criteria)
    return dataclasses.replace(ex, criteria=criteria)
