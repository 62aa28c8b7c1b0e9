"""Experiments: compose builds, layer tables and smoke runs into the comparisons the notebooks tell.

- ``naive_vs_optimised``: one sample, both Dockerfiles, sizes and layers side by side.
- ``cache_scenarios``: what a rebuild costs after no change, a source edit, a dependency bump.
- ``base_matrix``: the optimised Dockerfile on each runtime base the sample declares.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import naming
from . import samples as samples_mod
from .build import BuildResult, build
from .errors import NeedsRegistry, SmokeFailed
from .image import layers
from .report import base_provenance
from .samples import Sample


def _sample(sample: Sample | str) -> Sample:
    return samples_mod.load(sample) if isinstance(sample, str) else sample


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
        return 1.0 - by_variant["optimised"] / by_variant["naive"]

    @property
    def ratio(self) -> float:
        by_variant = self.sizes.set_index("variant")["size_bytes"]
        return by_variant["naive"] / by_variant["optimised"]


def naive_vs_optimised(sample: Sample | str, *, base: str | None = None, progress: bool = True) -> Comparison:
    """Build the sample's naive and optimised Dockerfiles and tabulate what each ships."""
    s = _sample(sample)
    builds = {"naive": samples_mod.build_sample(s, "naive", progress=progress),
              "optimised": samples_mod.build_sample(s, "optimised", base=base, progress=progress)}
    size_rows, layer_frames = [], []
    for variant, result in builds.items():
        table = layers(result.ref)
        layer_frames.append(table.assign(variant=variant))
        size_rows.append({"variant": variant, "image": result.ref, "size_bytes": result.size_bytes,
                          "layers": int((~table["empty"]).sum()), "build_s": round(result.wall_s, 2),
                          "dockerfile_steps": len(result.dockerfile_steps),
                          "bases": ", ".join(result.base_images)})
    return Comparison(sample=s.name, builds=builds, sizes=pd.DataFrame(size_rows),
                      layers=pd.concat(layer_frames, ignore_index=True))


SCENARIOS = ("cold", "unchanged", "source edit", "dependency bump")


def cache_scenarios(sample: Sample | str, variants: Sequence[str] = ("naive", "optimised"), *,
                    progress: bool = True) -> pd.DataFrame:
    """Each row is one build of one variant in one scenario, run in order on a private copy of the sample.

    Scenarios: ``cold`` (no cache), ``unchanged`` (rebuild), ``source edit`` (the manifest's touch
    file changed), ``dependency bump`` (the manifest's dependency bumped, when it declares one).
    Columns: ``variant``, ``scenario``, ``wall_s``, ``steps_executed``, ``steps_cached``,
    ``executed_s`` (seconds spent in executed steps), ``first_executed`` (the earliest Dockerfile
    step that had to run again).
    """
    s = _sample(sample)
    rows = []
    for variant in variants:
        spec = s.dockerfile(variant)
        with tempfile.TemporaryDirectory(prefix=f"dockopt-cache-{s.name}-") as tmp:
            tree = samples_mod.copy_tree(s, Path(tmp) / s.name)
            tag = f"{naming.namespace()}/{s.name}:cache-{variant}"
            for scenario in SCENARIOS:
                if scenario == "source edit":
                    samples_mod.touch_source(s, tree)
                elif scenario == "dependency bump":
                    if s.cache.dependency is None:
                        continue
                    samples_mod.bump_dependency(s, tree)
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
                                                          f"{first['instruction']}"}


def base_matrix(sample: Sample | str, bases: Sequence[str] | None = None, *, smoke: bool = True,
                progress: bool = True) -> pd.DataFrame:
    """Each row is the optimised image of ``sample`` on one runtime base variant.

    Columns: ``base``, ``image``, ``base_image``, ``size_bytes``, ``base_size_bytes``,
    ``app_bytes`` (what the app adds on top of its runtime base), ``standin`` (the base was an
    offline stand-in), ``healthy`` (the container answered its health check; None when
    ``smoke=False``), ``skipped`` (why a variant could not be built here, else None).
    """
    s = _sample(sample)
    rows = []
    for name in bases or [v.name for v in s.bases]:
        variant = s.base(name)
        row: dict[str, object] = {"base": name, "image": None, "base_image": variant.image, "size_bytes": None,
                                  "base_size_bytes": None, "app_bytes": None, "standin": None,
                                  "healthy": None, "skipped": None}
        try:
            result = samples_mod.build_sample(s, "optimised", base=name, progress=progress)
        except NeedsRegistry as exc:
            row["skipped"] = exc.message
            rows.append(row)
            continue
        prov = base_provenance([variant.image]).iloc[0] if variant.image != "scratch" else None
        base_size = int(prov["size_bytes"]) if prov is not None and prov["present"] else 0
        row.update(image=result.ref, size_bytes=result.size_bytes, base_size_bytes=base_size,
                   app_bytes=result.size_bytes - base_size,
                   standin=bool(prov["standin"]) if prov is not None else False)
        if smoke:
            try:
                samples_mod.smoke(s, result.ref)
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
    ``steps_executed``, ``steps_cached``, ``stages`` (the stages that target's build touched).
    """
    s = _sample(sample)
    rows = []
    for variant in variants:
        for service in s.services(variant):
            if service.target is None:
                continue
            result = samples_mod.build_sample(s, variant, target=service.target, progress=progress)
            steps = result.dockerfile_steps
            rows.append({"variant": variant, "target": service.target, "image": result.ref,
                         "size_bytes": result.size_bytes, "wall_s": round(result.wall_s, 2),
                         "steps_executed": int((~steps["cached"]).sum()), "steps_cached": int(steps["cached"].sum()),
                         "stages": ", ".join(dict.fromkeys(str(x) for x in steps["stage"].dropna()))})
    return pd.DataFrame(rows)


def build_matrix(samples: Sequence[Sample | str] | None = None) -> pd.DataFrame:
    """Each row is one image of the samples' build matrix, without building anything.

    Columns: ``sample``, ``build`` (variant[-base][-target]), ``buildable``, ``reason`` (why it
    cannot be built here, e.g. "needs registry access for mcr.microsoft.com/dotnet/sdk").
    """
    chosen = [_sample(s) for s in samples] if samples is not None else samples_mod.all_samples()
    return pd.DataFrame([{"sample": spec.sample, "build": spec.label, "buildable": spec.buildable,
                          "reason": spec.reason} for s in chosen for spec in s.builds()])
