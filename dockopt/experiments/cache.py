"""Cache behaviour: what a rebuild costs after no change, a source edit, a dependency change; on a private
copy of the project, so the user's tree is never modified."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import naming
from ..build import BuildResult
from ..errors import ProjectError, SampleError
from ..project import Project
from ..samples import Sample
from ..workspace import FileEdit, Workspace, copy_sent, edit_file, replace_file, unique_marker
from .builds import ProjectLike, _bases, project_tag, resolve

SCENARIOS = ("cold", "unchanged", "source edit", "dependency change")
RUN_COLUMNS = ["variant", "scenario", "wall_s", "steps_executed", "steps_cached", "executed_s", "first_executed",
               "changed_files", "skipped", "bases", "repeats"]
EDIT_COLUMNS = ["variant", "scenario", "path", "how", "bytes_before", "bytes_after"]


@dataclass(frozen=True)
class CacheScenarios:
    """The rebuilds of one project, scenario after scenario, per variant (Dockerfile role or file).

    ``runs``: each row is one build of one variant in one scenario (``RUN_COLUMNS``); a scenario
    that could not be run here is a row whose ``skipped`` says why. ``edits``: each row is one file
    a scenario changed in the private copy (``EDIT_COLUMNS``). ``builds``: each run's
    ``BuildResult`` by ``(variant, scenario)``; ``rebuilds()`` pairs each with the build before it,
    which is what explains a cache miss.
    """

    project: str
    runs: pd.DataFrame = field(repr=False)
    edits: pd.DataFrame = field(repr=False)
    builds: Mapping[tuple[str, str], BuildResult] = field(repr=False)

    def build(self, variant: str, scenario: str) -> BuildResult:
        """The ``BuildResult`` of one run; ``KeyError`` naming what exists."""
        try:
            return self.builds[(variant, scenario)]
        except KeyError:
            raise KeyError(f"no run {variant!r}/{scenario!r}; runs: {sorted(self.builds)}") from None

    def rebuilds(self) -> Iterator[tuple[str, str, BuildResult, BuildResult]]:
        """``(variant, scenario, previous build, this build)`` for every run after a variant's first."""
        previous: dict[str, BuildResult] = {}
        for (variant, scenario), result in self.builds.items():
            if variant in previous:
                yield variant, scenario, previous[variant], result
            previous[variant] = result

    @property
    def skipped(self) -> pd.DataFrame:
        """Each row is one scenario that was not run: ``variant``, ``scenario``, ``skipped`` (why)."""
        return self.runs.loc[self.runs["skipped"].notna(), ["variant", "scenario", "skipped"]].reset_index(drop=True)

    @property
    def base_images(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ref for r in self.builds.values() for ref in r.base_images))


# --- the private copy and the edits made to it ---------------------------------------------------------------


def _dockerfiles(p: Project) -> list[Path]:
    if isinstance(p, Sample):
        return [spec.path.resolve() for spec in p.dockerfiles]
    return [p.dockerfile]


def copy_tree(project: ProjectLike, dest: Path | str, *, dockerfiles: Sequence[Path] = ()) -> Path:
    """Copy what a build of the project sends (``.dockerignore`` honoured, for each of its Dockerfiles)
    plus the Dockerfiles and ignore files to ``dest``, for experiments that edit files; returns ``dest``
    (``dockopt.workspace.Workspace`` does the same in a temporary folder it removes)."""
    p = resolve(project)
    return copy_sent(p.context, Path(dest), [*_dockerfiles(p), *dockerfiles])


def _in_tree(p: Project, tree: Path, path: Path) -> tuple[Path, str]:
    rel = p.relative(path)
    return tree / rel, rel


def _marker(what: str) -> str:
    return unique_marker(f"dockopt cache experiment: {what}")


