"""A graded exercise: one row per criterion with its measured number, as text, HTML and a DataFrame.

Pure: a ``Scorecard`` is made from measurements (``grade.check`` measures them on a real build;
unit tests make them from recorded numbers), and renders without an engine.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..units import human_bytes, human_seconds
from .spec import Criterion

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..checks.rule import Verdict

SCORE_COLUMNS = ["criterion", "title", "kind", "measured", "threshold", "unit", "passed", "shown", "limit", "detail",
                 "hint"]


@dataclass(frozen=True)
class Measurement:
    """What grading one criterion found: the number (None when it could not be measured), whether it
    passes, and the same in words (``shown``) with what was found (``detail``: paths, steps, errors)."""

    value: float | None
    passed: bool
    shown: str
    detail: str = ""


def _plural(n: float, word: str) -> str:
    return f"{n:g} {word}" + ("" if n == 1 else "s")


def limit_text(c: Criterion) -> str:
    """The threshold in words: ``≤ 200 MB``, ``≤ 1 step``, ``within 60 s``, ``none``."""
    calibrated = " (calibrated here)" if c.calibrated else ""
    if c.unit == "bytes":
        return f"≤ {human_bytes(c.threshold)}{calibrated}"
    if c.kind == "layers":
        return f"≤ {_plural(c.threshold, 'layer')}{calibrated}"
    if c.kind == "rebuild_steps":
        return f"≤ {_plural(c.threshold, 'step')}"
    if c.kind == "health":
        return f"within {c.threshold:g} s"
    if c.kind == "ca_bundle":
        return f"≥ {_plural(c.threshold, 'certificate')}"
    if c.kind == "detects_failure":
        return f"unhealthy within {c.threshold:g} s"
    return {"non_root": "not root", "healthcheck": "defined", "files_present": "all present",
            "reused_after_edit": "reused, edit shipped"}.get(c.kind, "none")


def not_measured(reason: str) -> Measurement:
    return Measurement(None, False, "not measured", reason)


def row(c: Criterion, m: Measurement) -> dict[str, Any]:
    """One tidy row of a scorecard (``SCORE_COLUMNS``)."""
    return {"criterion": c.id, "title": c.title, "kind": c.kind, "measured": m.value, "threshold": c.threshold,
            "unit": c.unit, "passed": bool(m.passed), "shown": m.shown, "limit": limit_text(c), "detail": m.detail,
            "hint": c.hint}


def frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Each row is one criterion of one graded build (``SCORE_COLUMNS``; ``measured`` is NaN where it
    could not be measured)."""
    import pandas as pd

    out = pd.DataFrame(list(rows), columns=SCORE_COLUMNS)
    out["measured"] = pd.to_numeric(out["measured"], errors="coerce").astype(float)
    out["threshold"] = out["threshold"].astype(float)
    out["passed"] = out["passed"].astype(bool)
    return out


