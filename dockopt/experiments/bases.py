"""Runtime bases: one project's image on each candidate runtime base, every cell measured; and each
service ``--target`` of a multi-service sample.

How a base is swapped, in order of preference: a sample's manifest names its variants (a build ARG);
a project whose final ``FROM`` takes an ``ARG`` gets that ARG varied (over the stages it selects, or
over the catalog's candidates when it names an image); any other project gets its runtime stage's
``FROM`` rewritten in a temporary Dockerfile that BuildKit reads, never in the user's file.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from .. import engine, facts_cache, naming
from ..analysis_report import analyze_report
from ..bases.catalog import has_shell, lookup, probe, runtime_candidates
from ..build import BuildResult, build
from ..dockerfile import Dockerfile
from ..errors import BuildFailed, DockerfileError, DockoptError, NeedsRegistry, SmokeFailed
from ..image.compressed import compressed_layers
from ..project import Project, Service, runtime_stage
from ..samples import Sample
from ..smoke import smoke as start_and_wait
from .builds import ProjectLike, _bases, _sample, build_sample, project_tag, resolve

MATRIX_COLUMNS = ["base", "base_image", "current", "how", "image", "size_bytes", "compressed_bytes",
                  "base_size_bytes", "app_bytes", "packages", "shell", "setuid_files", "user", "runs_as_root",
                  "readiness", "ready_s", "healthy_s", "memory_bytes", "healthy", "note", "standin", "skipped", "bases"]


@dataclass(frozen=True)
class BasePlan:
    """One runtime base to try for a project: how its build selects it, or why it is skipped."""

    base: str                      # the variant's name (slim, distroless, ... or the reference)
    reference: str                 # the runtime base image
    how: str                       # in words: "build arg RUNTIME=slim", "FROM rewritten (Dockerfile:1)"
    build_args: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    dockerfile_text: str | None = None   # a rewritten Dockerfile, built from a temporary file
    current: bool = False          # the base the project uses as it stands
    skipped: str | None = None


# --- planning: which bases, and how each is selected -------------------------------------------------------


def _shell_runs(df: Dockerfile, root: int, target: str | None) -> list[str]:
    """Shell-form ``RUN``s in the stages a build of ``target`` needs that start from stage ``root``."""
    out = []
    for i in df.needed_stages(target):
        chain_root = runtime_stage(df, df.stages[i].name or str(i))
        if chain_root != root:
            continue
        out += [f"`{ins.original[:50]}` ({Path(df.path or 'Dockerfile').name}:{ins.line_start})"
                for ins in df.stages[i].instructions if ins.keyword == "RUN" and not ins.json_form]
    return out


def _rewrite_from(df: Dockerfile, stage: int, reference: str) -> str:
    """The Dockerfile's text with stage ``stage``'s ``FROM`` image replaced by ``reference``."""
    ins = df.stages[stage].instructions[0]
    lines = df.text.splitlines(keepends=True)
    segment = "".join(lines[ins.line_start - 1:ins.line_end])
    pattern = re.compile(r"^(\s*FROM\s+(?:--\S+\s+)*)(\S+)", re.I)
    m = pattern.match(segment)
    if m is None or m.group(2) != df.stages[stage].base_written:
        raise DockerfileError(f"cannot find the image of this FROM to replace: {ins.original!r}", path=df.path,
                              line=ins.line_start)
    replaced = segment[:m.start(2)] + reference + segment[m.end(2):]
    return "".join(lines[:ins.line_start - 1]) + replaced + "".join(lines[ins.line_end:])


def _arg_pattern(written: str, arg: str) -> re.Pattern[str]:
    """``runtime-${RUNTIME}`` → a regex whose group ``v`` is the ARG's value."""
    parts = re.split(r"(\$\{" + re.escape(arg) + r"(?::?[-+][^}]*)?\}|\$" + re.escape(arg) + r"\b)", written)
    body = "".join("(?P<v>[A-Za-z0-9_.-]+)" if i % 2 else re.escape(p) for i, p in enumerate(parts)) \
        if len(parts) == 3 else re.escape(written)
    return re.compile(body, re.I)


