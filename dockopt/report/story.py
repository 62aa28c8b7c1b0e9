"""What a notebook found, said once for the reader and once for the reports' front page.

A notebook's last cells call ``report.headline(subject, before, after)`` for each measured change
("node-express: 1.09 GB → 152 MB, 86.1 % smaller") and ``report.conclusion(text)`` for its
conclusion computed from the numbers. Each shows Markdown in the notebook and the report, and
leaves a machine-readable copy in the cell's output (``STORY_MIME``), the way ``provenance`` does;
the renderer reads them back from the executed notebook (``recorded_story``) for ``index.html``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ..units import human_bytes, human_seconds

STORY_MIME = "application/vnd.dockopt.story+json"

# unit -> (how one value is shown, word when after < before, word when after > before)
UNITS: dict[str, tuple[Any, str, str]] = {
    "bytes": (human_bytes, "smaller", "larger"),
    "seconds": (human_seconds, "faster", "slower"),
    "count": (lambda n: f"{n:,.0f}", "fewer", "more"),
}


@dataclass(frozen=True)
class Headline:
    """One measured change: ``subject`` went from ``before`` to ``after`` (in ``unit``: bytes, seconds, count).

    ``labels`` name the two sides (e.g. naive, optimised); ``text`` is the sentence a reader sees.
    """

    subject: str
    before: float
    after: float
    unit: str = "bytes"
    labels: tuple[str, str] | None = None

    @property
    def change(self) -> float:
        """Fraction of ``before`` that ``after`` saves (0.86 = 86 % smaller); negative when it grew."""
        return 1.0 - self.after / self.before if self.before else 0.0

    @property
    def figures(self) -> str:
        """"1.09 GB → 152 MB, 86.1 % smaller": the change without its subject."""
        show, less, more = UNITS[self.unit]
        if self.after == self.before:
            trend = "no change"
        elif self.before and self.after and max(self.before, self.after) / min(self.before, self.after) >= 100:
            # "100.0 % smaller" hides how much: past 100× the factor says it
            factor = max(self.before, self.after) / min(self.before, self.after)
            trend = f"{factor:,.0f}× {less if self.after < self.before else more}"
        else:
            trend = f"{abs(self.change) * 100:.1f} % {less if self.after < self.before else more}"
        return f"{show(self.before)} → {show(self.after)}, {trend}"

    @property
    def text(self) -> str:
        sides = f" ({self.labels[0]} → {self.labels[1]})" if self.labels else ""
        return f"{self.subject}: {self.figures}{sides}"

    def markdown(self) -> str:
        sides = f" ({self.labels[0]} → {self.labels[1]})" if self.labels else ""
        values, trend = self.figures.split(", ", 1)
        return f"**{self.subject}**: {values}, **{trend}**{sides}"

    def record(self) -> dict[str, Any]:
        return {"kind": "headline", **asdict(self), "text": self.text, "figures": self.figures,
                "change": self.change}


@dataclass(frozen=True)
class Conclusion:
    """A notebook's conclusion, computed from its numbers, as Markdown."""

    markdown: str

    def record(self) -> dict[str, Any]:
        return {"kind": "conclusion", "markdown": self.markdown}


def _markdown_plain(markdown: str) -> str:
    return re.sub(r"\*\*|`", "", markdown)


def _show(markdown: str, record: dict[str, Any]) -> None:
    """Display ``markdown`` (in a notebook) with ``record`` beside it for the index; nothing outside IPython."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    if get_ipython() is None:
        return
    display({STORY_MIME: record, "text/markdown": markdown, "text/plain": _markdown_plain(markdown)}, raw=True)


def headline(subject: str, before: float, after: float, *, unit: str = "bytes",
             labels: tuple[str, str] | None = ("naive", "optimised")) -> Headline:
    """Show and record one measured change, e.g. ``headline("node-express", 1.09e9, 1.52e8)`` →
    "node-express: 1.09 GB → 152 MB, 86.1 % smaller (naive → optimised)". ``unit``: bytes, seconds
    or count; ``labels``: what the two sides are (None to leave them out)."""
    if unit not in UNITS:
        from ..errors import DockoptError

        raise DockoptError(f"headline unit {unit!r} is not one of {', '.join(UNITS)}",
                           hint="measure sizes in bytes, times in seconds, anything else as a count")
    h = Headline(subject, float(before), float(after), unit, (str(labels[0]), str(labels[1])) if labels else None)
    _show(h.markdown(), h.record())
    return h


def conclusion(markdown: str) -> Conclusion:
    """Show and record a notebook's conclusion (Markdown computed from its numbers)."""
    c = Conclusion(markdown.strip())
    _show(c.markdown, c.record())
    return c


