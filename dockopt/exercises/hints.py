"""Hints that come one at a time: ``dockopt exercise hint NAME`` opens the next, gentlest first.

An exercise's ``hints`` (``exercise.toml``) go from a nudge to the exact line. Which hints a learner has
opened is kept per exercise and per learner folder in ``$XDG_STATE_HOME/dockopt/hints.json`` (default
``~/.local/state/dockopt``), never in the learner's folder: asking again shows one more, ``--all``
shows the ones opened so far, ``--reset`` starts over.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .. import settings
from ..errors import ExerciseError
from .spec import Exercise, load


@dataclass(frozen=True)
class Hints:
    """The hints a learner has opened for one exercise (``opened`` of ``total``), in order."""

    exercise: str
    opened: tuple[str, ...]
    total: int
    newly_opened: bool

    @property
    def exhausted(self) -> bool:
        return len(self.opened) >= self.total

    def to_text(self) -> str:
        if not self.total:
            return f"exercise {self.exercise} has no hints"
        lines = [f"hint {i} of {self.total}: {h}" for i, h in enumerate(self.opened, 1)]
        if not self.opened:
            lines.append(f"no hint opened yet ({self.total} available): "
                         f"`dockopt exercise hint {self.exercise}` opens the first")
        elif self.exhausted:
            lines.append("that was the last hint; `dockopt exercise check` says what is still failing")
        else:
            lines.append(f"{self.total - len(self.opened)} more: run the command again for the next one")
        return "\n".join(lines)


def state_file() -> Path:
    return settings.state_dir() / "hints.json"


def _read() -> dict[str, int]:
    path = state_file()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a damaged state file only forgets which hints were opened
    return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write(data: dict[str, int]) -> None:
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def hint(exercise: Exercise | str, folder: str | os.PathLike[str] | None = None, *, show_opened: bool = False,
         reset: bool = False) -> Hints:
    """Open the next hint of ``exercise`` for the learner working in ``folder`` (default: the current one).

    ``show_opened``: open nothing new, return what was opened so far. ``reset``: forget what was opened.
    """
    ex = exercise if isinstance(exercise, Exercise) else load(exercise)
    where = Path(folder if folder is not None else os.getcwd()).expanduser().resolve()
    if folder is not None and not where.is_dir():
        raise ExerciseError(f"{where} is not a folder", hint="pass the folder you work on the exercise in")
    key = f"{ex.name}::{where}"
    data = _read()
    opened = 0 if reset else data.get(key, 0)
    newly = False
    if not show_opened and not reset and opened < len(ex.hints):
        opened += 1
        newly = True
    if reset:
        data.pop(key, None)
    else:
        data[key] = opened
    if newly or reset:
        _write(data)
    return Hints(exercise=ex.name, opened=ex.hints[:opened], total=len(ex.hints), newly_opened=newly)
