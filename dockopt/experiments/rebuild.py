"""Why did a rebuild miss the cache? ``explain_rebuild(before, after)`` for two builds of one project.

BuildKit says which steps ran and which came from the cache, never why. Everything needed to say why is
in the two ``BuildResult``s: each step placed on its Dockerfile instruction, the digest of every context
file sent, the build args, the image id each base reference had. A step that ran again has its own cause
when one of its inputs changed:

- ``FROM``: the base image id moved;
- ``COPY``/``ADD`` from the context: the content of a file its sources match changed, appeared or went away;
- any step: a build argument in scope in its stage changed (BuildKit puts them in a ``RUN``'s environment
  and so in its cache key), or the instruction's own text changed;

otherwise it ran because the step it builds on ran (the previous step of its stage, the last step of the
stage it is built ``FROM``, or of a stage it copies or mounts from). The first step with its own cause is
the answer; the steps that ran only because of it follow.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from ..build import BuildResult
    from ..dockerfile import Dockerfile, Instruction
    from .cache import CacheScenarios

REBUILD_COLUMNS = ["stage", "index", "line", "instruction", "cached", "duration_s", "cause", "detail"]
CAUSES = ("cached", "context", "build arg", "base image", "instruction", "follows", "unexplained")


@dataclass(frozen=True)
class RebuildExplanation:
    """Why ``after`` re-ran steps that ``before`` had built.

    ``first``: the first step (in Dockerfile order) that ran again for a cause of its own (a row of
    ``steps``), None when every step came from the cache. ``cause`` / ``detail``: that cause (``context``,
    ``build arg``, ``base image``, ``instruction`` or ``unexplained``) and what changed.
    ``changed_files``, ``changed_args`` (name → (before, after)), ``base_moved`` (reference → (before id,
    after id)): every difference found between the two builds' inputs. ``steps``: each row is one
    Dockerfile step of ``after`` with its ``cause`` (``follows``: ran only because the step it builds on ran).
    """

    first: Mapping[str, object] | None
    cause: str | None
    detail: str | None
    changed_files: tuple[str, ...]
    changed_args: Mapping[str, tuple[str | None, str | None]]
    base_moved: Mapping[str, tuple[str | None, str | None]]
    steps: pd.DataFrame = field(repr=False, compare=False)

    @property
    def cascaded(self) -> pd.DataFrame:
        """Each row is one step that ran only because an earlier one did."""
        return self.steps[self.steps["cause"] == "follows"].reset_index(drop=True)

    @property
    def executed_s(self) -> float:
        return float(self.steps.loc[~self.steps["cached"], "duration_s"].fillna(0).sum())

    def summary(self) -> str:
        """One paragraph a person can read: the first miss, why, and what it dragged along."""
        if self.first is None:
            return "Every step came from the cache: nothing ran again."
        f = self.first
        text = (f"First step to run again: line {f['line']} `{f['instruction']}` (stage {f['stage'] or '-'}), "
                f"because {self.detail}.")
        n = len(self.cascaded)
        if n:
            text += (f" {n} later step(s) ran only because it did "
                     f"({self.cascaded['duration_s'].fillna(0).sum():.1f} s of {self.executed_s:.1f} s re-run).")
        return text


def _changed_files(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p)))


def _sources(ins: Instruction) -> list[str]:
    args = [a for a in ins.args if a]
    return args[:-1] if len(args) > 1 else args


def copy_reads(ins: Instruction, path: str) -> bool:
    """Whether ``COPY``/``ADD`` ``ins`` (from the context) reads context file ``path``.

    Sources are matched as BuildKit does for a context: ``.`` (everything), a directory (what is below it),
    a file, or a wildcard pattern (``*.go``: fnmatch, which lets ``*`` cross ``/``, a superset of Go's rule).
    """
    for src in _sources(ins):
        s = src.strip().removeprefix("./").rstrip("/")
        if s in ("", "."):
            return True
        if path == s or path.startswith(s + "/"):
            return True
        if any(c in s for c in "*?[") and (fnmatch.fnmatch(path, s) or fnmatch.fnmatch(path, s + "/*")):
            return True
    return False


def _args_in_scope(parsed: Dockerfile, stage_index: int | None) -> set[str]:
    if stage_index is None:
        return set()
    names: set[str] = set()
    for ins in parsed.stages[stage_index].instructions[1:]:
        if ins.keyword == "ARG":
            names.update(a.partition("=")[0] for a in ins.args)
    return names


def _arg_value(parsed: Dockerfile, stage_index: int | None, name: str, build_args: Mapping[str, str]) -> str | None:
    if name in build_args:
        return build_args[name]
    if stage_index is not None:
        for ins in parsed.stages[stage_index].instructions[1:]:
            if ins.keyword == "ARG":
                for a in ins.args:
                    key, eq, default = a.partition("=")
                    if key == name and eq:
                        return default
    return parsed.global_args.get(name)


def _effective(parsed: Dockerfile, name: str, build_args: Mapping[str, str]) -> str | None:
    """A build arg's value in a build: passed, else the first default an ARG gives it, else None."""
    if name in build_args:
        return build_args[name]
    for s in parsed.stages:
        value = _arg_value(parsed, s.index, name, {})
        if value is not None:
            return value
    return None


def explain_rebuild(before: BuildResult, after: BuildResult) -> RebuildExplanation:
    """Why ``after`` (a later build of the same project) ran the steps it ran; see ``RebuildExplanation``."""
    p_before, p_after = before.parsed, after.parsed
    files = _changed_files(before.context_files, after.context_files)
    arg_names = set(before.build_args) | set(after.build_args) | set(p_after.global_args)
    for s in p_after.stages:
        arg_names |= _args_in_scope(p_after, s.index)
    base_moved = {ref: (before.base_ids.get(ref), after.base_ids.get(ref)) for ref in after.base_ids
                  if ref in before.base_ids and before.base_ids.get(ref) != after.base_ids.get(ref)}

    steps = after.dockerfile_steps
    rows = []
    ran: dict[tuple[int, int], bool] = {}  # (stage_index, position among the stage's steps) -> ran
    last_of_stage: dict[int, tuple[int, int]] = {}
    ordered = steps.dropna(subset=["stage_index", "line"]).sort_values(["stage_index", "index"])
    position: dict[int, int] = {}
    keyed: list[tuple[int, int, Any]] = []
    row: Any
    for row in ordered.itertuples(index=False):
        si = int(row.stage_index)
        position[si] = position.get(si, 0) + 1
        keyed.append((si, position[si], row))
        last_of_stage[si] = (si, position[si])
    # stage order: a stage's dependencies (FROM stage, COPY --from) come first in the file
    for si, pos, row in sorted(keyed, key=lambda k: (k[0], k[1])):
        ins = p_after.instruction_at(int(row.line))
        cause, detail = "cached", ""
        if not row.cached and ins is not None:
            own: list[tuple[str, str]] = []
            if ins.keyword == "FROM":
                ref = next((r for r in base_moved if p_after.stages[si].base in (r, f"docker.io/library/{r}")
                            or r == p_after.stages[si].base), None)
                if ref:
                    own.append(("base image", f"the base image {ref} moved from {base_moved[ref][0]} to "
                                              f"{base_moved[ref][1]}"))
            if ins.keyword in ("COPY", "ADD") and ins.flag("from") is None:
                hit = [f for f in files if copy_reads(ins, f)]
                if hit:
                    shown = ", ".join(hit[:5]) + (f" and {len(hit) - 5} more" if len(hit) > 5 else "")
                    own.append(("context", f"the content of {shown} changed (digest)"))
            args_changed = []
            for name in sorted(_args_in_scope(p_after, si)):
                a = _arg_value(p_before, si if si < len(p_before.stages) else None, name, before.build_args)
                b = _arg_value(p_after, si, name, after.build_args)
                if a != b:
                    args_changed.append(f"{name} ({a!r} → {b!r})")
            if args_changed:
                own.append(("build arg", "build arg " + ", ".join(args_changed) + " changed"))
            old = p_before.instruction_at(int(row.line))
            if old is None or old.original != ins.original:
                own.append(("instruction", "the instruction's own text changed"))
            upstream = []
            if pos > 1:
                upstream.append((si, pos - 1))
            stage = p_after.stages[si]
            if pos == 1 and stage.base_stage is not None and stage.base_stage in last_of_stage:
                upstream.append(last_of_stage[stage.base_stage])
            upstream += [last_of_stage[e.from_stage] for e in p_after.edges
                         if e.to_stage == si and e.kind != "from" and e.from_stage in last_of_stage
                         and e.line <= ins.line_start]
            if own:
                cause, detail = own[0][0], "; ".join(d for _, d in own)
            elif any(ran.get(u) for u in upstream):
                cause, detail = "follows", "the step it builds on ran"
            else:
                cause, detail = "unexplained", ("no input changed: the cache no longer held it "
                                                "(pruned, evicted, or a --no-cache build)")
        ran[(si, pos)] = not row.cached
        rows.append({"stage": row.stage, "index": row.index, "line": int(row.line),
                     "instruction": ins.original if ins is not None else row.instruction, "cached": bool(row.cached),
                     "duration_s": row.duration_s, "cause": cause, "detail": detail})
    table = pd.DataFrame(rows, columns=REBUILD_COLUMNS)
    own_causes = table[~table["cause"].isin(["cached", "follows"])].sort_values("line", kind="stable")
    first = {str(k): v for k, v in own_causes.iloc[0].to_dict().items()} if len(own_causes) else None
    changed_args: dict[str, tuple[str | None, str | None]] = {}
    for name in sorted(arg_names):
        a, b = _effective(p_before, name, before.build_args), _effective(p_after, name, after.build_args)
        if a != b:
            changed_args[name] = (a, b)
    return RebuildExplanation(first=first, cause=None if first is None else str(first["cause"]),
                              detail=None if first is None else str(first["detail"]), changed_files=files,
                              changed_args=changed_args, base_moved=base_moved, steps=table)


def explain_scenarios(results: Mapping[str, BuildResult]) -> pd.DataFrame:
    """Each row is one build of a sequence (``{scenario: BuildResult}`` in build order) explained against
    the build before it: ``scenario``, ``first_step``, ``line``, ``cause``, ``detail``, ``cascaded_steps``,
    ``executed_s``."""
    rows = []
    previous = None
    for name, result in results.items():
        if previous is not None:
            e = explain_rebuild(previous, result)
            rows.append({"scenario": name, "first_step": None if e.first is None else e.first["instruction"],
                         "line": None if e.first is None else e.first["line"], "cause": e.cause or "cached",
                         "detail": e.detail or "every step came from the cache",
                         "cascaded_steps": len(e.cascaded), "executed_s": round(e.executed_s, 2)})
        previous = result
    out = pd.DataFrame(rows, columns=["scenario", "first_step", "line", "cause", "detail", "cascaded_steps",
                                      "executed_s"])
    out["line"] = out["line"].astype("Int64")
    return out


def explain_cache_runs(scenarios: CacheScenarios | Mapping[tuple[str, str], BuildResult]) -> pd.DataFrame:
    """Each row is one build of ``experiments.cache_scenarios(...)`` explained against the build before it
    of the same variant: ``variant`` plus the columns of ``explain_scenarios``.

    Takes the ``CacheScenarios`` itself (or its ``builds``: ``{(variant, scenario): BuildResult}`` in build
    order), since an explanation needs each build's steps and context digests, not only the ``runs`` table.
    """
    builds = scenarios.builds if hasattr(scenarios, "builds") else scenarios
    if isinstance(builds, pd.DataFrame) or not isinstance(builds, Mapping):
        from ..errors import DockoptError

        raise DockoptError("explain_cache_runs needs the CacheScenarios, not its runs table",
                           hint="pass what experiments.cache_scenarios(...) returned: explain_cache_runs(scenarios)")
    per_variant: dict[str, dict[str, BuildResult]] = {}
    for (variant, scenario), result in builds.items():
        per_variant.setdefault(variant, {})[scenario] = result
    frames = []
    for variant, results in per_variant.items():
        table = explain_scenarios(results)
        table.insert(0, "variant", variant)
        frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