Verdict = Literal["holds", "partly", "fails", "not measured"]
VERDICTS: tuple[Verdict, ...] = ("holds", "partly", "fails", "not measured")
# how a verdict reads beside its claim, in a notebook, a report and the trainer's kit
VERDICT_TEXT: dict[str, str] = {"holds": "✔ holds", "partly": "◐ partly", "fails": "✘ does not hold",
                                "not measured": "– not measured"}


@dataclass(frozen=True)
class Claim:
    """One claim of the guide, and what was measured here: ``verdict`` is computed by the notebook from
    its numbers (``holds``, ``partly``, ``fails``) or ``not measured`` with ``measured`` saying why."""

    topic: str
    guide: str        # what the guide says, cited briefly
    measured: str     # what was measured here, with its numbers
    verdict: Verdict

    def markdown(self) -> str:
        return (f"**{self.topic}**: the guide says {self.guide}; measured here: {self.measured} "
                f"(**{VERDICT_TEXT[self.verdict]}**)")

    def record(self) -> dict[str, Any]:
        return {"kind": "claim", **asdict(self)}


def claim(topic: str, guide: str, measured: str, verdict: Verdict | bool) -> Claim:
    """Show and record one of the guide's claims beside what was measured. ``verdict``: ``True``/``False``
    (holds / fails) or one of ``VERDICTS``, computed from the numbers, never typed in as a constant."""
    if isinstance(verdict, bool):
        verdict = "holds" if verdict else "fails"
    if verdict not in VERDICTS:
        from ..errors import DockoptError

        raise DockoptError(f"claim verdict {verdict!r} is not one of {', '.join(VERDICTS)}",
                           hint="pass a bool computed from the measurement, or 'partly' / 'not measured'")
    c = Claim(topic, guide, measured, verdict)
    _show(c.markdown(), c.record())
    return c


@dataclass(frozen=True)
class Story:
    """What an executed notebook says about itself: title, question, headlines, conclusion, the guide's
    claims it measured."""

    title: str
    question: str
    headlines: tuple[dict[str, Any], ...]
    conclusions: tuple[str, ...]
    claims: tuple[dict[str, Any], ...] = ()


_QUESTION = re.compile(r"\*\*Question\.\*\*\s*(.+?)(?:\n\s*\n|\Z)", re.S)


def recorded_story(nb: Any) -> Story:
    """Title and question from the notebook's first Markdown cell (``# Title``, ``**Question.** ...``),
    headlines and conclusions from the outputs ``headline()`` and ``conclusion()`` left."""
    title = question = ""
    for cell in nb.cells:
        if cell.get("cell_type") == "markdown":
            text = cell.get("source", "")
            text = "".join(text) if isinstance(text, list) else text
            if not title:
                title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), "")
            found = _QUESTION.search(text)
            if found and not question:
                question = " ".join(found.group(1).split())
            if title and question:
                break
    headlines: list[dict[str, Any]] = []
    conclusions: list[str] = []
    claims: list[dict[str, Any]] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(STORY_MIME)
            if payload is None:
                continue
            payload = json.loads(payload) if isinstance(payload, str) else payload
            if payload.get("kind") == "headline":
                headlines.append(dict(payload))
            elif payload.get("kind") == "conclusion":
                conclusions.append(str(payload.get("markdown", "")))
            elif payload.get("kind") == "claim":
                claims.append(dict(payload))
    return Story(title=title, question=question, headlines=tuple(headlines), conclusions=tuple(conclusions),
                 claims=tuple(claims))
