"""Runtime bases and service targets: the optimised Dockerfile on each base; each service ``--target``."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..bases.catalog import probe
from ..errors import NeedsRegistry, SmokeFailed
from ..samples import Sample
from .builds import _bases, _sample, build_sample, smoke_sample

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


