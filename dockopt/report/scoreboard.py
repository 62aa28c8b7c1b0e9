"""A class scoreboard: every learner folder graded against one exercise, rendered as one offline HTML page.

``class_report(exercise, class_dir, output)`` grades each folder directly under ``class_dir`` (one
per learner, named after them) with ``exercises.check``, and writes a self-contained page (inline
CSS, no script, nothing fetched) for the trainer: one row per learner, one coloured cell per
criterion with the measured value, the pass rate of each criterion, each learner's failed
criteria with what was found and the hint, and the stand-in banner of the bases the builds used.
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DockoptError, EngineUnavailable, ExerciseError
from ..exercises import Exercise, Scorecard, load
from ..exercises.scorecard import FAIL_COLOUR, FAIL_TINT, PASS_COLOUR, PASS_TINT, limit_text
from ..units import human_seconds
from .provenance import banner

LEARNER_COLUMNS = ["learner", "path", "passed", "score", "build_error", "check_s"]


@dataclass(frozen=True)
class ClassReport:
    """A graded class: one scorecard per learner folder, and the page written for them."""

    exercise: str
    class_dir: str
    html_path: str | None
    cards: tuple[Scorecard, ...] = field(repr=False)
    grading_s: float

    @property
    def learners(self) -> pd.DataFrame:
        """Each row is one learner: ``learner``, ``path``, ``passed`` (every criterion), ``score``,
        ``build_error``, ``check_s``."""
        return pd.DataFrame([{"learner": c.learner, "path": c.path, "passed": c.passed, "score": c.score,
                              "build_error": c.build_error, "check_s": c.check_s} for c in self.cards],
                            columns=LEARNER_COLUMNS)

    @property
    def criteria(self) -> pd.DataFrame:
        """Each row is one criterion of one learner (``Scorecard.criteria`` with a ``learner`` column first)."""
        frames = [c.criteria.assign(learner=c.learner) for c in self.cards]
        if not frames:
            return pd.DataFrame(columns=["learner"])
        out = pd.concat(frames, ignore_index=True)
        return out[["learner"] + [c for c in out.columns if c != "learner"]]

    @property
    def base_images(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ref for c in self.cards for ref in c.bases))


def learner_folders(class_dir: str | os.PathLike[str]) -> list[Path]:
    """The folders directly under ``class_dir`` (hidden ones skipped), by name."""
    root = Path(class_dir).expanduser().resolve()
    if not root.is_dir():
        raise ExerciseError(f"class folder {str(class_dir)!r} does not exist",
                            hint="pass the folder that holds one folder per learner (each with its Dockerfile)")
    folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    if not folders:
        raise ExerciseError(f"{root} holds no learner folders",
                            hint="put each learner's copy of the starter in a folder of its own, named after them")
    return folders


def grade_class(exercise: Exercise | str, class_dir: str | os.PathLike[str], *, keep: bool = False,
                progress: bool = True, on_graded: Callable[[Scorecard], None] | None = None) -> list[Scorecard]:
    """One scorecard per learner folder, graded one after the other. A folder that cannot be graded
    (no Dockerfile, a build this dockopt cannot run) gets a scorecard that says why; no engine stops all."""
    from ..exercises.grade import check, not_graded

    ex = exercise if isinstance(exercise, Exercise) else load(exercise)
    cards = []
    for folder in learner_folders(class_dir):
        if not (folder / ex.dockerfile).is_file():
            card = not_graded(ex, folder, f"{folder} has no {ex.dockerfile}", short=f"no {ex.dockerfile} in the folder")
        else:
            try:
                card = check(ex, folder, learner=folder.name, keep=keep, progress=progress)
            except EngineUnavailable:
                raise
            except DockoptError as exc:
                card = not_graded(ex, folder, exc.message, learner=folder.name)
        cards.append(card)
        if on_graded is not None:
            on_graded(card)
    return cards


def class_report(exercise: Exercise | str, class_dir: str | os.PathLike[str],
                 output: str | os.PathLike[str] | None = None, *, keep: bool = False, progress: bool = True,
                 on_graded: Callable[[Scorecard], None] | None = None) -> ClassReport:
    """Grade every learner folder under ``class_dir`` and write the scoreboard to ``output``
    (default: ``scoreboard-<exercise>.html`` in the current directory)."""
    ex = exercise if isinstance(exercise, Exercise) else load(exercise)
    started = time.monotonic()
    cards = grade_class(ex, class_dir, keep=keep, progress=progress, on_graded=on_graded)
    grading_s = round(time.monotonic() - started, 1)
    path = Path(output) if output is not None else Path.cwd() / f"scoreboard-{ex.name}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    report = ClassReport(exercise=ex.name, class_dir=str(Path(class_dir).resolve()), html_path=str(path),
                         cards=tuple(cards), grading_s=grading_s)
    path.write_text(scoreboard_html(ex, cards, grading_s=grading_s, bases=_bases_of(report.base_images)),
                    encoding="utf-8")
    return report


def _bases_of(references: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``provenance.banner``'s input for these references (what the engine has at each, stand-in or not)."""
    if not references:
        return {}
    from ..bases.catalog import provenance

    return {str(r["reference"]): {str(k): v for k, v in r.items()} for r in provenance(references).to_dict("records")}