@dataclass(frozen=True)
class Scorecard:
    """One learner's Dockerfile graded against one exercise.

    ``criteria``: each row is one criterion: ``criterion`` (id), ``title``, ``kind``, ``measured``
    (bytes, steps, layers, seconds, or a count of what was found), ``threshold``, ``unit``,
    ``passed``, ``shown``/``limit`` (the same in human units), ``detail`` (what was found), ``hint``.
    ``build_error``: why the Dockerfile did not build (every criterion then fails, not measured).
    ``image``: the graded image's tag; ``kept``: whether it is still there (``check`` removes it unless asked
    to keep it).
    """

    exercise: str
    title: str
    path: str
    learner: str
    image: str | None
    build_error: str | None
    build_s: float | None
    check_s: float
    bases: tuple[str, ...]
    criteria: pd.DataFrame = field(repr=False, compare=False)
    kept: bool = False

    @property
    def passed(self) -> bool:
        """Every criterion passes (and the Dockerfile built)."""
        return self.build_error is None and bool(self.criteria["passed"].all())

    @property
    def n_passed(self) -> int:
        return int(self.criteria["passed"].sum())

    @property
    def n_criteria(self) -> int:
        return len(self.criteria)

    @property
    def score(self) -> str:
        return f"{self.n_passed}/{self.n_criteria}"

    @property
    def failed(self) -> pd.DataFrame:
        """The rows that did not pass."""
        return self.criteria[~self.criteria["passed"]].reset_index(drop=True)

    def check_verdict(self) -> Verdict:
        """The scorecard as the exercise pack's ``Verdict`` (one result per criterion), to render as text,
        JSON, JUnit or SARIF with ``dockopt.checks.render``."""
        from ..checks.packs.exercise import EXERCISE_RULES, PACK
        from ..checks.rule import FAIL, PASS, Result, Verdict

        results = []
        for r in self.criteria.to_dict("records"):
            rule = EXERCISE_RULES[r["kind"]]
            status = PASS if r["passed"] else FAIL  # not measured fails, as it does on the scorecard
            measured = None if r["measured"] != r["measured"] else r["measured"]  # NaN: not measured
            results.append(Result(r["criterion"], status, r["shown"], PACK, value=measured, threshold=r["limit"],
                                  detail=r["detail"], severity=rule.severity, title=r["title"]))
        return Verdict(results=tuple(results), subject=self.image or self.path)

    @property
    def base_images(self) -> tuple[str, ...]:
        """The base images the graded build resolved (what ``report.provenance`` checks for stand-ins)."""
        return self.bases

    def verdict(self) -> str:
        if self.build_error is not None:
            return "not graded: " + str(self.criteria["detail"].iloc[0] if len(self.criteria) else self.build_error)
        if self.passed:
            return f"passed: all {self.n_criteria} criteria"
        n = self.n_criteria - self.n_passed
        return f"not yet: {n} of {self.n_criteria} criteria " + ("fails" if n == 1 else "fail")

    def to_text(self) -> str:
        built = f", built in {human_seconds(self.build_s)}" if self.build_s is not None else ""
        lines = [f"Exercise {self.exercise}: {self.title}",
                 f"graded: {self.path}" + (f" (image {self.image}{built}, {self._image_state()})" if self.image
                                           else ""), ""]
        if self.build_error is not None:
            lines += ["  the Dockerfile did not build:", *("    " + x for x in self.build_error.splitlines()), ""]
        rows = self.criteria.to_dict("records")
        w_id = max([len(str(r["criterion"])) for r in rows] + [9])
        w_title = min(48, max([len(str(r["title"])) for r in rows] + [5]))
        w_shown = min(32, max([len(str(r["shown"])) for r in rows] + [8]))
        for r in rows:
            title = str(r["title"])
            title = title if len(title) <= w_title else title[:w_title - 1] + "…"
            shown = str(r["shown"])
            shown = shown if len(shown) <= w_shown else shown[:w_shown - 1] + "…"
            lines.append(f"  {'PASS' if r['passed'] else 'FAIL'}  {r['criterion']:<{w_id}}  {title:<{w_title}}  "
                         f"{shown:<{w_shown}}  {r['limit']}")
            if not r["passed"]:
                if r["detail"]:
                    lines.append(f"        {r['detail']}")
                lines.append(f"        hint: {r['hint']}")
        lines += ["", f"score: {self.score}, {self.verdict()} (checked in {human_seconds(self.check_s)})"]
        return "\n".join(lines)

    def _image_state(self) -> str:
        return "kept" if self.kept else "removed after grading"

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        return scorecard_html(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Scorecard:
        """A scorecard back from ``to_record`` (e.g. one recorded from a real check)."""
        fields = {k: record[k] for k in ("exercise", "title", "path", "learner", "image", "build_error", "build_s",
                                         "check_s")}
        return cls(**fields, bases=tuple(record.get("bases") or ()), criteria=frame(record["criteria"]),
                   kept=bool(record.get("kept", False)))

    def to_record(self) -> dict[str, Any]:
        """The scorecard as plain data (JSON-ready)."""
        import json

        return {"exercise": self.exercise, "title": self.title, "path": self.path, "learner": self.learner,
                "image": self.image, "passed": self.passed, "score": self.score, "build_error": self.build_error,
                "build_s": self.build_s, "check_s": self.check_s, "bases": list(self.bases), "kept": self.kept,
                "criteria": json.loads(self.criteria.to_json(orient="records"))}


PASS_COLOUR, FAIL_COLOUR = "#1a7f37", "#cf222e"
PASS_TINT, FAIL_TINT = "#e6f4ea", "#fdecea"


def scorecard_html(card: Scorecard) -> str:
    """The scorecard as an HTML fragment: a coloured row per criterion, a hint under each failed one."""
    e = html.escape
    ok = card.passed
    colour = PASS_COLOUR if ok else FAIL_COLOUR
    head = (f'<div style="font-family:system-ui,sans-serif;max-width:980px">'
            f'<div style="display:flex;gap:12px;align-items:baseline;flex-wrap:wrap">'
            f'<span style="background:{colour};color:#fff;border-radius:4px;padding:2px 10px;font-weight:600">'
            f'{e(card.score)}</span><strong>Exercise {e(card.exercise)}</strong><span>{e(card.title)}</span></div>'
            f'<div style="color:#57606a;margin:4px 0 8px">{e(card.verdict())} · graded {e(card.path)}'
            + (f" · image <code>{e(card.image)}</code> ({e(card._image_state())})" if card.image else "")
            + (f" · built in {e(human_seconds(card.build_s))}" if card.build_s is not None else "") + "</div>")
    error = ""
    if card.build_error is not None:
        error = (f'<pre style="background:{FAIL_TINT};border-left:4px solid {FAIL_COLOUR};padding:8px;'
                 f'white-space:pre-wrap">{e(card.build_error)}</pre>')
    # Explicit alignment and borders: notebook front ends restyle bare tables (JupyterLab right-aligns cells).
    cell = "text-align:left;vertical-align:top;padding:4px 8px;border:none"
    cells = []
    for r in card.criteria.to_dict("records"):
        tint, mark = (PASS_TINT, "✔ pass") if r["passed"] else (FAIL_TINT, "✘ fail")
        colour = PASS_COLOUR if r["passed"] else FAIL_COLOUR
        cells.append(f'<tr style="background:{tint};border-top:2px solid #fff">'
                     f'<td style="{cell};width:1%;color:{colour};font-weight:600;white-space:nowrap">{mark}</td>'
                     f'<td style="{cell}">{e(str(r["title"]))}<br><code style="color:#57606a">{e(str(r["criterion"]))}'
                     f'</code></td><td style="{cell};white-space:nowrap"><strong>{e(str(r["shown"]))}</strong></td>'
                     f'<td style="{cell};white-space:nowrap">{e(str(r["limit"]))}</td></tr>')
        if not r["passed"]:
            detail = (f'<div style="color:#57606a;word-break:break-all">{e(str(r["detail"]))}</div>'
                      if r["detail"] else "")
            cells.append(f'<tr style="background:{tint}"><td style="{cell}"></td><td style="{cell}" colspan="3">'
                         f'{detail}<div><strong>hint:</strong> {e(str(r["hint"]))}</div></td></tr>')
    table = ('<table style="border-collapse:collapse;width:100%;table-layout:auto">'
             '<colgroup><col style="width:7%"><col style="width:48%"><col style="width:25%"><col style="width:20%">'
             f'</colgroup><thead><tr>'
             f'<th style="{cell}"></th><th style="{cell}">criterion</th><th style="{cell}">measured</th>'
             f'<th style="{cell}">limit</th></tr></thead><tbody>' + "".join(cells) + "</tbody></table>")
    return head + error + table + "</div>"
