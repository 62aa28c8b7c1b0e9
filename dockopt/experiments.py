"""Experiments: build sample images, run them and measure them; the comparisons the notebooks tell.

- ``build_sample`` / ``smoke_sample``: one image of a sample's build matrix, built or started;
  ``build_samples``: the whole matrix (``dockopt samples build``).
- ``naive_vs_optimised``: one sample, both Dockerfiles, sizes and layers side by side.
- ``cache_scenarios``: what a rebuild costs after no change, a source edit, a dependency bump
  (on a private copy of the sample: ``copy_tree``, ``touch_source``, ``bump_dependency``).
- ``base_matrix``: the optimised Dockerfile on each runtime base the sample declares.
- ``service_targets``: each service ``--target`` of a multi-service sample.
- ``measure_sizes``: naive vs optimised bytes against the size targets and the floor.

Every result names the base images its builds resolved (``bases`` columns, ``base_images``
attributes), so ``report.provenance`` can say which were offline stand-ins.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import naming
from . import samples as samples_mod
from . import smoke as _smoke
from .bases.catalog import probe
from .build import BuildResult, build
from .errors import DockoptError, NeedsRegistry, SampleError, SmokeFailed
from .image import layers
from .samples import Sample


def _sample(sample: Sample | str) -> Sample:
    return samples_mod.load(sample) if isinstance(sample, str) else sample


def _bases(*results: BuildResult) -> str:
    """The base references of ``results``, first use first, as one ``bases`` cell."""
    return ", ".join(dict.fromkeys(ref for r in results for ref in r.base_images))


# --- one image of a sample, and the whole matrix ---------------------------------------------------


def build_sample(sample: Sample | str, variant: str = "optimised", base: str | None = None, *,
                 target: str | None = None, tag: str | None = None, no_cache: bool = False,
                 progress: bool = True) -> BuildResult:
    """Build one image of a sample (``samples.build_request``) through ``dockopt.build``.

    Tagged ``<namespace>/<sample>:<variant>[-<base>][-<target>]`` unless ``tag`` is given. Raises
    ``NeedsRegistry`` (with the manifest's reason) for what cannot be built here.
    """
    req = samples_mod.build_request(sample, variant, base, target=target, tag=tag)
    return build(req.context, dockerfile=req.dockerfile, target=req.target, build_args=req.build_args,
                 tag=req.tag, no_cache=no_cache, labels=req.labels, progress=progress)


def smoke_sample(sample: Sample | str, image: str, *, target: str | None = None,
                 timeout_s: float = 90) -> _smoke.SmokeResult:
    """Start ``image`` (of ``sample``, service ``target`` for multi-service samples), wait for
    Docker's health status (if it has a HEALTHCHECK) and HTTP 200 on its health path at 127.0.0.1;
    always removes the container. Raises ``SmokeFailed``."""
    return _smoke.smoke(image, _sample(sample).service(target), timeout_s=timeout_s)


BUILD_STATUSES = ("built", "healthy", "skipped", "failed")


def build_samples(names: Sequence[str] | None = None, *, variants: Sequence[str] | None = None,
                  smoke: bool = False, progress: bool = True) -> pd.DataFrame:
    """Each row is one image of the samples' build matrix, built (and with ``smoke``, started).

    Columns: ``sample``, ``build`` (variant[-base][-target]), ``status`` (built / healthy /
    skipped / failed), ``image``, ``size_bytes``, ``build_s``, ``note`` (why skipped or failed).
    ``variants`` keeps only those Dockerfile roles. A failure is a row, not an exception, so one
    broken image does not hide the others; what cannot be built here is ``skipped`` with its reason.
    """
    rows = []
    for name in names or samples_mod.names():
        sample = samples_mod.load(name)
        for spec in sample.builds():
            if variants and spec.variant not in variants:
                continue
            row: dict[str, object] = {"sample": name, "build": spec.label, "status": "skipped", "image": None,
                                      "size_bytes": None, "build_s": None, "note": spec.reason}
            if spec.buildable:
                try:
                    result = build_sample(sample, spec.variant, spec.base, target=spec.target, progress=progress)
                    row.update(status="built", image=result.ref, size_bytes=result.size_bytes,
                               build_s=round(result.wall_s, 2))
                    if smoke and spec.variant in samples_mod.VARIANTS:
                        smoke_sample(sample, result.ref, target=spec.target)
                        row["status"] = "healthy"
                except NeedsRegistry as exc:
                    row.update(status="skipped", note=exc.message)
                except DockoptError as exc:
                    row.update(status="failed", note=exc.message.splitlines()[0])
            rows.append(row)
    table = pd.DataFrame(rows, columns=["sample", "build", "status", "image", "size_bytes", "build_s", "note"])
    table["size_bytes"] = table["size_bytes"].astype("Int64")
    return table


def build_matrix(samples: Sequence[Sample | str] | None = None) -> pd.DataFrame:
    """Each row is one image of the samples' build matrix, without building anything.

    Columns: ``sample``, ``build`` (variant[-base][-target]), ``buildable``, ``reason`` (why it
    cannot be built here, e.g. "needs registry access for mcr.microsoft.com/dotnet/sdk").
    """
    chosen = [_sample(s) for s in samples] if samples is not None else samples_mod.all_samples()
    return pd.DataFrame([{"sample": spec.sample, "build": spec.label, "buildable": spec.buildable,
                          "reason": spec.reason} for s in chosen for spec in s.builds()])


# --- naive vs optimised ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Naive vs optimised builds of one sample.

    ``sizes``: each row is one variant (``variant``, ``image``, ``size_bytes``, ``layers``,
    ``build_s``, ``dockerfile_steps``, ``bases``); ``layers``: each row is one layer of one variant
    (``dockopt.layers`` columns plus ``variant``).
    """

    sample: str
    builds: dict[str, BuildResult] = field(repr=False)
    sizes: pd.DataFrame = field(repr=False)
    layers: pd.DataFrame = field(repr=False)

    @property
    def reduction(self) -> float:
        """Fraction of the naive image's bytes the optimised image does not need (0.8 = 80 % smaller)."""
        by_variant = self.sizes.set_index("variant")["size_bytes"]
        return float(1.0 - by_variant["optimised"] / by_variant["naive"])

    @property
    def ratio(self) -> float:
        by_variant = self.sizes.set_index("variant")["size_bytes"]
        return float(by_variant["naive"] / by_variant["optimised"])

    @property
    def base_images(self) -> tuple[str, ...]:
        """The base image references both builds resolved, first use first."""
        return tuple(dict.fromkeys(ref for r in self.builds.values() for ref in r.base_images))


def naive_vs_optimised(sample: Sample | str, *, base: str | None = None, progress: bool = True) -> Comparison:
    """Build the sample's naive and optimised Dockerfiles and tabulate what each ships."""
    s = _sample(sample)
    builds = {"naive": build_sample(s, "naive", progress=progress),
              "optimised": build_sample(s, "optimised", base=base, progress=progress)}
    size_rows, layer_frames = [], []
    for variant, result in builds.items():
        table = layers(result.ref)
        layer_frames.append(table.assign(variant=variant))
        size_rows.append({"variant": variant, "image": result.ref, "size_bytes": result.size_bytes,
                          "layers": int((~table["empty"]).sum()), "build_s": round(result.wall_s, 2),
                          "dockerfile_steps": len(result.dockerfile_steps), "bases": _bases(result)})
    return Comparison(sample=s.name, builds=builds, sizes=pd.DataFrame(size_rows),
                      layers=pd.concat(layer_frames, ignore_index=True))


# --- cache behaviour -----------------------------------------------------------------------------------


def copy_tree(sample: Sample, dest: Path | str) -> Path:
    """Copy the sample's directory to ``dest`` (for experiments that edit files); returns ``dest``."""
    dest = Path(dest)
    shutil.copytree(sample.root, dest, ignore=shutil.ignore_patterns("node_modules", "__pycache__", ".venv",
                                                                     "dist", "target", "bin", "obj"),
                    dirs_exist_ok=True)
    return dest


def touch_source(sample: Sample, tree: Path | str, marker: str = "cache experiment") -> Path:
    """Append a comment to the manifest's ``touch`` file inside ``tree`` (a copy); returns its path."""
    rel = sample.cache.touch.relative_to(sample.root)
    path = Path(tree) / rel
    comment = {".py": "#", ".toml": "#", ".txt": "#", ".html": None, ".vue": None}.get(path.suffix, "//")
    line = f"\n<!-- {marker} -->\n" if comment is None else f"\n{comment} {marker}\n"
    path.write_text(path.read_text(encoding="utf-8") + line, encoding="utf-8")
    return path


def bump_dependency(sample: Sample, tree: Path | str) -> tuple[Path, ...]:
    """Replace the dependency files in ``tree`` (a copy) by their bumped versions; returns them."""
    c = sample.cache
    if c.dependency is None or c.bump_dir is None:
        raise SampleError(f"sample {sample.name!r} has no dependency to bump: {c.reason}")
    out = []
    for f in c.bump_files:
        target = Path(tree) / f
        shutil.copyfile(c.bump_dir / f, target)
        out.append(target)
    return tuple(out)


SCENARIOS = ("cold", "unchanged", "source edit", "dependency bump")


def cache_scenarios(sample: Sample | str, variants: Sequence[str] = ("naive", "optimised"), *,
                    progress: bool = True) -> pd.DataFrame:
    """Each row is one build of one variant in one scenario, run in order on a private copy of the sample.

    Scenarios: ``cold`` (no cache), ``unchanged`` (rebuild), ``source edit`` (the manifest's touch
    file changed), ``dependency bump`` (the manifest's dependency bumped, when it declares one).
    Columns: ``variant``, ``scenario``, ``wall_s``, ``steps_executed``, ``steps_cached``,
    ``executed_s`` (seconds spent in executed steps), ``first_executed`` (the earliest Dockerfile
    step that had to run again), ``bases``.
    """
    s = _sample(sample)
    rows = []
    for variant in variants:
        spec = s.dockerfile(variant)
        with tempfile.TemporaryDirectory(prefix=f"dockopt-cache-{s.name}-") as tmp:
            tree = copy_tree(s, Path(tmp) / s.name)
            tag = f"{naming.namespace()}/{s.name}:cache-{variant}"
            for scenario in SCENARIOS:
                if scenario == "source edit":
                    touch_source(s, tree)
                elif scenario == "dependency bump":
                    if s.cache.dependency is None:
                        continue
                    bump_dependency(s, tree)
                result = build(tree, dockerfile=spec.path.name, target=spec.target, tag=tag,
                               no_cache=scenario == "cold", progress=progress,
                               labels=naming.image_labels("experiment", **{naming.LABEL_SAMPLE: s.name}))
                rows.append(_scenario_row(variant, scenario, result))
    return pd.DataFrame(rows)


def _scenario_row(variant: str, scenario: str, result: BuildResult) -> dict[str, object]:
    steps = result.dockerfile_steps
    executed = steps[~steps["cached"]]
    first = executed.iloc[0] if len(executed) else None
    return {"variant": variant, "scenario": scenario, "wall_s": round(result.wall_s, 2),
            "steps_executed": len(executed), "steps_cached": int(steps["cached"].sum()),
            "executed_s": round(float(executed["duration_s"].fillna(0).sum()), 2),
            "first_executed": None if first is None else f"[{first['stage'] or '-'} {first['index']}/{first['total']}] "
                                                          f"{first['instruction']}",
            "bases": _bases(result)}


# --- runtime bases and service targets ----------------------------------------------------------------


def base_matrix(sample: Sample | str, bases: Sequence[str] | None = None, *, smoke: bool = True,
                progress: bool = True) -> pd.DataFrame:
    """Each row is the optimised image of ``sample`` on one runtime base variant.

    Columns: ``base``, ``image``, ``base_image``, ``size_bytes``, ``base_size_bytes``,
    ``app_bytes`` (what the app adds on top of its runtime base), ``standin`` (the base was an
    offline stand-in), ``healthy`` (the container answered its health check; None when
    ``smoke=False``), ``skipped`` (why a variant could not be built here, else None), ``bases``
    (every base the build resolved, builders included).
    """
    s = _sample(sample)
    rows = []
    for name in bases or [v.name for v in s.bases]:
        variant = s.base(name)
        row: dict[str, object] = {"base": name, "image": None, "base_image": variant.image, "size_bytes": None,
                                  "base_size_bytes": None, "app_bytes": None, "standin": None,
                                  "healthy": None, "skipped": None, "bases": ""}
        try:
            result = build_sample(s, "optimised", base=name, progress=progress)
        except NeedsRegistry as exc:
            row["skipped"] = exc.message
            rows.append(row)
            continue
        state = probe(variant.image)
        base_size = state.size_bytes or 0
        row.update(image=result.ref, size_bytes=result.size_bytes, base_size_bytes=base_size,
                   app_bytes=result.size_bytes - base_size, standin=state.is_standin, bases=_bases(result))
        if smoke:
            try:
                smoke_sample(s, result.ref)
                row["healthy"] = True
            except SmokeFailed:
                row["healthy"] = False
        rows.append(row)
    return pd.DataFrame(rows)


def service_targets(sample: Sample | str, variants: Sequence[str] = ("naive", "optimised"), *,
                    progress: bool = True) -> pd.DataFrame:
    """Each row is one service ``--target`` of a multi-service sample, built from one variant's Dockerfile.

    Targets are built one after another, so later targets show how much of the shared stages
    BuildKit reused. Columns: ``variant``, ``target``, ``image``, ``size_bytes``, ``wall_s``,
    ``steps_executed``, ``steps_cached``, ``stages`` (the stages that target's build touched), ``bases``.
    """
    s = _sample(sample)
    rows = []
    for variant in variants:
        for service in s.services(variant):
            if service.target is None:
                continue
            result = build_sample(s, variant, target=service.target, progress=progress)
            steps = result.dockerfile_steps
            rows.append({"variant": variant, "target": service.target, "image": result.ref,
                         "size_bytes": result.size_bytes, "wall_s": round(result.wall_s, 2),
                         "steps_executed": int((~steps["cached"]).sum()), "steps_cached": int(steps["cached"].sum()),
                         "stages": ", ".join(dict.fromkeys(str(x) for x in steps["stage"].dropna())),
                         "bases": _bases(result)})
    return pd.DataFrame(rows)


# --- sizes: naive vs optimised vs floor --------------------------------------------------------------

#: The size goals: optimised at least this much smaller than naive, per stack.
SIZE_TARGETS = {"node": 0.80, "vue": 0.90, "go": 0.97, "java": 0.65, "python": 0.50}
#: The optimised image may exceed its floor (runtime base + the app's artefacts) by at most this.
FLOOR_TOLERANCE = 0.10


def artefact_bytes(image: str, base_layers: int) -> int:
    """Bytes of the files the image adds on top of its runtime base's ``base_layers`` layers, as the
    final filesystem shows them (each path once; overwritten or deleted copies not counted)."""
    from .image import files

    df = files(image)
    added = df[(df["layer"] >= base_layers) & df["visible"] & (df["kind"] == "file")]
    return int(added["size_bytes"].sum())


def measure_sizes(samples: Sequence[Sample] | None = None, *, progress: bool = False) -> pd.DataFrame:
    """Each row is one service of one sample built both ways (default runtime base):

    ``naive_bytes``, ``optimised_bytes``, ``reduction_pct`` against ``target_pct`` (``meets_target``);
    ``naive_base``/``runtime_base`` with their status (``bases.probe``: stand-in / pulled / local /
    builtin); ``floor_bytes`` = runtime base + the app's artefacts (files the optimised image adds
    on top of its base) and ``floor_distance_pct`` = how far the optimised image is above that floor
    (``within_floor``: at most ``FLOOR_TOLERANCE``); ``bases``. Registry-only samples get a row with
    ``skipped`` set to the reason.
    """
    rows: list[dict[str, object]] = []
    for s in samples if samples is not None else samples_mod.all_samples():
        if s.registry_only:
            rows.append({"sample": s.name, "stack": s.stack, "service": s.name, "skipped": s.registry_reason})
            continue
        for svc in s.services("optimised"):
            naive = build_sample(s, "naive", target=svc.target, progress=progress)
            opt = build_sample(s, "optimised", target=svc.target, progress=progress)
            runtime = probe(svc.base or "scratch")
            floor = (runtime.size_bytes or 0) + artefact_bytes(opt.ref, runtime.layer_count)
            naive_base = naive.base_images[0] if naive.base_images else None
            target = SIZE_TARGETS.get(s.stack)
            reduction = 1 - opt.size_bytes / naive.size_bytes
            distance = opt.size_bytes / floor - 1 if floor else 0.0
            rows.append({
                "sample": s.name, "stack": s.stack, "service": svc.name,
                "naive_bytes": naive.size_bytes, "optimised_bytes": opt.size_bytes,
                "reduction_pct": round(100 * reduction, 1),
                "target_pct": None if target is None else round(100 * target),
                "meets_target": None if target is None else bool(reduction >= target),
                "naive_base": naive_base, "naive_base_status": probe(naive_base or "scratch").status,
                "runtime_base": svc.base, "runtime_base_status": runtime.status,
                "floor_bytes": floor, "floor_distance_pct": round(100 * distance, 1),
                "within_floor": bool(distance <= FLOOR_TOLERANCE),
                "naive_image": naive.ref, "optimised_image": opt.ref, "bases": _bases(naive, opt), "skipped": None,
            })
    return pd.DataFrame(rows)
