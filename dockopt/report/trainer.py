"""A trainer's kit built from what the course measured: session outlines, the chapter → exercise map,
talking points per chapter and "where the guide is wrong or incomplete", as one offline page and as
Markdown.

Everything numeric comes from files other commands wrote, never from text typed here:

- the rendered course reports (``dockopt report`` → ``reports/``): each chapter's run time, headlines,
  conclusions and the guide's claims with the verdict the notebook computed (``report.claim``);
- the exercises' specs (level, the chapters each practises) and, when ``dockopt class prepare`` has
  run, the seconds it took to grade each exercise's starter and solution on this engine (``room.json``).

Session timing = demo (the chapter's measured run time, shown live or from its report) + talk (a
stated allowance per headline and claim) for chapters, and learner work (a stated allowance by level)
+ grading (measured) for exercises. The allowances are the kit's assumptions and the page says so.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DockoptError
from ..exercises import Exercise, all_exercises
from ..units import human_seconds
from .story import VERDICT_TEXT

ROOM_FILE = "room.json"
# the kit's stated assumptions, in minutes (shown on the page beside what was measured)
TALK_BASE_MIN, TALK_PER_POINT_MIN = 5.0, 1.0
WORK_MIN = {"easy": 10.0, "medium": 20.0, "hard": 30.0}
CHECKS_PER_EXERCISE = 3       # a learner grades a few attempts
DEMO_CAP_MIN = 8.0            # a longer chapter is shown from its rendered report, not run live
SESSIONS = {"two-hour": 120.0, "half-day": 210.0}
BREAK_EVERY_MIN, BREAK_MIN = 90.0, 15.0


@dataclass(frozen=True)
class Block:
    """One block of a session: a chapter or an exercise, with its minutes and what they rest on."""

    kind: str            # "chapter" | "exercise" | "break"
    name: str
    title: str
    minutes: float
    basis: str


@dataclass(frozen=True)
class TrainerKit:
    """The kit: chapters (from the reports), exercises, the blocks of each session, the guide's claims."""

    chapters: tuple[dict[str, Any], ...]
    exercises: tuple[Exercise, ...]
    sessions: dict[str, tuple[Block, ...]]
    claims: tuple[dict[str, Any], ...]
    html_path: str | None = None
    markdown_path: str | None = None

    @property
    def wrong_or_incomplete(self) -> tuple[dict[str, Any], ...]:
        return tuple(c for c in self.claims if c.get("verdict") != "holds")


def _chapter_number(name: str) -> str | None:
    found = re.match(r"^(\d{2})_", name)
    return found.group(1) if found else None


def _chapters(reports_dir: Path) -> list[dict[str, Any]]:
    """The rendered course chapters: reports whose title carries their chapter number ("01 · ...")."""
    from .render import index_entries

    out = []
    for entry in index_entries(reports_dir):
        number = _chapter_number(entry["name"])
        if number is not None and "--" not in entry["name"] and str(entry.get("title", "")).startswith(number):
            out.append({**entry, "number": number})
    return out


def _room_times(room_dir: Path | None) -> dict[str, float]:
    """exercise → seconds to grade one attempt on this engine (mean of starter and solution)."""
    if room_dir is None or not (room_dir / ROOM_FILE).is_file():
        return {}
    rows = json.loads((room_dir / ROOM_FILE).read_text(encoding="utf-8"))
    return {r["exercise"]: (float(r["solution_s"]) + float(r["starter_s"])) / 2 for r in rows}


def _chapter_block(ch: dict[str, Any]) -> Block:
    run_s = float(ch.get("duration_s") or 0.0)
    points = len(ch.get("headlines", ())) + len(ch.get("claims", ()))
    demo = min(run_s / 60, DEMO_CAP_MIN)
    talk = TALK_BASE_MIN + TALK_PER_POINT_MIN * points
    shown = "run live" if run_s / 60 <= DEMO_CAP_MIN else "shown from its report"
    return Block("chapter", ch["name"], ch.get("title") or ch["name"], round(demo + talk, 1),
                 f"runs in {human_seconds(run_s)} here ({shown}); talk {talk:g} min for {points} points")


