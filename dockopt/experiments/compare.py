"""Before vs after: a sample's naive and optimised Dockerfiles, any two Dockerfiles of a project, or two
images; sizes and layers side by side."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

from .. import engine
from ..build import BuildResult
from ..image import layers
from .builds import ProjectLike, _bases, _sample, build_project, build_sample, resolve

# --- naive vs optimised, before vs after -----------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Two images of one project, ``before`` and ``after`` (for a sample: naive and optimised).

    ``sizes``: each row is one image (``variant``, ``image``, ``size_bytes``, ``layers``,
    ``build_s``, ``dockerfile_steps``, ``bases``; the build columns are empty for images that were
    compared without building them); ``layers``: each row is one layer of one image
    (``dockopt.layers`` columns plus ``variant``). ``builds`` holds the ``BuildResult`` of each
    variant that was built, by variant.
    """

    sample: str
    builds: dict[str, BuildResult] = field(repr=False)
    sizes: pd.DataFrame = field(repr=False)
    layers: pd.DataFrame = field(repr=False)

    @property
    def variants(self) -> tuple[str, str]:
        """(before, after): the two variants, in the order they were given."""
        first, second = self.sizes["variant"].tolist()[:2]
        return str(first), str(second)

    @property
    def project(self) -> str:
        return self.sample

    @property
    def reduction(self) -> float:
        """Fraction of the before image's bytes the after image does not need (0.8 = 80 % smaller)."""
        before, after = self._sizes()
        return float(1.0 - after / before)

    @property
    def ratio(self) -> float:
        before, after = self._sizes()
        return float(before / after)

    def _sizes(self) -> tuple[float, float]:
        by_variant = self.sizes.set_index("variant")["size_bytes"]
        before, after = self.variants
        return float(by_variant[before]), float(by_variant[after])

    @property
    def base_images(self) -> tuple[str, ...]:
        """The base image references both builds resolved, first use first."""
        return tuple(dict.fromkeys(ref for r in self.builds.values() for ref in r.base_images))


def _tabulate(name: str, builds: dict[str, BuildResult]) -> Comparison:
    size_rows, layer_frames = [], []
    for variant, result in builds.items():
        table = layers(result.ref)
        layer_frames.append(table.assign(variant=variant))
        size_rows.append({"variant": variant, "image": result.ref, "size_bytes": result.size_bytes,
                          "layers": int((~table["empty"]).sum()), "build_s": round(result.wall_s, 2),
                          "dockerfile_steps": len(result.dockerfile_steps), "bases": _bases(result)})
    return Comparison(sample=name, builds=builds, sizes=pd.DataFrame(size_rows),
                      layers=pd.concat(layer_frames, ignore_index=True))


def naive_vs_optimised(sample: ProjectLike, *, base: str | None = None, progress: bool = True) -> Comparison:
    """Build a sample's naive and optimised Dockerfiles and tabulate what each ships (for a project
    folder, name its two Dockerfiles: ``compare_dockerfiles``)."""
    s = _sample(sample, why="naive_vs_optimised needs the naive and optimised Dockerfiles of a sample; "
                            "use compare_dockerfiles(project, 'Dockerfile.old', 'Dockerfile')")
    builds = {"naive": build_sample(s, "naive", progress=progress),
              "optimised": build_sample(s, "optimised", base=base, progress=progress)}
    return _tabulate(s.name, builds)


def compare_dockerfiles(target: ProjectLike, before: str | os.PathLike[str], after: str | os.PathLike[str], *,
                        labels: tuple[str, str] | None = None, stages: tuple[str | None, str | None] = (None, None),
                        progress: bool = True) -> Comparison:
    """Build two Dockerfiles of one project (named relative to its context) and tabulate what each ships.

    ``labels``: the two variants' names (default: the Dockerfiles' file names, or ``before``/``after``
    when those are equal); ``stages``: a ``--target`` for each (default: each file's last stage).
    ``Comparison.reduction`` is how much smaller ``after`` is.
    """
    p = resolve(target)
    first, second = p.resolve(before), p.resolve(after)
    names = labels or ((first.name, second.name) if first.name != second.name else ("before", "after"))
    builds = {names[0]: build_project(p, dockerfile=first, stage=stages[0], progress=progress),
              names[1]: build_project(p, dockerfile=second, stage=stages[1], progress=progress)}
    return _tabulate(p.name, builds)


def compare_images(before: str, after: str, *, labels: tuple[str, str] = ("before", "after")) -> Comparison:
    """Two images already in the engine, before and after a change: sizes and layers side by side (no
    build, so no ``builds`` and no build columns). ``dockopt.diff(before, after)`` lists the files."""
    size_rows, layer_frames = [], []
    for variant, ref in zip(labels, (before, after)):
        info = engine.inspect_image(ref)
        table = layers(ref)
        layer_frames.append(table.assign(variant=variant))
        size_rows.append({"variant": variant, "image": ref, "size_bytes": info.size_bytes,
                          "layers": int((~table["empty"]).sum()), "build_s": None, "dockerfile_steps": None,
                          "bases": None})
    return Comparison(sample=f"{before} vs {after}", builds={}, sizes=pd.DataFrame(size_rows),
                      layers=pd.concat(layer_frames, ignore_index=True))
