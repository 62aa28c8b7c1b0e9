"""Building and starting a project's image (any folder, a sample included); one image of a sample's build
matrix; the whole matrix; the helpers every experiment shares (``resolve`` above all)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import naming
from .. import samples as samples_mod
from .. import smoke as _smoke
from ..build import BuildResult, build
from ..errors import DockoptError, NeedsRegistry, ProjectError
from ..project import MANIFEST, Project, project
from ..samples import Sample

#: What every experiment accepts: a Project (a Sample is one), a sample name, or a project folder.
ProjectLike = Project | str | os.PathLike[str]


def resolve(target: ProjectLike) -> Project:
    """The one resolver of what experiments accept: a ``Project`` (a ``Sample`` included) as is; a
    folder or a Dockerfile path through ``dockopt.project`` (a sample's own folder gives its
    ``Sample``); a name that is no path here but a sample's, through ``samples.load``."""
    if isinstance(target, Project):
        return target
    text = os.fspath(target)
    path = Path(text).expanduser()
    if path.exists():
        folder = path.resolve() if path.is_dir() else None
        if (folder is not None and folder.parent == samples_mod.samples_dir().resolve()
                and (folder / MANIFEST).is_file()):
            return samples_mod.load(folder.name)
        return project(path)
    if isinstance(target, str) and "/" not in text and text in samples_mod.names():
        return samples_mod.load(text)
    raise ProjectError(f"{text!r} is neither a project folder nor a sample",
                       hint=f"pass a folder with a Dockerfile, a dockopt.project(...), or a sample name "
                            f"({', '.join(samples_mod.names()) or 'none here'})")


def _sample(sample: ProjectLike, *, why: str = "") -> Sample:
    """The ``Sample`` an experiment that needs a sample's curated metadata was given."""
    resolved = resolve(sample)
    if not isinstance(resolved, Sample):
        raise ProjectError(f"{resolved.name}: {why or 'this needs a sample'} (a sample's dockopt.toml declares it; "
                           "a project folder does not)",
                           hint="for your own project: build_project, compare_dockerfiles, cache_scenarios, "
                                "base_matrix")
    return resolved


_TAG_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def project_tag(p: Project, label: str = "latest") -> str:
    """``<namespace>/<project>:<label>`` (the namespace is ``naming.namespace()``)."""
    tag = _TAG_CHARS.sub("-", label).strip("-.") or "latest"
    return f"{naming.namespace()}/{p.slug}:{tag[:128]}"


def build_project(target: ProjectLike, *, dockerfile: str | os.PathLike[str] | None = None,
                  stage: str | None = None, build_args: Mapping[str, str] | None = None, tag: str | None = None,
                  no_cache: bool = False, progress: bool = True) -> BuildResult:
    """Build a project's image through ``dockopt.build``: its Dockerfile and target, or ``dockerfile``
    (relative to the context; then its own last stage unless ``stage``) with extra ``build_args``.

    A sample builds its optimised image on the default runtime base (``build_sample``), so what it
    cannot build here raises ``NeedsRegistry`` with the manifest's reason. Tagged
    ``<namespace>/<project>:<dockerfile>[-<stage>]`` unless ``tag`` is given, labelled with the project.
    """
    p = resolve(target)
    if isinstance(p, Sample) and dockerfile is None and stage is None and not build_args:
        return build_sample(p, "optimised", tag=tag, no_cache=no_cache, progress=progress)
    df = p.dockerfile if dockerfile is None else p.resolve(dockerfile)
    chosen_stage = stage if stage is not None else (p.target if dockerfile is None else None)
    label = df.name.lower() + (f"-{chosen_stage}" if chosen_stage else "")
    return build(p.context, dockerfile=df, target=chosen_stage, build_args={**p.build_args, **(build_args or {})},
                 tag=tag or project_tag(p, label), no_cache=no_cache, progress=progress,
                 labels=naming.image_labels("project", **{naming.LABEL_PROJECT: p.name}))


def smoke_project(target: ProjectLike, image: str, *, timeout_s: float = 90, memory: bool = True) -> _smoke.SmokeResult:
    """Start ``image`` of a project and wait until it is ready: HTTP 200 on its health path, else its
    HEALTHCHECK, else its process staying up (``Project.stay_up_s``); always removes the container."""
    return _smoke.smoke(image, resolve(target).service(), timeout_s=timeout_s, memory=memory)


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
    req = samples_mod.build_request(_sample(sample), variant, base, target=target, tag=tag)
    return build(req.context, dockerfile=req.dockerfile, target=req.target, build_args=req.build_args,
                 tag=req.tag, no_cache=no_cache, labels=req.labels, progress=progress)


def smoke_sample(sample: Sample | str, image: str, *, target: str | None = None,
                 timeout_s: float = 90, memory: bool = True) -> _smoke.SmokeResult:
    """Start ``image`` (of ``sample``, service ``target`` for multi-service samples), wait for
    Docker's health status (if it has a HEALTHCHECK) and HTTP 200 on its health path at 127.0.0.1;
    always removes the container. Raises ``SmokeFailed``."""
    return _smoke.smoke(image, _sample(sample).service(target), timeout_s=timeout_s, memory=memory)


