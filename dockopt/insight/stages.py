"""The stages of a multi-stage build, measured: ``stages(build_result)``.

Steps come from the build's BuildKit records (each step placed on its stage and line by the parsed
Dockerfile), bytes from the image: the final image's history, attributed to the instructions that
wrote it, tells how many bytes each stage gave the image through ``FROM`` (the chain the target is
built on, base image included) or ``COPY --from``. What a stage built and the image did not take is
measured by building that stage alone (``--target``; every step is cached by then, so it costs seconds)
and reading its size.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .. import engine, naming
from ..analysis import attribute_layers
from ..errors import DockoptError
from ..image import layers as image_layers

if TYPE_CHECKING:  # pragma: no cover
    from ..build import BuildResult

STAGE_COLUMNS = ["stage", "index", "name", "base", "base_stage", "takes_from", "target", "in_target", "skipped",
                 "steps", "cached_steps", "executed_steps", "duration_s", "final_bytes", "stage_bytes",
                 "left_behind_bytes", "line"]


def _stage_tag(result: BuildResult, label: str) -> str:
    project = re.sub(r"[^a-z0-9._-]+", "-", Path(result.context).name.lower()).strip("-._") or "project"
    stage = re.sub(r"[^a-z0-9._-]+", "-", label.lower()).strip("-._") or "stage"
    return f"{naming.namespace()}/{project}:stage-{stage}"


def stage_sizes(result: BuildResult, labels: list[str], *, progress: bool = False) -> dict[str, int | None]:
    """Bytes of the image each stage in ``labels`` makes on its own (``--target``), built from the same
    context, Dockerfile and build args; None when the context is gone or the stage does not build."""
    from ..build import build

    out: dict[str, int | None] = {}
    if not Path(result.context).is_dir():
        return dict.fromkeys(labels)
    for label in labels:
        try:
            r = build(result.context, result.dockerfile, target=label, build_args=result.build_args,
                      tag=_stage_tag(result, label), labels=naming.image_labels("experiment"), progress=progress)
            out[label] = r.size_bytes
        except DockoptError:
            out[label] = None
    return out


def stages(result: BuildResult, *, measure_left_behind: bool = True, progress: bool = False) -> pd.DataFrame:
    """Each row is one stage of the build's Dockerfile, in file order.

    Columns: ``stage`` (BuildKit's label: the ``AS`` name or ``stage-N``), ``index``, ``name``, ``base`` (the
    ``FROM`` reference, build args applied), ``base_stage`` (the stage it builds on, if any), ``takes_from``
    (stages it copies or mounts from), ``target`` (the stage the build produced), ``in_target`` (BuildKit
    needed it for the target), ``skipped`` (not needed, so never built), ``steps`` / ``cached_steps`` /
    ``executed_steps`` / ``duration_s`` (its BuildKit steps in this build), ``final_bytes`` (bytes the final
    image takes from it: its layers through the ``FROM`` chain, base image included, or what ``COPY --from``
    copied out of it), ``stage_bytes`` (the image the stage makes on its own; ``measure_left_behind``
    builds it with ``--target``, cached), ``left_behind_bytes`` (``stage_bytes`` the final image does not take;
    NA when not measured), ``line`` (its ``FROM`` line).
    """
    parsed = result.parsed
    target = parsed.target(result.target)
    needed = set(parsed.needed_stages(result.target))
    chain = {s.index for s in parsed.chain(result.target)}
    steps = result.dockerfile_steps

    history = image_layers(result.image_id)
    attributed = attribute_layers(history, result)
    root = min(chain)  # the chain stage whose FROM is an image: the base image's bytes come through it
    final_bytes: dict[str, int] = {}
    upto: dict[str, int] = {}  # chain stage -> bytes of the image's layers up to and including its own
    running = 0
    for stage, from_stage, size in zip(attributed["stage"], attributed["from_stage"], history["size_bytes"]):
        owner = from_stage or (parsed.stages[root].label if stage == "base" else stage)
        if owner is not None:
            final_bytes[str(owner)] = final_bytes.get(str(owner), 0) + int(size)
        running += int(size)
        upto[parsed.stages[root].label if stage == "base" else str(stage)] = running

    measured: dict[str, int | None] = {}
    if measure_left_behind:
        todo = [s.label for s in parsed.stages if s.index in needed and s.index != target.index]
        measured = stage_sizes(result, todo, progress=progress)
        measured[target.label] = result.size_bytes

    rows = []
    for s in parsed.stages:
        mine = steps[steps["stage_index"] == s.index] if "stage_index" in steps.columns else steps.iloc[0:0]
        executed = mine[~mine["cached"]]
        takes = sorted({parsed.stages[e.from_stage].label for e in parsed.edges
                        if e.to_stage == s.index and e.kind != "from" and e.from_stage is not None})
        taken = final_bytes.get(s.label, 0) if s.index in needed else 0
        size = measured.get(s.label) if s.index in needed else None
        # a chain stage's image is all in the final one, up to its own layers; another stage gave what was copied
        kept = upto.get(s.label, taken) if s.index in chain else taken
        left = None if size is None else max(size - kept, 0)
        rows.append({
            "stage": s.label, "index": s.index, "name": s.name, "base": s.base,
            "base_stage": parsed.stages[s.base_stage].label if s.base_stage is not None else None,
            "takes_from": tuple(takes), "target": s.index == target.index, "in_target": s.index in needed,
            "skipped": s.index not in needed, "steps": len(mine), "cached_steps": int(mine["cached"].sum()),
            "executed_steps": len(executed), "duration_s": float(mine["duration_s"].fillna(0).sum()),
            "final_bytes": taken, "stage_bytes": size, "left_behind_bytes": left, "line": s.line,
        })
    out = pd.DataFrame(rows, columns=STAGE_COLUMNS)
    for col in ("stage_bytes", "left_behind_bytes"):
        out[col] = out[col].astype("Int64")
    return out


def remove_stage_images(result: BuildResult) -> int:
    """Remove the per-stage images ``stages`` tagged for ``result``; returns how many were removed."""
    parsed = result.parsed
    removed = 0
    for s in parsed.stages:
        tag = _stage_tag(result, s.label)
        if engine.image_exists(tag):
            engine.remove_image(tag)
            removed += 1
    return removed