def _chosen(plans: list[BasePlan], bases: Sequence[str] | None) -> list[BasePlan]:
    if not bases:
        return plans
    by_name = {p.base: p for p in plans} | {p.reference: p for p in plans}
    return [by_name[b] for b in bases if b in by_name]


def base_plans(target: ProjectLike, bases: Sequence[str] | None = None) -> list[BasePlan]:
    """The runtime bases a comparison of ``target`` tries, in order, each with how it is selected or
    why it is skipped. ``bases``: names or references to keep (other references are tried too, by
    rewriting the FROM or setting the ARG)."""
    p = resolve(target)
    if isinstance(p, Sample):
        declared = [BasePlan(v.name, v.image, f"build arg {p.base_arg}={v.name}",
                          MappingProxyType({p.base_arg or "": v.name}), current=v.name == p.default_base,
                          skipped=None if v.offline else v.reason)
                    for v in p.bases]
        return _chosen(declared, bases)
    df = p.parsed()
    final = df.target(p.target)
    root = runtime_stage(df, p.target)
    current_ref = df.stages[root].base
    candidates: list[tuple[str, str, bool | None, str | None]] = [
        (c.name, c.reference, c.shell, c.unsupported) for c in runtime_candidates(p.stack)]
    wanted_refs = [b for b in bases or () if b not in {c[0] for c in candidates} and (":" in b or "/" in b
                                                                                        or b == "scratch")]
    candidates += [(ref, ref, has_shell(ref), None) for ref in wanted_refs]
    plans: list[BasePlan] = []
    arg = p.base_arg if p.base_arg and p.base_arg in final.base_written else None
    if arg is not None and final.base_stage is not None:
        # FROM runtime-${RUNTIME}: the ARG picks one of the stages named like that.
        pattern = _arg_pattern(final.base_written, arg)
        for stage in df.stages[:final.index]:
            m = pattern.fullmatch(stage.name or "")
            if m is None or "v" not in m.groupdict():
                continue
            value = m.group("v")
            ref = df.stages[runtime_stage(df, stage.name or str(stage.index))].base
            plans.append(BasePlan(value, ref, f"build arg {arg}={value}", MappingProxyType({arg: value}),
                                  current=stage.index == final.base_stage))
        return _chosen(plans, bases)
    where = f"{Path(p.dockerfile).name}:{df.stages[root].line}"
    current_how = f"build arg {arg}={current_ref}" if arg else "as written"
    same = [c[0] for c in candidates if c[1] == current_ref]
    plans.append(BasePlan(same[0] if same else "current", current_ref, current_how, current=True))
    runs = _shell_runs(df, root, p.target) if arg is None else []
    for name, ref, shell, unsupported in candidates:
        if ref == current_ref or any(pl.reference == ref for pl in plans):
            continue
        skipped = unsupported
        catalog_entry = lookup(ref)
        if skipped is None and catalog_entry is not None and catalog_entry.role == "registry-only" \
                and not probe(ref).present:
            skipped = f"needs registry access for {ref} (no offline stand-in can be made)"
        if skipped is None and shell is False and runs:
            skipped = f"{ref} has no shell, and the build runs shell commands on it: {runs[0]}"
        if arg is not None:
            plans.append(BasePlan(name, ref, f"build arg {arg}={ref}", MappingProxyType({arg: ref}), skipped=skipped))
        else:
            text = None if skipped else _rewrite_from(df, root, ref)
            plans.append(BasePlan(name, ref, f"FROM rewritten ({where}) in a temporary copy", dockerfile_text=text,
                                  skipped=skipped))
    return _chosen(plans, bases)


