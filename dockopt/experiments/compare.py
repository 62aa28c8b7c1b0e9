"""Naive vs optimised: one sample, both Dockerfiles, sizes and layers side by side."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..build import BuildResult
from ..image import layers
from ..samples import Sample
from .builds import _bases, _sample, build_sample

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


