"""What a single-stage image is made of, and what a source edit costs it (the guide's "traditional" chapter).

``byte_breakdown`` sorts every byte of an image's final filesystem into the base image, the project's
production dependencies, its development dependencies (``"dev": true`` in ``package-lock.json``), the
application's own files and everything else its build wrote (npm's cache, logs). ``source_edit_rebuild``
rebuilds a sample after a one-line edit, on a private copy, and reports which steps ran again.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path

import pandas as pd

from .. import engine
from ..build import build
from ..errors import SampleError
from ..image import read_image
from ..samples import Sample, build_request
from .builds import _sample
from .cache import copy_tree, touch_source

PARTS = ("base image", "production dependencies", "dev dependencies", "application files", "other build output")


def dev_packages(lockfile: str | os.PathLike[str]) -> dict[str, bool]:
    """``node_modules/...`` install path → whether npm marks it a development dependency (lockfile v2/v3)."""
    data = json.loads(Path(lockfile).read_text(encoding="utf-8"))
    packages = data.get("packages")
    if not isinstance(packages, dict):
        raise SampleError(f"{lockfile}: no 'packages' map (lockfileVersion 2 or 3 expected)",
                          hint="regenerate it with npm 7 or later (npm install --package-lock-only)")
    return {k: bool(v.get("dev")) for k, v in packages.items() if k.startswith("node_modules/")}


def byte_breakdown(image: str, base: str, *, lockfile: str | os.PathLike[str] | None = None,
                   app_dir: str = "/app", files: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each row is one part of ``image``'s final filesystem: ``part`` (``PARTS``), ``size_bytes``,
    ``files``, ``share`` (of the image's bytes) and ``examples`` (the largest paths of that part).

    ``base``: the image it was built ``FROM`` (its layers are the base part); ``lockfile``: the
    project's ``package-lock.json``, to tell development from production dependencies under
    ``<app_dir>/node_modules`` (without it, all count as production). ``files``: the image's
    ``files`` table read already (``analyze_report(image).contents.files``), to read the image once.
    """
    base_layers = len(engine.inspect_image(base).layers)
    dev = dev_packages(lockfile) if lockfile is not None else {}
    keys = sorted(dev, key=len, reverse=True)  # the deepest install path wins for nested packages
    prefix = app_dir.rstrip("/") + "/"
    files = read_image(image).files if files is None else files
    final = files[files["visible"] & (files["kind"] == "file")]

    def part(layer: int, path: str) -> str:
        if layer < base_layers:
            return "base image"
        if not path.startswith(prefix):
            return "other build output"
        rel = path[len(prefix):]
        if not rel.startswith("node_modules/"):
            return "application files"
        for key in keys:
            if rel.startswith(key + "/"):
                return "dev dependencies" if dev[key] else "production dependencies"
        return "production dependencies"

    parts = [part(int(layer), str(path)) for layer, path in zip(final["layer"], final["path"])]
    frame = final.assign(part=parts)
    total = int(frame["size_bytes"].sum()) or 1
    rows = []
    for name in PARTS:
        chunk = frame[frame["part"] == name].sort_values("size_bytes", ascending=False)
        rows.append({"part": name, "size_bytes": int(chunk["size_bytes"].sum()), "files": len(chunk),
                     "share": round(float(chunk["size_bytes"].sum()) / total, 4),
                     "examples": ", ".join(chunk["path"].head(3))})
    return pd.DataFrame(rows)


def source_edit_rebuild(sample: Sample | str, variant: str = "naive") -> pd.DataFrame:
    """Each row is one Dockerfile step of a rebuild of ``sample`` after a one-line edit of its source
    file (the manifest's ``touch`` file), on a private copy: ``stage``, ``instruction``, ``cached``,
    ``duration_s``. The edit is unique to the call, so a warm machine reruns what a real edit reruns.
    The first build of the copy (to warm it) is not reported."""
    s = _sample(sample)
    req = build_request(s, variant)
    with tempfile.TemporaryDirectory(prefix=f"dockopt-edit-{s.name}-") as tmp:
        tree = copy_tree(s, Path(tmp) / s.name)
        tag = f"{req.tag}-edited"
        build(tree, dockerfile=req.dockerfile, target=req.target, build_args=req.build_args, tag=tag,
              labels=req.labels, progress=False)
        touch_source(s, tree, marker=f"edit {uuid.uuid4().hex}")
        again = build(tree, dockerfile=req.dockerfile, target=req.target, build_args=req.build_args, tag=tag,
                      labels=req.labels, progress=False)
        engine.remove_image(tag)
    steps = again.dockerfile_steps
    return steps[["stage", "instruction", "cached", "duration_s"]].reset_index(drop=True)
