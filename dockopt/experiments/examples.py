"""The guide's example per stack beside the sample's own Dockerfiles: built, measured, started.

The course's chapter 5 (``notebooks/guide/05_examples.ipynb``) asks of each stack whether the guide's
multi-stage recipe does what the guide says. The recipes, written for this project's samples, live
in ``notebooks/guide/examples/`` with ``examples.toml`` describing them (``guide_example``).
``guide_examples(sample)`` builds the sample's naive Dockerfile, the guide's recipe (and any
declared variant of it), the sample's optimised Dockerfile and any extra role named in ``also``, all
over the sample's own folder; then measures each image: bytes in the engine and pushed, packages,
shell, package managers, compilers, user, HEALTHCHECK, secrets, and whether it starts and answers.
What cannot be built here (a base only a registry has) is a row with the reason, never a gap.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from .. import content, naming, settings
from .. import samples as samples_mod
from ..analysis_report import analyze_report
from ..bases.catalog import lookup, probe
from ..build import BuildResult, build
from ..dockerfile import parse
from ..errors import BuildFailed, DockerfileError, NeedsRegistry, RegistryUnreachable, SampleError, SmokeFailed
from ..image import layers
from ..samples import Sample, Service
from ..smoke import smoke
from .builds import _bases, _sample, build_sample
from .shipping import transfer

EXAMPLES_ENV = settings.GUIDE_EXAMPLES
MANIFEST = "examples.toml"

EXAMPLE_COLUMNS = ["variant", "kind", "dockerfile", "status", "image", "size_bytes", "compressed_bytes",
                   "layers", "reduction_pct", "packages", "shells", "package_managers", "compilers", "user",
                   "runs_as_root", "healthcheck", "secrets", "started", "ready_s", "note", "bases"]
KINDS = ("naive", "guide", "optimised", "extra")


def examples_dir() -> Path:
    """Where the guide's recipes live: ``$DOCKOPT_GUIDE_EXAMPLES``, else ``notebooks/guide/examples/``."""
    return content.examples_dir()


@dataclass(frozen=True)
class GuideExample:
    """The guide's recipe for one sample's stack (one table of ``examples.toml``)."""

    sample: str
    dockerfile: Path
    guide_bases: str
    claim: str
    port: int | None = None
    health_path: str | None = None
    also: tuple[str, ...] = ()
    variants: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))


def _fail(path: Path, where: str, problem: str) -> SampleError:
    return SampleError(f"{path}: [{where}]: {problem}", hint=f"see the field list at the top of {MANIFEST}")


def load_examples(path: Path | str | None = None) -> dict[str, GuideExample]:
    """Every recipe of ``examples.toml`` (default: the one in ``examples_dir()``), by sample name."""
    path = Path(path) if path is not None else examples_dir() / MANIFEST
    if not path.is_file():
        raise SampleError(f"no guide examples manifest at {path}", hint=f"set {EXAMPLES_ENV} to the folder holding "
                                                                        f"{MANIFEST}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SampleError(f"{path}: not valid TOML: {exc}") from exc
    out = {}
    allowed = {"dockerfile", "guide_bases", "claim", "port", "health_path", "also", "variants"}
    for name, table in data.items():
        if not isinstance(table, dict):
            raise _fail(path, name, "expected a table")
        extra = sorted(set(table) - allowed)
        if extra:
            raise _fail(path, name, f"unknown field {extra[0]!r} (allowed: {', '.join(sorted(allowed))})")
        for key in ("dockerfile", "guide_bases", "claim"):
            if not isinstance(table.get(key), str):
                raise _fail(path, name, f"field {key!r} must be a string")
        dockerfile = path.parent / table["dockerfile"]
        if not dockerfile.is_file():
            raise _fail(path, name, f"dockerfile {table['dockerfile']!r} does not exist in {path.parent}")
        variants = {}
        for vname, v in (table.get("variants") or {}).items():
            args = v.get("build_args") if isinstance(v, dict) else None
            if not isinstance(args, dict) or not all(isinstance(x, str) for x in args.values()):
                raise _fail(path, f"{name}.variants.{vname}", "needs build_args = { NAME = \"value\" }")
            variants[vname] = MappingProxyType(dict(args))
        port = table.get("port")
        if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536):
            raise _fail(path, name, f"port {port!r} is not a TCP port")
        out[name] = GuideExample(sample=name, dockerfile=dockerfile, guide_bases=table["guide_bases"],
                                 claim=table["claim"], port=port, health_path=table.get("health_path"),
                                 also=tuple(table.get("also") or ()), variants=MappingProxyType(variants))
    return out