BUILD_STATUSES = ("built", "healthy", "skipped", "failed")
PROGRESS_PHASES = ("building", "built", "starting", "healthy", "skipped", "failed")


@dataclass(frozen=True)
class SampleProgress:
    """What ``build_samples`` is doing now, for a caller that shows progress (``on_progress``).

    ``phase``: ``building`` and ``starting`` begin a step; ``built`` (``size_bytes``, ``duration_s``:
    the build's wall time, ``cached_steps`` of ``steps``), ``healthy`` (``duration_s``: from start to
    the answered health check) end one; ``skipped`` / ``failed`` end the image, ``note`` says why.
    ``index`` counts images of the matrix from 1 to ``total``.
    """

    index: int
    total: int
    sample: str
    build: str
    phase: str  # one of PROGRESS_PHASES
    image: str | None = None
    size_bytes: int | None = None
    duration_s: float | None = None
    cached_steps: int | None = None
    steps: int | None = None
    note: str | None = None


def _teller(on_progress: Callable[[SampleProgress], None] | None, index: int, total: int, sample: str,
            build: str) -> Callable[..., None]:
    def tell(phase: str, **fields: object) -> None:
        if on_progress is not None:
            on_progress(SampleProgress(index, total, sample, build, phase, **fields))  # type: ignore[arg-type]
    return tell


def build_samples(names: Sequence[str] | None = None, *, variants: Sequence[str] | None = None,
                  smoke: bool = False, progress: bool = True,
                  on_progress: Callable[[SampleProgress], None] | None = None) -> pd.DataFrame:
    """Each row is one image of the samples' build matrix, built (and with ``smoke``, started).

    Columns: ``sample``, ``build`` (``variant[-base][-target]``), ``status`` (built / healthy /
    skipped / failed), ``image``, ``size_bytes``, ``build_s``, ``healthy_s`` (start to answered
    health check, with ``smoke``), ``note`` (why skipped or failed). ``variants`` keeps only those
    Dockerfile roles. A failure is a row, not an exception, so one broken image does not hide the
    others; what cannot be built here is ``skipped`` with its reason. ``progress``: each build's
    step bar; ``on_progress`` is called with a ``SampleProgress`` as each image starts and ends a phase.
    """
    loaded = (samples_mod.load(name) for name in (names or samples_mod.names()))
    chosen = [(sample, spec) for sample in loaded for spec in sample.builds()
              if not variants or spec.variant in variants]
    rows = []
    for index, (sample, spec) in enumerate(chosen, start=1):
        tell = _teller(on_progress, index, len(chosen), sample.name, spec.label)
        row: dict[str, object] = {"sample": sample.name, "build": spec.label, "status": "skipped", "image": None,
                                  "size_bytes": None, "build_s": None, "healthy_s": None, "note": spec.reason}
        if spec.buildable:
            try:
                tell("building")
                result = build_sample(sample, spec.variant, spec.base, target=spec.target, progress=progress)
                row.update(status="built", image=result.ref, size_bytes=result.size_bytes,
                           build_s=round(result.wall_s, 2))
                tell("built", image=result.ref, size_bytes=result.size_bytes, duration_s=result.wall_s,
                     cached_steps=result.cached_steps, steps=len(result.dockerfile_steps))
                if smoke and spec.variant in samples_mod.VARIANTS:
                    tell("starting", image=result.ref)
                    started = time.monotonic()
                    smoke_sample(sample, result.ref, target=spec.target)
                    row.update(status="healthy", healthy_s=round(time.monotonic() - started, 2))
                    tell("healthy", image=result.ref, duration_s=time.monotonic() - started)
            except NeedsRegistry as exc:
                row.update(status="skipped", note=exc.message)
            except DockoptError as exc:
                row.update(status="failed", note=exc.message.splitlines()[0])
                tell("failed", image=row["image"], note=row["note"])
        if row["status"] == "skipped":
            tell("skipped", note=row["note"])
        rows.append(row)
    table = pd.DataFrame(rows, columns=["sample", "build", "status", "image", "size_bytes", "build_s", "healthy_s",
                                        "note"])
    table["size_bytes"] = table["size_bytes"].astype("Int64")
    return table


def build_matrix(samples: Sequence[Sample | str] | None = None) -> pd.DataFrame:
    """Each row is one image of the samples' build matrix, without building anything.

    Columns: ``sample``, ``build`` (``variant[-base][-target]``), ``buildable``, ``reason`` (why it
    cannot be built here, e.g. "needs registry access for mcr.microsoft.com/dotnet/sdk").
    """
    chosen = [_sample(s) for s in samples] if samples is not None else samples_mod.all_samples()
    return pd.DataFrame([{"sample": spec.sample, "build": spec.label, "buildable": spec.buildable,
                          "reason": spec.reason} for s in chosen for spec in s.builds()])