def base_candidates(target: ProjectLike, bases: Sequence[str] | None = None) -> pd.DataFrame:
    """Each row is one runtime base a comparison would try, without building: ``base``, ``base_image``,
    ``current``, ``how`` it is selected, ``skipped`` (why it cannot work here, else None)."""
    return pd.DataFrame([{"base": pl.base, "base_image": pl.reference, "current": pl.current, "how": pl.how,
                          "skipped": pl.skipped} for pl in base_plans(target, bases)],
                        columns=["base", "base_image", "current", "how", "skipped"])


# --- measuring one image -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageFacts:
    """What one image weighs and carries: size on disk, compressed as a registry stores it, packages
    (SBOM entries), shells, setuid files and the user it runs as."""

    image: str
    size_bytes: int
    compressed_bytes: int
    packages: int
    shells: tuple[str, ...]
    setuid_files: int
    user: str
    runs_as_root: bool


def measure_image(image: str) -> ImageFacts:
    """Read ``image`` for its facts (``ImageFacts``): one read for files, packages and surface, and,
    at the same time, one ``docker save`` stream gzipped layer by layer for the compressed size."""
    def measure() -> dict[str, Any]:
        with ThreadPoolExecutor(max_workers=1) as pool:
            packed = pool.submit(compressed_layers, image)  # zlib works outside the GIL
            report = analyze_report(image)
            compressed = packed.result()
        assert report.surface is not None  # analyze_report runs the scanners by default
        return facts_cache.from_report(report, compressed.total_bytes)

    # read once per image id, whoever asks: a report need not read again what another one measured
    f = facts_cache.facts(engine.inspect_image(image).id, measure)
    return ImageFacts(image=image, size_bytes=f["size_bytes"], compressed_bytes=f["compressed_bytes"],
                      packages=f["packages"], shells=tuple(f["shells"]), setuid_files=f["setuid_files"],
                      user=f["user"], runs_as_root=f["runs_as_root"])


# --- the matrix --------------------------------------------------------------------------------------------


def _build_plan(p: Project, plan: BasePlan, progress: bool) -> BuildResult:
    if isinstance(p, Sample):
        return build_sample(p, "optimised", base=plan.base, progress=progress)
    tag = project_tag(p, f"base-{plan.base}")
    labels = naming.image_labels("experiment", **{naming.LABEL_PROJECT: p.name, naming.LABEL_BASE: plan.reference})
    args = {**p.build_args, **plan.build_args}
    if plan.dockerfile_text is None:
        return build(p.context, dockerfile=p.dockerfile, target=p.target, build_args=args, tag=tag, labels=labels,
                     progress=progress)
    with tempfile.TemporaryDirectory(prefix="dockopt-base-") as tmp:
        rewritten = Path(tmp) / p.dockerfile.name
        rewritten.write_text(plan.dockerfile_text, encoding="utf-8")
        own_ignore = p.dockerfile.with_name(p.dockerfile.name + ".dockerignore")
        if own_ignore.is_file():  # BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile
            rewritten.with_name(own_ignore.name).write_bytes(own_ignore.read_bytes())
        return build(p.context, dockerfile=rewritten, target=p.target, build_args=args, tag=tag, labels=labels,
                     progress=progress)


