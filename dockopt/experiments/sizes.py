"""Sizes: naive vs optimised bytes against the size targets and the floor (runtime base + the app's files)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .. import samples as samples_mod
from ..bases.catalog import probe
from .builds import ProjectLike, _bases, _sample, build_sample

# --- sizes: naive vs optimised vs floor --------------------------------------------------------------

#: The size goals: optimised at least this much smaller than naive, per stack.
SIZE_TARGETS = {"node": 0.80, "vue": 0.90, "go": 0.97, "java": 0.65, "python": 0.50}
#: The optimised image may exceed its floor (runtime base + the app's artefacts) by at most this.
FLOOR_TOLERANCE = 0.10


def artefact_bytes(image: str, base_layers: int) -> int:
    """Bytes of the files the image adds on top of its runtime base's ``base_layers`` layers, as the
    final filesystem shows them (each path once; overwritten or deleted copies not counted)."""
    from ..image import files

    df = files(image)
    added = df[(df["layer"] >= base_layers) & df["visible"] & (df["kind"] == "file")]
    return int(added["size_bytes"].sum())


def measure_sizes(samples: Sequence[ProjectLike] | None = None, *, progress: bool = False) -> pd.DataFrame:
    """Each row is one service of one sample built both ways (default runtime base):

    ``naive_bytes``, ``optimised_bytes``, ``reduction_pct`` against ``target_pct`` (``meets_target``);
    ``naive_base``/``runtime_base`` with their status (``bases.probe``: stand-in / pulled / local /
    builtin); ``floor_bytes`` = runtime base + the app's artefacts (files the optimised image adds
    on top of its base) and ``floor_distance_pct`` = how far the optimised image is above that floor
    (``within_floor``: at most ``FLOOR_TOLERANCE``); ``bases``. Registry-only samples get a row with
    ``skipped`` set to the reason. Samples only (names, folders or loaded): the size targets are per
    sample stack, and the naive Dockerfile is the sample's; for two Dockerfiles of your own project,
    ``compare_dockerfiles``.
    """
    rows: list[dict[str, object]] = []
    chosen = [_sample(s, why="measure_sizes compares a sample's naive and optimised images against its size target")
              for s in samples] if samples is not None else samples_mod.all_samples()
    for s in chosen:
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
