"""A live class scoreboard: every learner × every exercise, graded in parallel, with attempt history.

The trainer collects each learner's folder under one class folder (``CLASS/<learner>/``, holding the
exercise folders as ``dockopt course init`` or a copy of the starters lays them out) and runs
``dockopt class grade CLASS -o OUT``. Every (learner, exercise) folder found is graded with
``exercises.check`` on a few worker threads (the engine builds them side by side; ``jobs`` bounds
how many), and ``OUT/index.html`` gets one row per learner and one cell per exercise: the score, each
criterion's measured value, the attempts so far, and the bases that learner's builds used.

Attempts are appended to ``OUT/attempts.jsonl`` (one scorecard record each, with the folder's content
digest). A folder whose content has not changed since its last attempt is not built again, so
``--watch`` can re-scan the class every few seconds and grade only what learners changed; the page
reloads itself while watching. Nothing in the learners' folders is written: the grader builds a
private copy.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DockoptError, EngineUnavailable, ExerciseError
from ..exercises import Exercise, Scorecard, all_exercises, load
from ..exercises.scorecard import FAIL_COLOUR, PASS_COLOUR
from ..units import human_seconds
from .provenance import banner
from .scoreboard import _CSS, _bases_of, learner_folders

ATTEMPTS_FILE = "attempts.jsonl"
PAGE_FILE = "index.html"
_SKIPPED_DIRS = {".git", "node_modules", "__pycache__", ".venv", "target", "dist", "build"}


@dataclass(frozen=True)
class Attempt:
    """One graded attempt of one learner at one exercise."""

    learner: str
    exercise: str
    digest: str            # of the folder's content when it was graded
    graded_at: str         # ISO 8601, UTC
    card: Scorecard = field(repr=False, compare=False)

    def to_record(self) -> dict[str, Any]:
        return {"learner": self.learner, "exercise": self.exercise, "digest": self.digest,
                "graded_at": self.graded_at, "card": self.card.to_record()}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Attempt:
        return cls(learner=record["learner"], exercise=record["exercise"], digest=record["digest"],
                   graded_at=record["graded_at"], card=Scorecard.from_record(record["card"]))


@dataclass(frozen=True)
class ClassRoom:
    """A graded class: every attempt so far (oldest first) and the page written for the trainer."""

    class_dir: str
    html_path: str
    attempts: tuple[Attempt, ...] = field(repr=False)
    graded_now: int        # attempts this call built and graded (unchanged folders are not graded again)
    grading_s: float

    def latest(self) -> dict[tuple[str, str], Attempt]:
        """(learner, exercise) → the newest attempt."""
        out: dict[tuple[str, str], Attempt] = {}
        for a in self.attempts:
            out[(a.learner, a.exercise)] = a
        return out

    @property
    def grid(self) -> pd.DataFrame:
        """Each row is one learner at one exercise (newest attempt): ``learner``, ``exercise``, ``score``,
        ``passed``, ``attempts``, ``build_error``, ``check_s``, ``graded_at``."""
        counts: dict[tuple[str, str], int] = {}
        for a in self.attempts:
            counts[(a.learner, a.exercise)] = counts.get((a.learner, a.exercise), 0) + 1
        rows = [{"learner": k[0], "exercise": k[1], "score": a.card.score, "passed": a.card.passed,
                 "attempts": counts[k], "build_error": a.card.build_error, "check_s": a.card.check_s,
                 "graded_at": a.graded_at} for k, a in sorted(self.latest().items())]
        return pd.DataFrame(rows, columns=["learner", "exercise", "score", "passed", "attempts", "build_error",
                                           "check_s", "graded_at"])


def folder_digest(folder: Path) -> str:
    """A digest of every file's relative path and bytes under ``folder`` (build outputs and VCS data
    skipped): equal digests mean there is nothing new to grade."""
    h = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        for name in sorted(files):
            path = Path(root, name)
            h.update(str(path.relative_to(folder)).encode() + b"\0")
            try:
                h.update(hashlib.sha256(path.read_bytes()).digest())
            except OSError:
                h.update(b"unreadable")
    return h.hexdigest()[:16]


def exercise_folder(learner_dir: Path, ex: Exercise) -> Path | None:
    """Where a learner's work on ``ex`` is: ``<learner>/<NN-topic>``, ``<learner>/<topic>``, or the layout
    ``dockopt course init`` writes (``<learner>/exercises/<NN-topic>/starter``), whichever holds the Dockerfile."""
    for candidate in (learner_dir / ex.name, learner_dir / ex.topic, learner_dir / "exercises" / ex.name / "starter",
                      learner_dir / "exercises" / ex.name):
        if (candidate / ex.dockerfile).is_file():
            return candidate
    return None


def read_attempts(out_dir: str | os.PathLike[str]) -> list[Attempt]:
    """Every attempt recorded in ``out_dir/attempts.jsonl``, oldest first (a damaged line is skipped)."""
    path = Path(out_dir) / ATTEMPTS_FILE
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(Attempt.from_record(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue
    return out


def grade_room(class_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
               exercises: Sequence[Exercise | str] | None = None, jobs: int = 2, regrade: bool = False,
               refresh_s: int | None = None, on_graded: Callable[[Attempt], None] | None = None) -> ClassRoom:
    """Grade every learner's folder of every exercise under ``class_dir``; write ``out_dir/index.html``.

    ``jobs``: gradings run at once (each is a build plus a container; more than the engine's cores
    only queues). A folder unchanged since its last attempt is skipped unless ``regrade``.
    ``refresh_s``: the page reloads itself every so many seconds (``--watch``).
    """
    from ..exercises.grade import check, not_graded

    if jobs < 1:
        raise ExerciseError(f"jobs must be at least 1, not {jobs}")
    exs = [e if isinstance(e, Exercise) else load(e) for e in exercises] if exercises else all_exercises()
    out = Path(out_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    learners = learner_folders(class_dir)
    previous = read_attempts(out)
    last_digest = {(a.learner, a.exercise): a.digest for a in previous}

    todo: list[tuple[str, Exercise, Path, str]] = []
    for learner_dir in learners:
        for ex in exs:
            folder = exercise_folder(learner_dir, ex)
            if folder is None:
                continue
            digest = folder_digest(folder)
            if regrade or last_digest.get((learner_dir.name, ex.name)) != digest:
                todo.append((learner_dir.name, ex, folder, digest))

    lock = threading.Lock()
    started = time.monotonic()
    new: list[Attempt] = []

    def grade_one(item: tuple[str, Exercise, Path, str]) -> None:
        learner, ex, folder, digest = item
        try:
            card = check(ex, folder, learner=learner, progress=False)
        except EngineUnavailable:
            raise
        except DockoptError as exc:  # a folder this dockopt cannot grade is a cell that says why
            card = not_graded(ex, folder, exc.message, learner=learner)
        attempt = Attempt(learner=learner, exercise=ex.name, digest=digest,
                          graded_at=datetime.now(UTC).isoformat(timespec="seconds"), card=card)
        with lock:  # one writer at a time: each line is one whole attempt
            with (out / ATTEMPTS_FILE).open("a", encoding="utf-8") as f:
                f.write(json.dumps(attempt.to_record()) + "\n")
            new.append(attempt)
        if on_graded is not None:
            on_graded(attempt)

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="dockopt-class") as pool:
        for future in [pool.submit(grade_one, item) for item in todo]:
            future.result()  # re-raises EngineUnavailable: without an engine nothing can be graded

    room = ClassRoom(class_dir=str(Path(class_dir).resolve()), html_path=str(out / PAGE_FILE),
                     attempts=tuple(previous + sorted(new, key=lambda a: a.graded_at)),
                     graded_now=len(new), grading_s=round(time.monotonic() - started, 1))
    bases = _bases_of(tuple(dict.fromkeys(b for a in room.latest().values() for b in a.card.bases)))
    page = classroom_html(room, [e.name for e in exs], [d.name for d in learners], bases=bases, refresh_s=refresh_s)
    tmp = out / (PAGE_FILE + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out / PAGE_FILE)  # a browser reloading mid-write never sees half a page
    return room


def watch_room(class_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, interval_s: float = 10,
               rounds: int | None = None, **kwargs: Any) -> ClassRoom:
    """``grade_room`` again every ``interval_s`` seconds (``rounds`` times, or until interrupted)."""
    room = grade_room(class_dir, out_dir, refresh_s=max(int(interval_s), 2), **kwargs)
    done = 1
    while rounds is None or done < rounds:
        time.sleep(interval_s)
        room = grade_room(class_dir, out_dir, refresh_s=max(int(interval_s), 2), **kwargs)
        done += 1
    return room


_ROOM_CSS = _CSS + """
td.cell{min-width:150px} td.cell ul{margin:4px 0 0;padding-left:0;list-style:none;font-size:.85em}
td.cell li.f{color:FAIL} td.cell li.p{color:#57606a} .hist{color:#57606a;font-size:.8em;margin-top:4px}
td.none{background:#fff;color:#8c959f} .bases{font-size:.8em;color:#57606a}
""".replace("FAIL", FAIL_COLOUR)


def _history(attempts: Iterable[Attempt]) -> str:
    return " → ".join(f"{a.card.score}" for a in attempts)


def classroom_html(room: ClassRoom, exercises: Sequence[str], learners: Sequence[str], *,
                   bases: dict[str, dict[str, Any]] | None = None, refresh_s: int | None = None,
                   generated: datetime | None = None) -> str:
    """The class page: learners × exercises, self-contained HTML (inline CSS, no script, nothing fetched)."""
    e = html.escape
    latest = room.latest()
    by_cell: dict[tuple[str, str], list[Attempt]] = {}
    for a in room.attempts:
        by_cell.setdefault((a.learner, a.exercise), []).append(a)
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
    rows = []
    for learner in learners:
        cells = []
        learner_bases: dict[str, None] = {}
        for name in exercises:
            newest = latest.get((learner, name))
            if newest is None:
                cells.append('<td class="cell none">not started</td>')
                continue
            card = newest.card
            learner_bases.update(dict.fromkeys(card.bases))
            colour = PASS_COLOUR if card.passed else FAIL_COLOUR
            if card.build_error is not None:
                items = f"<ul><li class='f'>{e(card.build_error.splitlines()[0][:160])}</li></ul>"
            else:
                items = "<ul>" + "".join(
                    f"<li class='{'p' if r['passed'] else 'f'}' title='{e(str(r['detail'] or ''))}'>"
                    f"{'✔' if r['passed'] else '✘'} {e(str(r['criterion']))}: {e(str(r['shown']))}</li>"
                    for r in card.criteria.to_dict("records")) + "</ul>"
            history = by_cell[(learner, name)]
            hist = (f"<div class='hist'>{len(history)} attempt{'s' if len(history) > 1 else ''}: "
                    f"{e(_history(history))} · last {e(newest.graded_at[11:19])}</div>")
            cells.append(f'<td class="cell {"pass" if card.passed else "fail"}">'
                         f'<span class="score" style="background:{colour}">{e(card.score)}</span>{items}{hist}</td>')
        used = ", ".join(learner_bases) or "–"
        rows.append(f"<tr><td><strong>{e(learner)}</strong><div class='bases'>bases: {e(used)}</div></td>"
                    + "".join(cells) + "</tr>")
    done = {name: sum(1 for learner in learners
                      if (learner, name) in latest and latest[(learner, name)].card.passed) for name in exercises}
    foot = ("<tfoot><tr><td>passed</td>" + "".join(f"<td>{done[n]}/{len(learners)}</td>" for n in exercises)
            + "</tr></tfoot>")
    standins = banner(bases or {})
    refresh = f"<meta http-equiv='refresh' content='{int(refresh_s)}'>" if refresh_s else ""
    live = (f" · live: re-graded every {human_seconds(refresh_s)} while <code>dockopt class grade --watch</code> runs"
            if refresh_s else "")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>{refresh}"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Class scoreboard</title><style>{_ROOM_CSS}</style></head><body>"
            f"<h1>Class scoreboard</h1>"
            f"<p class='sub'>{len(learners)} learners · {len(exercises)} exercises · {len(room.attempts)} attempts · "
            f"updated {e(when)}{live}</p>"
            + (f"<div class='banner'>{standins}</div>" if standins else "")
            + "<table><thead><tr><th>learner</th>" + "".join(f"<th>{e(n)}</th>" for n in exercises)
            + f"</tr></thead><tbody>{''.join(rows)}</tbody>{foot}</table>"
            "<p class='sub'>Every value was measured on a real build of the learner's folder "
            "(<code>dockopt exercise check</code>); hover a criterion for what was found.</p></body></html>")


def prepare_room(exercises: Sequence[Exercise | str] | None = None, *, jobs: int = 2,
                 on_graded: Callable[[Scorecard], None] | None = None) -> pd.DataFrame:
    """Get an engine ready for a class: build every exercise's starter and solution once (so learners'
    first builds hit a warm cache) and say what is missing.

    Each row is one exercise: ``exercise``, ``solution_passes``, ``starter_fails``, ``solution_s``,
    ``starter_s`` (seconds to grade each), ``bases`` (what the builds used), ``problem`` (what to do
    before the class, empty when ready).
    """
    from ..exercises.grade import check

    exs = [e if isinstance(e, Exercise) else load(e) for e in exercises] if exercises else all_exercises()

    def grade(ex: Exercise, which: str) -> Scorecard:
        card = check(ex, ex.solution if which == "solution" else ex.starter, learner=which, progress=False)
        if on_graded is not None:
            on_graded(card)
        return card

    with ThreadPoolExecutor(max_workers=max(jobs, 1), thread_name_prefix="dockopt-prepare") as pool:
        futures = {(ex.name, which): pool.submit(grade, ex, which) for ex in exs for which in ("solution", "starter")}
        cards = {key: f.result() for key, f in futures.items()}
    rows = []
    for ex in exs:
        sol, start = cards[(ex.name, "solution")], cards[(ex.name, "starter")]
        problems = []
        if sol.build_error is not None:
            problems.append(f"the solution does not build here: {sol.build_error.splitlines()[0]}")
        elif not sol.passed:
            failed = ", ".join(sol.failed["criterion"])
            problems.append(f"the solution fails {failed} on this engine: calibrate the limits in exercise.toml")
        if start.passed:
            problems.append("the starter already passes: the exercise teaches nothing here")
        rows.append({"exercise": ex.name, "solution_passes": sol.passed, "starter_fails": not start.passed,
                     "solution_s": sol.check_s, "starter_s": start.check_s,
                     "bases": ", ".join(dict.fromkeys(sol.bases + start.bases)), "problem": "; ".join(problems)})
    return pd.DataFrame(rows, columns=["exercise", "solution_passes", "starter_fails", "solution_s", "starter_s",
                                       "bases", "problem"])