def _exercise_block(ex: Exercise, grade_s: float | None) -> Block:
    work = WORK_MIN[ex.level]
    grading = (grade_s or 0.0) * CHECKS_PER_EXERCISE / 60
    measured = f"a check takes {human_seconds(grade_s)} here" if grade_s else "check time not measured (class prepare)"
    return Block("exercise", ex.name, ex.title, round(work + grading, 1),
                 f"{ex.level}: {work:g} min of work + {CHECKS_PER_EXERCISE} checks; {measured}")


def _session(blocks_in_order: Sequence[Block], budget_min: float) -> tuple[Block, ...]:
    """Blocks in course order while they fit, a break every ``BREAK_EVERY_MIN`` minutes."""
    out: list[Block] = []
    used = since_break = 0.0
    for block in blocks_in_order:
        need = block.minutes
        if since_break + need > BREAK_EVERY_MIN and used + BREAK_MIN + need <= budget_min:
            out.append(Block("break", "break", "Break", BREAK_MIN, "stated allowance"))
            used += BREAK_MIN
            since_break = 0.0
        if used + need > budget_min:
            continue  # too long for what is left: a shorter block later may still fit
        out.append(block)
        used += need
        since_break += need
    return tuple(out)


def trainer_kit(reports_dir: str | os.PathLike[str] = "reports", output_dir: str | os.PathLike[str] | None = None, *,
                room_dir: str | os.PathLike[str] | None = None) -> TrainerKit:
    """Build the kit from the rendered reports in ``reports_dir`` (and ``room_dir/room.json`` from
    ``dockopt class prepare`` when given); write ``trainer.html`` and ``trainer.md`` to ``output_dir``
    (default: ``reports_dir``)."""
    reports = Path(reports_dir)
    chapters = _chapters(reports)
    if not chapters:
        raise DockoptError(f"no rendered course chapters in {reports}",
                           hint="render the course first: dockopt report (or make all), then dockopt class kit")
    exercises = all_exercises()
    times = _room_times(Path(room_dir) if room_dir is not None else None)
    by_chapter: dict[str, list[Exercise]] = {}
    for ex in exercises:
        if ex.chapters:
            by_chapter.setdefault(ex.chapters[0], []).append(ex)
    ordered: list[Block] = []
    for ch in sorted(chapters, key=lambda c: c["name"]):
        ordered.append(_chapter_block(ch))
        ordered += [_exercise_block(ex, times.get(ex.name)) for ex in by_chapter.get(ch["number"], [])]
    sessions = {name: _session(ordered, budget) for name, budget in SESSIONS.items()}
    claims = tuple({**c, "chapter": ch["name"], "chapter_title": ch.get("title", "")}
                   for ch in chapters for c in ch.get("claims", ()))
    kit = TrainerKit(chapters=tuple(chapters), exercises=tuple(exercises), sessions=sessions, claims=claims)
    out = Path(output_dir) if output_dir is not None else reports
    out.mkdir(parents=True, exist_ok=True)
    html_path, md_path = out / "trainer.html", out / "trainer.md"
    html_path.write_text(kit_html(kit), encoding="utf-8")
    md_path.write_text(kit_markdown(kit), encoding="utf-8")
    return TrainerKit(kit.chapters, kit.exercises, kit.sessions, kit.claims, str(html_path), str(md_path))


def _plain(markdown: str) -> str:
    return re.sub(r"\*\*|`", "", markdown)


