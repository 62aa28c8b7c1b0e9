"""What a single-stage image is made of, and what a source edit costs it (the guide's "traditional" chapter).

``byte_breakdown`` sorts every byte of an image's final filesystem into the base image, the project's
production dependencies, its development dependencies (``"dev": true`` in ``package-lock.json``), the
application's own files and everything else its build wrote (npm's cache, logs). ``source_edit_rebuild``
rebuilds a sample after a one-line edit, on a private copy, and reports which steps ran again.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from .. import engine
from ..errors import SampleError
from ..image import read_image
from ..samples import Sample, build_request
from ..workspace import Workspace
from .builds import _sample

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


def _touch_file(s: Sample) -> str:
    if s.touch is None:
        raise SampleError(f"sample {s.name!r} names no source file to edit", hint="[cache] touch = ... in its manifest")
    return s.relative(s.touch)


def source_edit_rebuild(sample: Sample | str, variant: str = "naive") -> pd.DataFrame:
    """Each row is one Dockerfile step of a rebuild of ``sample`` after a one-line edit of its source
    file (the manifest's ``touch`` file), on a private copy: ``stage``, ``instruction``, ``cached``,
    ``duration_s``. The edit is unique to the call, so a warm machine reruns what a real edit reruns.
    The first build of the copy (to warm it) is not reported."""
    s = _sample(sample)
    req = build_request(s, variant)
    with Workspace(req.context, dockerfiles=[req.dockerfile], prefix=f"dockopt-edit-{s.name}-") as ws:
        tag = f"{req.tag}-edited"
        options: dict[str, Any] = {"target": req.target, "build_args": req.build_args, "tag": tag,
                                   "labels": req.labels, "progress": False}
        _, again = ws.rebuild_after_edit(req.dockerfile, _touch_file(s), marker=f"edit {uuid.uuid4().hex}", **options)
    steps = again.dockerfile_steps
    return steps[["stage", "instruction", "cached", "duration_s"]].reset_index(drop=True)


# The guide's two ways of keeping dev dependencies out of a single-stage image, and the way its advice is
# often misapplied (the prune in a RUN of its own), each as a one-line change of the naive install.
DEV_DEPENDENCY_ROUTES: dict[str, tuple[str, str]] = {
    "npm install": ("RUN npm install", "the naive Dockerfile as it is"),
    "npm prune, same RUN": ("RUN npm install && npm prune --production",
                            "`npm prune --production` in the RUN that installed"),
    "npm prune, later RUN": ("RUN npm install\nRUN npm prune --production",
                             "`npm prune --production` in a RUN of its own"),
    "ARG NODE_ENV=production": ("ARG NODE_ENV=production\nENV NODE_ENV=$NODE_ENV\nRUN npm install",
                                "`ARG NODE_ENV=production` before the install (npm then skips devDependencies)"),
}


def dev_dependency_routes(sample: Sample | str = "node-express", variant: str = "naive", *,
                          progress: bool = False) -> pd.DataFrame:
    """Build ``sample``'s single-stage Dockerfile once per ``DEV_DEPENDENCY_ROUTES`` entry (its
    ``RUN npm install`` line changed) on a private copy, and measure what each ships.

    Each row is one route: ``route``, ``change``, ``image_size_bytes``, ``dev_dependency_bytes`` (dev
    dependencies in the final filesystem, ``byte_breakdown``), ``saved_bytes`` (against ``npm install``)
    and ``layers``. Raises ``SampleError`` when the Dockerfile has no ``RUN npm install`` line to change.
    Images are removed when done."""
    s = _sample(sample, why="the dev-dependency routes change a Node sample's npm install")
    req = build_request(s, variant)
    text = (req.context / req.dockerfile).read_text(encoding="utf-8")
    install = "RUN npm install"
    if f"\n{install}\n" not in f"\n{text}\n":
        raise SampleError(f"{req.context / req.dockerfile}: no `{install}` line to change",
                          hint="dev_dependency_routes varies the install of a single-stage Node Dockerfile")
    lockfile = s.root / "package-lock.json"
    rows: list[dict[str, Any]] = []
    sizes: list[int] = []
    with Workspace(req.context, dockerfiles=[req.dockerfile], prefix=f"dockopt-devdeps-{s.name}-") as ws:
        # inside the copy, under fixed names (same bytes every run, so a warm machine builds from its cache);
        # the sample's .dockerignore applies to them as to the naive Dockerfile
        folder = ws.path(".dockopt-routes")
        folder.mkdir()
        for n, (route, (lines, change)) in enumerate(DEV_DEPENDENCY_ROUTES.items()):
            dockerfile = folder / f"{n}.Dockerfile"
            dockerfile.write_text(f"\n{text}\n".replace(f"\n{install}\n", f"\n{lines}\n", 1).strip("\n") + "\n",
                                  encoding="utf-8")
            result = ws.build(dockerfile, temporary=True, tag=f"{req.tag}-devdeps-{n}", labels=req.labels,
                              build_args=req.build_args, progress=progress)
            parts = byte_breakdown(result.image_id, result.base_images[-1], lockfile=lockfile)
            dev_bytes = int(parts.loc[parts["part"] == "dev dependencies", "size_bytes"].sum())
            sizes.append(result.size_bytes)
            rows.append({"route": route, "change": change, "image_size_bytes": result.size_bytes,
                         "dev_dependency_bytes": dev_bytes,
                         "layers": len(engine.inspect_image(result.image_id).layers)})
    table = pd.DataFrame(rows)
    table["saved_bytes"] = [sizes[0] - size for size in sizes]
    return table[["route", "change", "image_size_bytes", "dev_dependency_bytes", "saved_bytes", "layers"]]