def base_matrix(target: ProjectLike, bases: Sequence[str] | None = None, *, smoke: bool = True,
                measure: bool = True, timeout_s: float = 90, progress: bool = True) -> pd.DataFrame:
    """Each row is the project's image on one runtime base (``base_plans``), measured.

    Columns (``MATRIX_COLUMNS``): ``base``, ``base_image``, ``current`` (the base as the project
    stands), ``how`` it was selected, ``image``, ``size_bytes``, ``compressed_bytes`` (gzip of each
    layer, as a registry stores it), ``base_size_bytes``, ``app_bytes`` (what the app adds on top of
    the base), ``packages`` (SBOM entries), ``shell`` (a shell is present), ``setuid_files``,
    ``user``, ``runs_as_root``, ``readiness`` (http / healthcheck / stays up), ``ready_s`` (from
    ``docker run`` until that check first passed), ``healthy_s`` (from ``docker run`` until Docker
    called it healthy, when the image has a HEALTHCHECK: paced by its interval),
    ``memory_bytes`` (one ``docker stats`` sample once ready),
    ``healthy``, ``note`` (why it was not healthy), ``standin`` (the base was an offline stand-in),
    ``skipped`` (why a base cannot work here: not built, no numbers) and ``bases`` (every base
    the build resolved). ``smoke=False`` leaves the run columns empty; ``measure=False`` the image
    facts.
    """
    p = resolve(target)
    service: Service = p.service()
    rows = []
    for plan in base_plans(p, bases):
        row: dict[str, object] = {"base": plan.base, "base_image": plan.reference, "current": plan.current,
                                  "how": plan.how, "skipped": plan.skipped, "bases": ""}
        if plan.skipped is None:
            try:
                result = _build_plan(p, plan, progress)
            except (NeedsRegistry, BuildFailed, DockerfileError) as exc:
                row["skipped"] = exc.message.splitlines()[0]
            else:
                _measure_row(row, p, plan, result, service, smoke=smoke, measure=measure, timeout_s=timeout_s)
        rows.append(row)
    table = pd.DataFrame(rows, columns=MATRIX_COLUMNS)
    for col in ("size_bytes", "compressed_bytes", "base_size_bytes", "app_bytes", "packages", "setuid_files",
                "memory_bytes"):
        table[col] = table[col].astype("Int64")
    return table


def _measure_row(row: dict[str, object], p: Project, plan: BasePlan, result: BuildResult, service: Service, *,
                 smoke: bool, measure: bool, timeout_s: float) -> None:
    state = probe(plan.reference)
    base_size = state.size_bytes or 0
    row.update(image=result.ref, size_bytes=result.size_bytes, base_size_bytes=base_size,
               app_bytes=result.size_bytes - base_size, standin=state.is_standin, bases=_bases(result))
    if measure:
        try:
            facts = measure_image(result.ref)
            row.update(compressed_bytes=facts.compressed_bytes, packages=facts.packages, shell=bool(facts.shells),
                       setuid_files=facts.setuid_files, user=facts.user or "(unset: root)",
                       runs_as_root=facts.runs_as_root)
        except DockoptError as exc:
            row["note"] = f"not measured: {exc.message.splitlines()[0]}"
    if smoke:
        try:
            ran = start_and_wait(result.ref, service, timeout_s=timeout_s)
            row.update(readiness=ran.readiness, ready_s=ran.ready_s, memory_bytes=ran.memory_bytes, healthy=True,
                       healthy_s=None if ran.healthy_s is None else round(ran.start_s + ran.healthy_s, 3))
        except SmokeFailed as exc:
            row.update(healthy=False, note=exc.message.splitlines()[0])


def service_targets(sample: ProjectLike, variants: Sequence[str] = ("naive", "optimised"), *,
                    progress: bool = True) -> pd.DataFrame:
    """Each row is one service ``--target`` of a multi-service sample, built from one variant's Dockerfile.

    Targets are built one after another, so later targets show how much of the shared stages
    BuildKit reused. Columns: ``variant``, ``target``, ``image``, ``size_bytes``, ``wall_s``,
    ``steps_executed``, ``steps_cached``, ``stages`` (the stages that target's build touched), ``bases``.
    """
    s = _sample(sample, why="service_targets needs a sample's service targets")
    rows = []
    for variant in variants:
        for svc in s.services(variant):
            if svc.target is None:
                continue
            result = build_sample(s, variant, target=svc.target, progress=progress)
            steps = result.dockerfile_steps
            rows.append({"variant": variant, "target": svc.target, "image": result.ref,
                         "size_bytes": result.size_bytes, "wall_s": round(result.wall_s, 2),
                         "steps_executed": int((~steps["cached"]).sum()), "steps_cached": int(steps["cached"].sum()),
                         "stages": ", ".join(dict.fromkeys(str(x) for x in steps["stage"].dropna())),
                         "bases": _bases(result)})
    return pd.DataFrame(rows)