def guide_example(sample: Sample | str) -> GuideExample:
    """The guide's recipe for ``sample`` (``SampleError`` naming the known ones when there is none)."""
    name = sample.name if isinstance(sample, Sample) else sample
    known = load_examples()
    if name not in known:
        raise SampleError(f"the guide has no example written for sample {name!r}",
                          hint=f"examples: {', '.join(sorted(known))}")
    return known[name]


@dataclass(frozen=True)
class _Plan:
    """One image of the comparison: how to build it, or why it cannot be built here."""

    variant: str
    kind: str  # one of KINDS
    dockerfile: Path
    target: str | None
    build_args: Mapping[str, str]
    tag: str
    service: Service
    skipped: str | None = None
    sample_role: str | None = None  # a Dockerfile of the sample: built exactly as ``build_sample`` builds it


def missing_bases(dockerfile: Path | str, target: str | None = None,
                  build_args: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The base images a build of ``dockerfile`` (up to ``target``) needs that the engine does not
    have and no stand-in can provide (the catalog says registry-only, or does not know them)."""
    df = parse(dockerfile, build_args=build_args)
    refs = []
    for i in df.needed_stages(target):
        stage = df.stages[i]
        if stage.base_stage is not None or stage.base.lower() == "scratch":
            continue
        if probe(stage.base).present:
            continue
        entry = lookup(stage.base)
        if entry is None or entry.role == "registry-only":
            refs.append(stage.base)
    return tuple(dict.fromkeys(refs))


def _plans(s: Sample, ex: GuideExample) -> list[_Plan]:
    ns = naming.namespace()
    plans = []

    def sample_plan(role: str, kind: str) -> _Plan:
        spec = s.dockerfile_spec(role)
        reason = None
        try:
            samples_mod.check_buildable(s, role)
        except NeedsRegistry as exc:
            reason = exc.message
        return _Plan(role, kind, spec.path, spec.target, MappingProxyType({}), samples_mod.image_tag(s, role),
                     s.service(), reason, sample_role=role)

    plans.append(sample_plan("naive", "naive"))
    guide_service = Service(s.name, None, ex.port or s.port, ex.health_path or s.health_path)
    for variant, args in [("guide", MappingProxyType({})), *ex.variants.items()]:
        missing = missing_bases(ex.dockerfile, build_args=args)
        reason = f"needs registry access for {', '.join(missing)}" if missing else None
        slug = "guide" if variant == "guide" else "guide-" + "".join(c if c.isalnum() else "-" for c in
                                                                    variant.lower().removeprefix("guide")).strip("-")
        plans.append(_Plan(variant, "guide", ex.dockerfile, None, args, f"{ns}/{s.name}:{slug}", guide_service,
                           reason))
    plans.append(sample_plan("optimised", "optimised"))
    plans += [sample_plan(role, "extra") for role in ex.also]
    return plans


def _build(s: Sample, plan: _Plan, progress: bool) -> BuildResult:
    if plan.sample_role is not None:  # same tag and labels as the sample's own builds: the same image
        return build_sample(s, plan.sample_role, progress=progress)
    labels = naming.image_labels("experiment", **{naming.LABEL_SAMPLE: s.name, naming.LABEL_VARIANT: plan.variant})
    return build(s.root, dockerfile=plan.dockerfile, target=plan.target, build_args=plan.build_args, tag=plan.tag,
                 labels=labels, progress=progress)


@dataclass(frozen=True)
class ExampleComparison:
    """One stack: the sample's naive Dockerfile, the guide's recipe, the sample's optimised one.

    ``table``: each row is one image (``EXAMPLE_COLUMNS``): ``variant`` (naive, guide, a declared
    variant of the guide's recipe, optimised, an extra role), ``kind`` (naive / guide / optimised /
    extra), ``status`` (measured, build failed, or skipped: then ``note`` says why), ``size_bytes``
    in the engine, ``compressed_bytes`` pushed to the registry, ``layers``, ``reduction_pct`` against
    the naive image, ``packages`` (SBOM entries), ``shells`` / ``package_managers`` / ``compilers``
    (paths found), ``user``, ``runs_as_root``, ``healthcheck``, ``secrets`` (findings in any layer),
    ``started`` (answered 200 on its health path), ``ready_s`` (container start to that answer),
    ``note`` (why it did not start, what was skipped), ``bases``.
    """

    sample: str
    example: GuideExample
    builds: Mapping[str, BuildResult] = field(repr=False)
    table: pd.DataFrame = field(repr=False)

    @property
    def base_images(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ref for r in self.builds.values() for ref in r.base_images))

    def summary(self) -> str:
        """The comparison in Markdown, every figure from ``table`` (module ``summary``)."""
        return summary(self.table, self.sample, self.example.claim)

    def row(self, variant: str) -> pd.Series | None:
        """The measured row of ``variant``, or None when it was skipped or failed."""
        rows = self.table[(self.table["variant"] == variant) & (self.table["status"] == "measured")]
        return None if rows.empty else rows.iloc[0]


def _measure(row: dict[str, object], result: BuildResult, *, analyse: bool) -> None:
    history = layers(result.ref)
    row.update(status="measured", image=result.ref, size_bytes=result.size_bytes, bases=_bases(result),
               layers=int((~history["empty"]).sum()))
    if not analyse:
        return
    report = analyze_report(result.ref, build=result)
    surf = report.surface
    row.update(packages=len(report.package_rows), secrets=len(report.secret_rows))
    if surf is not None:
        row.update(shells=", ".join(surf.shells), package_managers=", ".join(surf.package_managers),
                   compilers=", ".join(surf.compilers), user=surf.user or "(unset: root)",
                   runs_as_root=surf.runs_as_root, healthcheck=surf.healthcheck)


def _start(row: dict[str, object], plan: _Plan, image: str, timeout_s: float) -> None:
    try:
        done = smoke(image, plan.service, timeout_s=timeout_s)
        row.update(started=True, ready_s=done.http_ok_s)
    except SmokeFailed as exc:
        logs = [line.strip() for line in exc.logs.strip().splitlines() if line.strip()]
        first = exc.message.splitlines()[0]
        row.update(started=False, note=f"{first}; log: {logs[-1]}" if logs else first)


def guide_examples(sample: Sample | str, *, analyse_naive: bool = False, push: bool = True, start: bool = True,
                   timeout_s: float = 60, progress: bool = True) -> ExampleComparison:
    """Build and measure the sample's naive Dockerfile, the guide's recipe for its stack (and the
    variants ``examples.toml`` declares), the sample's optimised Dockerfile and its ``also`` roles.

    ``analyse_naive``: read the naive image too (packages, shell...: slow on a 1 GB image; its
    size is always measured). ``push``: compressed bytes as the registry stores them
    (``$DOCKOPT_REGISTRY``; without a registry the column stays empty and ``note`` says so).
    ``start``: start every measured image but the naive one on 127.0.0.1 and wait up to
    ``timeout_s`` for HTTP 200 on its health path (a container that stops is a row that says why).
    """
    s = _sample(sample)
    ex = guide_example(s)
    rows: list[dict[str, object]] = []
    builds: dict[str, BuildResult] = {}
    plans = _plans(s, ex)
    for plan in plans:
        row: dict[str, object] = dict.fromkeys(EXAMPLE_COLUMNS)
        row.update(variant=plan.variant, kind=plan.kind, dockerfile=plan.dockerfile.name, status="skipped",
                   note=plan.skipped, bases="")
        if plan.skipped is None:
            try:
                result = _build(s, plan, progress)
            except NeedsRegistry as exc:
                row["note"] = exc.message.splitlines()[0]
            except (BuildFailed, DockerfileError) as exc:
                row.update(status="build failed", note=exc.message.splitlines()[0])
            else:
                builds[plan.variant] = result
                _measure(row, result, analyse=analyse_naive or plan.kind != "naive")
                if start and plan.kind != "naive":
                    _start(row, plan, result.ref, timeout_s)
        rows.append(row)
    table = pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)
    if push and builds:
        try:
            pushed = transfer(list(builds.values()), pull=False, fetch=False, progress=False)
            by_image = dict(zip(pushed.images["image"], pushed.images["compressed_bytes"]))
            table["compressed_bytes"] = table["image"].map(by_image)
        except RegistryUnreachable as exc:
            why = f"not pushed: {exc.message.splitlines()[0]}"
            measured = table["status"] == "measured"
            table.loc[measured, "note"] = [f"{n}; {why}" if isinstance(n, str) and n else why
                                           for n in table.loc[measured, "note"]]
    naive = table[(table["kind"] == "naive") & (table["status"] == "measured")]
    if not naive.empty:
        base = float(naive.iloc[0]["size_bytes"])
        table["reduction_pct"] = [round(100 * (1 - float(v) / base), 1) if pd.notna(v) else None
                                  for v in table["size_bytes"]]
    for col in ("size_bytes", "compressed_bytes", "layers", "packages", "secrets"):
        table[col] = table[col].astype("Int64")
    return ExampleComparison(sample=s.name, example=ex, builds=MappingProxyType(builds), table=table)


GUIDE_REDUCTION_PCT = 80.0  # the guide: multi-stage images "up to 80 % smaller" (chapter 5), "80-90 %" (chapter 2)


def _facts(r: pd.Series) -> str:
    shipped = f"{r['packages']} packages" if pd.notna(r["packages"]) else "packages not read"
    tools = [f"{what}: {r[col] or 'none'}" for what, col in (("shell", "shells"), ("package managers",
                                                                                   "package_managers"),
                                                            ("compilers", "compilers")) if r[col] is not None]
    return ", ".join([f"runs as {r['user']}", shipped, *tools])


def summary(table: pd.DataFrame, sample: str, claim: str = "") -> str:
    """The comparison in Markdown, every figure from ``table`` (``ExampleComparison.table``): each
    guide recipe's size against the naive image and the guide's 80 %, what it ships, whether it
    started; the optimised image beside it; what was skipped and why."""
    from ..units import human_bytes

    def pushed(r: pd.Series) -> str:
        return f" ({human_bytes(r['compressed_bytes'])} pushed)" if pd.notna(r["compressed_bytes"]) else ""

    def started(r: pd.Series) -> str:
        if r["started"] is None or pd.isna(r["started"]):
            return ""
        return (f"; it started and answered in {r['ready_s']:.2f} s" if r["started"]
                else f"; it **did not start**: {r['note']}")

    measured = table[table["status"] == "measured"]
    naive = measured[measured["kind"] == "naive"]
    guide = measured[measured["variant"] == "guide"]
    optimised = measured[measured["kind"] == "optimised"]
    said = []
    for _, r in measured[measured["kind"] == "guide"].iterrows():
        if naive.empty:
            against = ""
        else:
            reached = "reaches" if r["reduction_pct"] >= GUIDE_REDUCTION_PCT else "falls short of"
            against = (f", {r['reduction_pct']:.1f} % smaller than the naive image ({reached} the guide's "
                       f"\"up to {GUIDE_REDUCTION_PCT:.0f} % smaller\")")
        said.append(f"The guide's recipe (**{r['variant']}**): **{human_bytes(r['size_bytes'])}**{pushed(r)}"
                    f"{against}; {_facts(r)}{started(r)}.")
    for _, r in optimised.iterrows():
        times = (f", {r['size_bytes'] / guide.iloc[0]['size_bytes']:.2f}× the guide's recipe"
                 if not guide.empty else "")
        said.append(f"dockopt's optimised Dockerfile: **{human_bytes(r['size_bytes'])}**{pushed(r)}{times}; "
                    f"{_facts(r)}, HEALTHCHECK {'defined' if r['healthcheck'] else 'missing'}{started(r)}.")
    said += [f"{r['variant']} ({r['dockerfile']}): skipped, {r['note']}." for _, r in
             table[table["status"] != "measured"].iterrows()]
    if claim:
        said.append(f"The guide says of this recipe: *{claim}*.")
    return f"**{sample}**: " + " ".join(said)