def _sections(kit: TrainerKit) -> list[tuple[str, list[list[str]] | list[str], list[str] | None]]:
    """(heading, rows or paragraphs, table header or None): the kit's content once, for both formats."""
    sections: list[tuple[str, Any, list[str] | None]] = []
    for name, blocks in kit.sessions.items():
        total = sum(b.minutes for b in blocks)
        rows = [[b.kind, b.title, f"{b.minutes:.0f}", b.basis] for b in blocks]
        rows.append(["", f"total ({len([b for b in blocks if b.kind != 'break'])} blocks)", f"{total:.0f}", ""])
        sections.append((f"Outline: {name} session ({SESSIONS[name]:.0f} min)", rows,
                         ["block", "what", "minutes", "based on"]))
    chapter_titles = {c["number"]: c.get("title", c["name"]) for c in kit.chapters}
    def chapter(number: str) -> str:
        title = str(chapter_titles.get(number, ""))
        return title if title.startswith(number) else f"{number} {title}".strip()

    rows = [[ex.name, ex.level, ", ".join(chapter(c) for c in ex.chapters) or "–"] for ex in kit.exercises]
    sections.append(("Chapter → exercise map", rows, ["exercise", "level", "practises chapters"]))
    for ch in sorted(kit.chapters, key=lambda c: c["name"]):
        points = [f"{h.get('text', '')}" for h in ch.get("headlines", ())]
        points += [f"{c['topic']}: the guide says {c['guide']}; here {c['measured']} ({VERDICT_TEXT[c['verdict']]})"
                   for c in ch.get("claims", ())]
        # one point per measured topic: chapters conclude topic by topic
        points += [_plain(c).split(". ")[0].rstrip(".") + "." for c in ch.get("conclusions", ())]
        sections.append((f"Talking points: {ch.get('title') or ch['name']}", points or ["(no measured points)"], None))
    rows = [[c["chapter_title"] or c["chapter"], c["topic"], c["guide"], c["measured"], VERDICT_TEXT[c["verdict"]]]
            for c in kit.wrong_or_incomplete]
    sections.append(("Where the guide is wrong or incomplete, measured",
                     rows or [["–", "–", "every measured claim holds", "", ""]],
                     ["chapter", "topic", "the guide says", "measured here", "verdict"]))
    return sections


def kit_markdown(kit: TrainerKit) -> str:
    lines = ["# Trainer's kit", "",
             "Generated by `dockopt class kit` from the rendered course reports; every number was measured. "
             f"Assumptions: talk {TALK_BASE_MIN:g} min + {TALK_PER_POINT_MIN:g} min per point per chapter, "
             f"learner work {', '.join(f'{k} {v:g} min' for k, v in WORK_MIN.items())}.", ""]
    for heading, body, header in _sections(kit):
        lines += [f"## {heading}", ""]
        if header is None:
            lines += [f"- {p}" for p in body] + [""]
        else:
            lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(str(x).replace("|", "\\|") for x in row) + " |" for row in body] + [""]
    return "\n".join(lines)


_KIT_CSS = """
body{font-family:system-ui,-apple-system,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#1f2328}
h1{font-size:1.5em} h2{font-size:1.15em;margin-top:28px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #d0d7de;padding:5px 8px;text-align:left} th{background:#f6f8fa} .sub{color:#57606a}
"""


def kit_html(kit: TrainerKit) -> str:
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Trainer's kit</title>"
             f"<style>{_KIT_CSS}</style></head><body><h1>Trainer's kit</h1>"
             "<p class='sub'>Generated by <code>dockopt class kit</code> from the rendered course reports; every "
             f"number was measured. Assumptions: talk {TALK_BASE_MIN:g} min + {TALK_PER_POINT_MIN:g} min per point "
             f"per chapter, learner work {e(', '.join(f'{k} {v:g} min' for k, v in WORK_MIN.items()))}.</p>"]
    for heading, body, header in _sections(kit):
        parts.append(f"<h2>{e(heading)}</h2>")
        if header is None:
            parts.append("<ul>" + "".join(f"<li>{e(str(p))}</li>" for p in body) + "</ul>")
        else:
            parts.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr></thead><tbody>"
                         + "".join("<tr>" + "".join(f"<td>{e(str(x))}</td>" for x in row) + "</tr>" for row in body)
                         + "</tbody></table>")
    parts.append("</body></html>")
    return "".join(parts)