def _touch(p: Project, tree: Path, marker: str | None = None) -> FileEdit:
    if p.touch is None:
        raise ProjectError(f"{p.name}: no source file to edit: {p.origin('touch').detail}",
                           hint="name one in dockopt.toml: [cache] touch = \"src/app.py\"")
    path, rel = _in_tree(p, tree, p.touch)
    return edit_file(path, relative=rel, marker=marker or _marker("source edit"))


def touch_source(project: ProjectLike, tree: Path | str, marker: str | None = None) -> Path:
    """Change the project's ``touch`` file inside ``tree`` (a copy) by one comment line (unique to this
    call unless ``marker`` is given); returns its path."""
    p = resolve(project)
    edit = _touch(p, Path(tree), marker)
    return Path(tree) / edit.path


def _change_dependency(p: Project, tree: Path) -> list[FileEdit]:
    if isinstance(p, Sample):
        c = p.cache
        if c.dependency is None or c.bump_dir is None:
            raise SampleError(f"sample {p.name!r} has no dependency to bump: {c.reason}")
        how = f"bumped {c.dependency} {c.bump_from} -> {c.bump_to}"
        edits = [replace_file(tree, f, c.bump_dir / f, how) for f in c.bump_files]
        # The bumped files are the same every run, and an earlier run's build of them may still be in
        # BuildKit's cache: a run-unique mark makes the dependency step miss as it would for a real bump.
        mark = edit_file(tree / c.bump_files[0], relative=c.bump_files[0], marker=_marker("dependency bump"))
        edits[0] = FileEdit(path=mark.path, how=f"{edits[0].how}; {mark.how} (unique to this run)",
                            bytes_before=edits[0].bytes_before, bytes_after=mark.bytes_after)
        return edits
    if p.dependency_file is None:
        raise ProjectError(f"{p.name}: no dependency manifest to change: {p.origin('dependency_file').detail}",
                           hint="name one in dockopt.toml: [cache] dependency_file = \"requirements.txt\"")
    path, rel = _in_tree(p, tree, p.dependency_file)
    return [edit_file(path, relative=rel, marker=_marker("dependency change"))]


def bump_dependency(project: ProjectLike, tree: Path | str) -> tuple[Path, ...]:
    """Change the dependency manifest in ``tree`` (a copy): a sample's curated bump (its ``bump_dir``
    versions), a project's byte-level edit that keeps the manifest valid. Returns the changed files."""
    p = resolve(project)
    return tuple(Path(tree) / e.path for e in _change_dependency(p, Path(tree)))


# --- the experiment --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Variant:
    name: str
    project: Project
    dockerfile: Path
    target: str | None


def _variants(p: Project, variants: Sequence[str] | None) -> list[_Variant]:
    if isinstance(p, Sample):
        out = []
        for role in variants or ("naive", "optimised"):
            spec = p.dockerfile_spec(role)
            out.append(_Variant(role, p, spec.path.resolve(), spec.target))
        return out
    if not variants:
        return [_Variant(p.dockerfile.name, p, p.dockerfile, p.target)]
    out = []
    for name in variants:
        df = p.resolve(name)
        same = df == p.dockerfile
        out.append(_Variant(df.name, p if same else p.with_dockerfile(df), df, p.target if same else None))
    return out