_CSS = """
body{font-family:system-ui,-apple-system,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#1f2328}
h1{font-size:1.4em;margin:0 0 4px} .sub{color:#57606a;margin:0 0 16px}
.banner{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px 12px;margin:12px 0;font-size:.9em}
.summary{display:flex;gap:24px;margin:12px 0 20px;flex-wrap:wrap}
.summary div{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px}
.summary b{display:block;font-size:1.5em}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #d0d7de;padding:6px 8px;vertical-align:top}
th{background:#f6f8fa;text-align:left} th small{display:block;font-weight:normal;color:#57606a}
td.pass{background:PASS_TINT} td.fail{background:FAIL_TINT} td.na{background:#f6f8fa;color:#57606a}
td.pass b{color:PASS_COLOUR} td.fail b{color:FAIL_COLOUR}
.score{display:inline-block;border-radius:4px;padding:1px 8px;color:#fff;font-weight:600}
tfoot td{background:#f6f8fa;font-weight:600}
details{margin:6px 0} summary{cursor:pointer} .hint{color:#57606a} code{font-size:.95em}
pre{white-space:pre-wrap;background:FAIL_TINT;padding:8px;border-radius:4px}
""".replace("PASS_TINT", PASS_TINT).replace("FAIL_TINT", FAIL_TINT).replace("PASS_COLOUR", PASS_COLOUR) \
    .replace("FAIL_COLOUR", FAIL_COLOUR)


def scoreboard_html(ex: Exercise, cards: Sequence[Scorecard], *, grading_s: float | None = None,
                    bases: dict[str, dict[str, Any]] | None = None, generated: datetime | None = None) -> str:
    """The scoreboard page for ``cards`` (one per learner): self-contained HTML, no script."""
    e = html.escape
    criteria = ex.criteria
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    ranked = sorted(cards, key=lambda c: (-c.n_passed, c.learner))
    n_all = sum(1 for c in cards if c.passed)
    head_cells = "".join(f"<th>{e(c.title)}<small><code>{e(c.id)}</code> · {e(limit_text(c))}</small></th>"
                         for c in criteria)
    body = []
    for card in ranked:
        colour = PASS_COLOUR if card.passed else FAIL_COLOUR
        cells = []
        by_id = {r["criterion"]: r for r in card.criteria.to_dict("records")}
        if card.build_error is not None:
            cells.append(f'<td class="na" colspan="{len(criteria)}">not graded: '
                         f'{e(str(card.criteria["detail"].iloc[0]) if len(card.criteria) else card.build_error)}</td>')
        else:
            for c in criteria:
                r = by_id.get(c.id)
                if r is None:
                    cells.append('<td class="na">–</td>')
                    continue
                tip = e(f"{r['detail']}\nhint: {r['hint']}" if not r["passed"] else str(r["detail"] or ""))
                cells.append(f'<td class="{"pass" if r["passed"] else "fail"}" title="{tip}">'
                             f'<b>{"✔" if r["passed"] else "✘"}</b> {e(str(r["shown"]))}</td>')
        body.append(f'<tr><td><strong>{e(card.learner)}</strong></td>'
                    f'<td><span class="score" style="background:{colour}">{e(card.score)}</span></td>'
                    + "".join(cells) + "</tr>")
    passing = {c.id: sum(1 for card in cards if c.id in set(card.criteria.loc[card.criteria["passed"], "criterion"]))
               for c in criteria}
    foot = ("<tfoot><tr><td>class</td>" f"<td>{n_all}/{len(cards)}</td>"
            + "".join(f"<td>{passing[c.id]}/{len(cards)} pass</td>" for c in criteria) + "</tr></tfoot>")
    details = []
    for card in ranked:
        if card.passed:
            continue
        items = []
        if card.build_error is not None:
            items.append(f"<pre>{e(card.build_error)}</pre>")
        else:
            for r in card.failed.to_dict("records"):
                items.append(f"<li><strong>{e(str(r['title']))}</strong>: {e(str(r['shown']))} "
                             f"(limit {e(str(r['limit']))})" + (f"<br><code>{e(str(r['detail']))}</code>"
                                                                if r["detail"] else "")
                             + f"<br><span class='hint'>hint: {e(str(r['hint']))}</span></li>")
        details.append(f"<details open><summary><strong>{e(card.learner)}</strong> · {e(card.verdict())}</summary>"
                       f"<ul>{''.join(items)}</ul></details>" if items else "")
    standins = banner(bases or {})
    took = f" · graded in {human_seconds(grading_s)}" if grading_s is not None else ""
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Scoreboard · {e(ex.name)}</title><style>{_CSS}</style></head><body>"
            f"<h1>Scoreboard · exercise {e(ex.name)}</h1>"
            f"<p class='sub'>{e(ex.title)} ({e(ex.level)}) · {len(cards)} learners · {e(when)}{e(took)}</p>"
            + (f"<div class='banner'>{standins}</div>" if standins else "")
            + f"<div class='summary'><div><b>{n_all}/{len(cards)}</b>passed every criterion</div>"
            + "".join(f"<div><b>{passing[c.id]}/{len(cards)}</b>{e(c.id)}</div>" for c in criteria)
            + f"</div><table><thead><tr><th>learner</th><th>score</th>{head_cells}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody>{foot}</table>"
            + ("<h2>What to work on</h2>" + "".join(details) if any(details) else "")
            + "<p class='sub'>Every value was measured on a real build of the learner's folder by "
              "<code>dockopt exercise check</code>; hover a cell for what was found.</p></body></html>")

