"""The exercise criteria as rules: one per criterion kind, each reading the image's facts.

A criterion (``dockopt.exercises.spec.Criterion``: ``kind``, ``threshold``, ``paths``, ``any_layer``,
``edit``) is the setting its rule evaluates with; grading builds the facts once from what the
exercise's criteria read (``EXERCISE_RULES[kind].reads``) and evaluates each criterion on them. The
``Outcome`` carries the measured value, ``message`` (the scorecard's "shown") and ``detail``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ...units import human_bytes, human_seconds
from ..facts import ImageFacts, healthcheck_declared
from ..rule import Outcome, Result, Rule, Severity, Verdict, result_of

if TYPE_CHECKING:  # pragma: no cover
    from ...image.table import FileTable
    from ...smoke import SmokeResult

PACK = "exercise"
SHOWN_PATHS = 6  # paths listed in a detail
NOT_MEASURED = "not measured"


class CriterionLike(Protocol):
    """What a rule reads of a criterion (``dockopt.exercises.spec.Criterion`` has it)."""

    @property
    def kind(self) -> str: ...
    @property
    def threshold(self) -> float: ...
    @property
    def paths(self) -> tuple[str, ...]: ...
    @property
    def any_layer(self) -> bool: ...
    @property
    def edit(self) -> str | None: ...


def not_measured(reason: str) -> Outcome:
    return Outcome(False, None, NOT_MEASURED, reason)


def paths_text(paths: Iterable[str]) -> str:
    paths = list(paths)
    shown = ", ".join(paths[:SHOWN_PATHS])
    return shown + (f" and {len(paths) - SHOWN_PATHS} more" if len(paths) > SHOWN_PATHS else "")


def at_most(c: CriterionLike, value: float, shown: str, detail: str = "") -> Outcome:
    return Outcome(value <= c.threshold, value, shown, detail)


def count_absent(found: list[str], what: str) -> Outcome:
    """An absence criterion: passes when ``found`` is empty."""
    return Outcome(not found, len(found), "none found" if not found else f"{len(found)} {what} found",
                   paths_text(found))


def outermost(paths: Iterable[str]) -> dict[str, int]:
    """Each path not inside another of ``paths``, with how many of ``paths`` it holds (itself included)."""
    out: dict[str, int] = {}
    top: str | None = None
    for p in sorted(paths):
        if top is not None and p.startswith(top.rstrip("/") + "/"):
            out[top] += 1
        else:
            top = p
            out[p] = 1
    return out


def matches(path: str, pattern: str) -> bool:
    """``pattern`` (``*`` crosses ``/``) matches ``path``, or names a directory ``path`` is inside."""
    return fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern.rstrip("/") + "/")


def matching_paths(table: FileTable, patterns: Iterable[str], *, any_layer: bool,
                   files_only: bool = False) -> list[str]:
    """Paths of entries matching any pattern: in any layer (what ships, even if a later layer hides it)
    or only in the final filesystem; whiteouts are never matches."""
    from ...image.table import DIR, WHITEOUT

    pats = list(patterns)
    out: dict[str, None] = {}
    for i, path in enumerate(table.path):
        kind = table.kind[i]
        if kind == WHITEOUT or (files_only and kind == DIR) or (not any_layer and not table.visible[i]):
            continue
        if any(matches(path, p) for p in pats):
            out[path] = None
    return list(out)


# --- one measurement per kind: pure functions of facts ---------------------------------------------------

def files_absent(c: CriterionLike, table: FileTable) -> Outcome:
    """Counts the outermost matches (``/app/.git``, not each file in it); the detail says how many entries each holds
    and whether a later layer deleted them (they still ship: a pull downloads every layer)."""
    found = outermost(matching_paths(table, c.paths, any_layer=c.any_layer))
    visible = set(matching_paths(table, c.paths, any_layer=False)) if c.any_layer else set(found)
    hidden = [p for p in found if p not in visible]
    words = []
    for path, n in found.items():
        notes = [f"{n} entries"] if n > 1 else []
        if path in hidden and len(hidden) < len(found):
            notes.append("deleted by a later layer, still shipped")
        words.append(f"{path} ({', '.join(notes)})" if notes else path)
    m = count_absent(words, "path" if len(words) == 1 else "paths")
    if hidden and len(hidden) == len(found):
        return Outcome(m.passed, m.value, m.message, "all deleted by a later layer, still shipped: " + m.detail)
    return m


def files_present(c: CriterionLike, table: FileTable) -> Outcome:
    missing = [p for p in c.paths if not matching_paths(table, [p], any_layer=False)]
    return Outcome(not missing, len(missing), "all present" if not missing else f"{len(missing)} missing",
                   ("missing: " + paths_text(missing)) if missing else "")


def secrets_absent(findings: Iterable[Any]) -> Outcome:
    """``findings``: ``SecretFinding`` rows (path, rule, layer, deleted_later); counts every finding, lists each
    place once."""
    places: dict[str, int] = {}
    for f in findings:
        key = f"{f.path} ({f.rule}, layer {f.layer}{', deleted later, still shipped' if f.deleted_later else ''})"
        places[key] = places.get(key, 0) + 1
    n = sum(places.values())
    detail = paths_text(f"{k} ×{v}" if v > 1 else k for k, v in places.items())
    return Outcome(n == 0, n, "none found" if n == 0 else f"{n} secret{'s' if n > 1 else ''} found", detail)


def user_not_root(user: str, root: bool) -> Outcome:
    shown = f"root (USER {user})" if root and user else ("root (no USER)" if root else f"USER {user}")
    return Outcome(not root, 1 if root else 0, shown)


def healthcheck_defined(healthcheck: Sequence[str]) -> Outcome:
    defined = healthcheck_declared(healthcheck)
    shown = "defined" if defined else ("disabled (NONE)" if healthcheck else "none")
    return Outcome(defined, 0 if defined else 1, shown, " ".join(healthcheck[1:])[:200] if defined else "")


def rebuild_steps(c: CriterionLike, steps: Any) -> Outcome:
    """``steps``: ``BuildResult.dockerfile_steps`` of the rebuild after the edit."""
    executed = steps[~steps["cached"].astype(bool)]
    names = []
    for r in executed.to_dict("records"):
        stage = f"{r['stage']} " if isinstance(r["stage"], str) and r["stage"] else ""  # None or NaN: unnamed
        names.append(f"[{stage}{r['index']}/{r['total']}] {r['instruction']}")
    n = len(names)
    return at_most(c, n, f"{n} step" + ("" if n == 1 else "s"), ("rerun: " + "; ".join(names)) if names else "")


def healthy_in_time(c: CriterionLike, result: SmokeResult) -> Outcome:
    ready = result.healthy_s if result.has_healthcheck and result.healthy_s is not None else result.http_ok_s
    if ready is None:  # ready by another check (the process staying up): docker run to ready
        ready = result.ready_s
    shown = f"{'healthy' if result.has_healthcheck else 'HTTP 200'} after {human_seconds(ready)}"
    detail = (f"HTTP {result.http_status} on {result.health_path} after {human_seconds(result.http_ok_s)}"
              + (f"; Docker reported healthy after {human_seconds(result.healthy_s)}" if result.has_healthcheck
                 else "; no HEALTHCHECK, so only the HTTP answer was checked"))
    return at_most(c, ready, shown, detail)


def _size(f: ImageFacts, c: CriterionLike) -> Outcome:
    assert f.size_bytes is not None
    return at_most(c, f.size_bytes, human_bytes(f.size_bytes))


def _compressed(f: ImageFacts, c: CriterionLike) -> Outcome:
    comp = f.compressed
    return at_most(c, comp.total_bytes, human_bytes(comp.total_bytes),
                   f"{human_bytes(sum(comp.layer_bytes))} of layers, gzip level 6, in {len(comp.layer_bytes)} layers")


def _layers(f: ImageFacts, c: CriterionLike) -> Outcome:
    n = f.layers or 0
    return at_most(c, n, f"{n} layer" + ("" if n == 1 else "s"))


def _non_root(f: ImageFacts, c: CriterionLike) -> Outcome:
    return user_not_root(f.user or "", bool(f.runs_as_root))


def _healthcheck(f: ImageFacts, c: CriterionLike) -> Outcome:
    return healthcheck_defined(f.healthcheck or ())


def _health(f: ImageFacts, c: CriterionLike) -> Outcome:
    from ...errors import EngineError, SmokeFailed

    outcome = f.smoke
    if isinstance(outcome, EngineError):
        said = outcome.message.split("the engine refused: ")[-1]
        said = said.split("unable to start container process: ")[-1]  # runc's words, past its prefixes
        return Outcome(False, None, "did not start", f"the container could not start: {said}")
    if isinstance(outcome, SmokeFailed):
        logs = [x.strip() for x in outcome.logs.strip().splitlines()[-3:]]
        said = f"; its log ends: {' | '.join(logs)}" if logs else "; it logged nothing"
        return Outcome(False, None, "not healthy", outcome.message.splitlines()[0] + said)
    return healthy_in_time(c, outcome)


def _rebuild(f: ImageFacts, c: CriterionLike) -> Outcome:
    steps = (f.rebuilds or {}).get(c.edit or "")
    if steps is None or isinstance(steps, str):  # why the rebuild could not be measured
        return not_measured(steps or f"no rebuild after editing {c.edit}")
    return rebuild_steps(c, steps)


def _secrets(f: ImageFacts, c: CriterionLike) -> Outcome:
    return secrets_absent(f.secrets or ())


def _programs(name: str) -> Any:
    def evaluate(f: ImageFacts, c: CriterionLike) -> Outcome:
        found = list(getattr(f, name) or ())
        return count_absent(found, "program" if len(found) == 1 else "programs")
    return evaluate


def _files_absent(f: ImageFacts, c: CriterionLike) -> Outcome:
    assert f.files is not None
    return files_absent(c, f.files)


def _files_present(f: ImageFacts, c: CriterionLike) -> Outcome:
    assert f.files is not None
    return files_present(c, f.files)


@dataclass(frozen=True)
class Probe:
    """What a run that tries the exercise's goal measured: ``value`` (certificates loaded; seconds the run
    watched; layers the rebuild after an edit did not reuse), whether it ``noticed`` (the health status
    turned unhealthy; the edit is in the rebuilt image; None where that does not apply), ``shown`` and
    ``detail`` for the scorecard."""

    value: float
    shown: str
    detail: str = ""
    noticed: bool | None = None


def _probe(f: ImageFacts, c: CriterionLike) -> Probe | Outcome:
    probe = (f.probes or {}).get(getattr(c, "id", c.kind))
    return probe if isinstance(probe, Probe) else not_measured(str(probe or f"no run for {c.kind}"))


def _ca_bundle(f: ImageFacts, c: CriterionLike) -> Outcome:
    """Passes when the bundle holds at least ``min_certs`` CA certificates that TLS loads: a file at the
    right path that is empty, truncated or one self-made certificate does not verify real peers."""
    p = _probe(f, c)
    if isinstance(p, Outcome):
        return p
    return Outcome(p.value >= c.threshold, p.value, p.shown, p.detail)


def _detects_failure(f: ImageFacts, c: CriterionLike) -> Outcome:
    """Passes when Docker reports the broken app unhealthy within the deadline: a HEALTHCHECK that
    always succeeds (``CMD true``) is defined, but notices nothing."""
    p = _probe(f, c)
    if isinstance(p, Outcome):
        return p
    return Outcome(bool(p.noticed) and p.value <= c.threshold, p.value, p.shown, p.detail)


def _reused_after_edit(f: ImageFacts, c: CriterionLike) -> Outcome:
    """Passes when the rebuild after the source edit reuses every layer holding ``paths`` (the same layer
    digest: the dependencies were not installed again) and the edit is in the rebuilt image (``noticed``).
    Counting rerun steps alone passes a single ``RUN --mount=type=bind ... npm ci`` that copies the
    sources and reinstalls everything in one step."""
    p = _probe(f, c)
    if isinstance(p, Outcome):
        return p
    return Outcome(bool(p.noticed) and p.value <= c.threshold, p.value, p.shown, p.detail)


def _rule(kind: str, title: str, evaluate: Any, reads: tuple[str, ...]) -> Rule:
    return Rule(kind, "true", lambda _: None, evaluate, PACK, title=title, severity=Severity.ERROR, reads=reads)


EXERCISE_RULES: Mapping[str, Rule] = {r.id: r for r in (
    _rule("size", "image size at most the limit", _size, ("size_bytes",)),
    _rule("compressed_size", "compressed size at most the limit", _compressed, ("compressed",)),
    _rule("layers", "layers at most the limit", _layers, ("layers",)),
    _rule("non_root", "runs as a non-root user", _non_root, ("runs_as_root",)),
    _rule("healthcheck", "defines a HEALTHCHECK", _healthcheck, ("healthcheck",)),
    _rule("health", "healthy within the limit", _health, ("smoke",)),
    _rule("rebuild_steps", "steps rerun after a source edit at most the limit", _rebuild, ("rebuilds",)),
    _rule("no_secrets", "no secrets in any layer", _secrets, ("secrets",)),
    _rule("no_shell", "no shell", _programs("shells"), ("shells",)),
    _rule("no_compiler", "no compiler", _programs("compilers"), ("compilers",)),
    _rule("no_package_manager", "no package manager", _programs("package_managers"), ("package_managers",)),
    _rule("files_absent", "none of these paths ship", _files_absent, ("files",)),
    _rule("files_present", "these paths are in the final filesystem", _files_present, ("files",)),
    _rule("ca_bundle", "a CA bundle TLS can verify peers with", _ca_bundle, ("probes",)),
    _rule("detects_failure", "the HEALTHCHECK notices a broken app", _detects_failure, ("probes",)),
    _rule("reused_after_edit", "a source edit ships without rebuilding these paths", _reused_after_edit,
          ("probes",)),
)}


def reads(criteria: Iterable[CriterionLike]) -> set[str]:
    """The facts a set of criteria needs (what grading must measure, nothing more)."""
    return {name for c in criteria for name in EXERCISE_RULES[c.kind].reads}


def measure(c: CriterionLike, facts: ImageFacts) -> Outcome:
    """One criterion on the facts (not measured when a fact it reads is missing)."""
    rule = EXERCISE_RULES[c.kind]
    missing = rule.missing(facts)
    if missing:
        return not_measured(f"not measured: {', '.join(missing)}")
    out = rule.evaluate(facts, c)
    assert isinstance(out, Outcome)
    return out


def criteria_verdict(facts: ImageFacts, criteria: Iterable[Any]) -> Verdict:
    """Every criterion as a ``Result`` (id: the criterion's id), for the formats."""
    results: list[Result] = []
    for c in criteria:
        rule = EXERCISE_RULES[c.kind]
        common = {"source": PACK, "severity": rule.severity, "title": getattr(c, "title", "") or rule.title,
                  "threshold": str(c.threshold)}
        r = result_of(rule, measure(c, facts), common)
        results.append(Result(getattr(c, "id", c.kind), r.status, r.message, r.source, r.value, r.threshold, r.detail,
                              r.severity, r.title))
    return Verdict(results=tuple(results), subject=facts.image)