def cache_scenarios(project: ProjectLike, variants: Sequence[str] | None = None, *,
                    progress: bool = True, repeats: int = 1) -> CacheScenarios:
    """Rebuild each variant of a project after no change, a source edit and a dependency change, in
    order, on a private copy of what its builds send (the user's tree is never touched).

    ``variants``: a sample's Dockerfile roles (default naive and optimised), or a project's
    Dockerfiles relative to its context (default: its own). Scenarios (``SCENARIOS``): ``cold``
    (no cache), ``unchanged``, ``source edit`` (a comment line in the source file the final stage's
    last context COPY delivers, or the manifest's ``touch``), ``dependency change`` (a sample's
    curated bump; a project's byte-level edit of the dependency manifest its build copies, which
    keeps it valid). A scenario that cannot be run is a row with its reason, not an error.

    ``repeats``: how many times the ``source edit`` scenario runs (each after its own one-line edit); its
    row's ``wall_s`` and ``executed_s`` are the medians (``repeats`` says how many), so one slow rebuild on a
    busy machine does not decide which Dockerfile rebuilds faster. ``builds`` keeps the last of them.
    """
    import statistics

    if repeats < 1:
        raise ProjectError(f"repeats={repeats}: a scenario runs at least once", hint="repeats=3 for a median")
    p = resolve(project)
    rows: list[dict[str, object]] = []
    edit_rows: list[dict[str, object]] = []
    builds: dict[tuple[str, str], BuildResult] = {}
    label_key = naming.LABEL_SAMPLE if isinstance(p, Sample) else naming.LABEL_PROJECT
    for v in _variants(p, variants):
        with Workspace(p.context, dockerfiles=[*_dockerfiles(p), v.dockerfile], name=p.slug,
                       prefix=f"dockopt-cache-{p.slug}-") as ws:
            tree = ws.root
            tag = project_tag(p, f"cache-{v.name}")
            for scenario in SCENARIOS:
                try:
                    if scenario == "source edit":
                        edits = [_touch(v.project, tree)]
                    elif scenario == "dependency change":
                        edits = _change_dependency(v.project, tree)
                    else:
                        edits = []
                except ProjectError as exc:
                    rows.append({"variant": v.name, "scenario": scenario, "skipped": exc.message})
                    continue
                edit_rows += [{"variant": v.name, "scenario": scenario, "path": e.path, "how": e.how,
                               "bytes_before": e.bytes_before, "bytes_after": e.bytes_after} for e in edits]
                times = repeats if scenario == "source edit" else 1
                results = []
                for attempt in range(times):
                    if attempt:  # a new unique edit: an edit BuildKit has seen before would be cached
                        edits = [_touch(v.project, tree)]
                    results.append(ws.build(v.dockerfile, target=v.target, build_args=dict(p.build_args), tag=tag,
                                            no_cache=scenario == "cold", progress=progress,
                                            labels=naming.image_labels("experiment", **{label_key: p.name})))
                result = results[-1]
                builds[(v.name, scenario)] = result
                row = _scenario_row(v.name, scenario, result, edits)
                if times > 1:
                    row["wall_s"] = round(statistics.median(r.wall_s for r in results), 2)
                    row["executed_s"] = round(statistics.median(_executed_s(r) for r in results), 2)
                row["repeats"] = times
                rows.append(row)
    runs = pd.DataFrame(rows, columns=RUN_COLUMNS)
    for col in ("steps_executed", "steps_cached", "repeats"):
        runs[col] = runs[col].astype("Int64")
    return CacheScenarios(project=p.name, runs=runs, edits=pd.DataFrame(edit_rows, columns=EDIT_COLUMNS),
                          builds=builds)


def _executed_s(result: BuildResult) -> float:
    steps = result.dockerfile_steps
    return float(steps.loc[~steps["cached"], "duration_s"].fillna(0).sum())


def _scenario_row(variant: str, scenario: str, result: BuildResult, edits: Sequence[FileEdit]) -> dict[str, object]:
    steps = result.dockerfile_steps
    executed = steps[~steps["cached"]]
    first = executed.iloc[0] if len(executed) else None
    return {"variant": variant, "scenario": scenario, "wall_s": round(result.wall_s, 2),
            "steps_executed": len(executed), "steps_cached": int(steps["cached"].sum()),
            "executed_s": round(float(executed["duration_s"].fillna(0).sum()), 2),
            "first_executed": None if first is None else f"[{first['stage'] or '-'} {first['index']}/{first['total']}] "
                                                          f"{first['instruction']}",
            "changed_files": ", ".join(e.path for e in edits), "skipped": None, "bases": _bases(result)}

