"""``build(...) -> BuildResult``: a BuildKit build with one record per step.

Route: the Engine API's ``POST /build?version=2`` (BuildKit in the daemon), with the context
sent as a tar that honours ``.dockerignore`` exactly like the docker CLI (docker SDK's own
``exclude_paths``), and progress decoded from ``moby.buildkit.trace`` messages. It needs no
buildx plugin and no CLI, works on Debian's Engine 20.10 and on current engines, and gives
exact per-step start/finish times and cache hits instead of parsed text.

Secrets (``RUN --mount=type=secret``) travel over a BuildKit session that ``dockopt.session`` serves
on the Engine API's ``POST /session``; the build request names it.

A result keeps what a later question needs without the tree: the Dockerfile's text and build args
(``parsed``), the digest of every context file sent (``context_files``), and the image id each base
reference had (``base_ids``): ``experiments.explain_rebuild`` compares two builds with them.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import IO

import docker.api.build
import docker.utils
import pandas as pd
from tqdm.auto import tqdm

from . import dockerfile as dockerfile_mod
from . import engine
from .buildkit import BuildStream, StepName, read_build_stream
from .errors import ContextNotFound, DockerfileError, DockerfileNotFound, DockoptError


@dataclass(frozen=True)
class BuildResult:
    """One finished build.

    ``steps``: each row is one BuildKit step (see ``dockopt.buildkit.steps_frame``);
    ``dockerfile_steps`` keeps only the rows that stand for Dockerfile instructions.
    """

    image_id: str
    tags: tuple[str, ...]
    wall_s: float
    size_bytes: int
    context: str
    dockerfile: str
    target: str | None
    steps: pd.DataFrame = field(repr=False, compare=False)
    build_args: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    dockerfile_text: str = field(default="", repr=False, compare=False)
    context_files: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    base_ids: Mapping[str, str | None] = field(default_factory=dict, repr=False, compare=False)
    secrets_used: tuple[str, ...] = ()

    @property
    def parsed(self) -> dockerfile_mod.Dockerfile:
        """The Dockerfile this build read (its text as it was then, with these build args)."""
        return dockerfile_mod.parse(self.dockerfile, text=self.dockerfile_text or None, build_args=self.build_args)

    @property
    def dockerfile_steps(self) -> pd.DataFrame:
        return self.steps[self.steps["dockerfile_step"]].reset_index(drop=True)

    @property
    def cached_steps(self) -> int:
        return int(self.dockerfile_steps["cached"].sum())

    @property
    def base_images(self) -> tuple[str, ...]:
        """The base image references this build resolved (``FROM`` lines), as written: what
        ``report.provenance`` checks for stand-ins."""
        return base_images_of(self.steps)

    @property
    def ref(self) -> str:
        """The first tag, else the image id: what to pass to inspection functions."""
        return self.tags[0] if self.tags else self.image_id


_METADATA_STEP = "[internal] load metadata for "


def _engine_platform() -> str | None:
    """The platform the engine builds for (``linux/amd64``): BuildKit's TARGET*/BUILD* ARGs; None: the host's."""
    try:
        facts = engine.info()
    except DockoptError:
        return None
    return f"{facts.os}/{facts.arch}" if "?" not in (facts.os, facts.arch) else None


def base_images_of(steps: pd.DataFrame) -> tuple[str, ...]:
    """The base image references a build's steps resolved (one ``load metadata`` step each), as written."""
    names = steps.loc[steps["name"].str.startswith(_METADATA_STEP), "name"]
    return tuple(engine.short_reference(n[len(_METADATA_STEP):].strip()) for n in names)


def _ignore_patterns(context: Path, dockerfile: Path) -> list[str] | None:
    from .project import ignore_patterns  # one reading of .dockerignore for builds and cache experiments

    return ignore_patterns(context, dockerfile) or None


class _Hashing:
    """A file read through ``read`` while a sha256 of what was read is kept."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f, self.sha = f, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.sha.update(data)
        return data


def _context_tar(ctx: Path, ignore: list[str] | None, dockerfile_name: str,
                 outside_contents: str | None, digests: dict[str, str] | None = None) -> IO[bytes]:
    """The context as an uncompressed tar, filtered by the SDK's .dockerignore matcher.

    Written in GNU format with whole-second mtimes: a PAX header first (what Python writes for
    float mtimes) makes BuildKit's upload sniffing, which reads only the first 512 bytes, take
    the whole tar for a bare Dockerfile. ``digests`` receives ``path -> sha256:<hex>`` of every
    regular file sent (read once, while it is written).
    """
    files = sorted(docker.utils.exclude_paths(str(ctx), ignore or [], dockerfile=dockerfile_name))
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the caller sends it, then closes it
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as t:
        for rel in files:
            if outside_contents is not None and rel == dockerfile_name:
                continue
            info = t.gettarinfo(str(ctx / rel), arcname=rel)
            if info is None:  # sockets
                continue
            info.mtime = int(info.mtime)
            if info.isfile():
                with open(ctx / rel, "rb") as f:
                    reader = _Hashing(f)
                    t.addfile(info, reader)  # tarfile only calls read()
                if digests is not None:
                    digests[rel] = "sha256:" + reader.sha.hexdigest()
            else:
                t.addfile(info)
        if outside_contents is not None:
            data = outside_contents.encode()
            info = tarfile.TarInfo(dockerfile_name)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            t.addfile(info, io.BytesIO(data))
    out.seek(0)
    return out


def failure(outcome: BuildStream, *, dockerfile: str) -> DockoptError:
    """The DockoptError for a build stream that ended without an image."""
    step, instruction, tail = outcome.failing if outcome.failing else (None, None, ())
    return engine.map_build_error(outcome.error or "the engine ended the build without an image id",
                                  dockerfile=dockerfile, step=step, instruction=instruction, log_tail=tail)


def _resolve(context: str | os.PathLike[str], dockerfile: str | os.PathLike[str]) -> tuple[Path, Path]:
    ctx = Path(context).expanduser().resolve()
    if not ctx.is_dir():
        raise ContextNotFound(f"build context {str(context)!r} is not a directory",
                              hint="pass the folder that holds the app's sources")
    df = Path(dockerfile)
    df = (df if df.is_absolute() else ctx / df).resolve()
    if not df.is_file():
        raise DockerfileNotFound(f"Dockerfile {str(df)!r} does not exist",
                                 hint="name it relative to the context, e.g. dockerfile='Dockerfile.naive'")
    return ctx, df


def annotate_steps(steps: pd.DataFrame, parsed: dockerfile_mod.Dockerfile | None) -> pd.DataFrame:
    """``steps`` with ``stage_index`` and ``line`` (first line of the instruction each Dockerfile step stands
    for, from ``Dockerfile.step_instruction``; NA for BuildKit's own steps or when nothing matches)."""
    stage_index: list[int | None] = []
    line: list[int | None] = []
    for label, index, total, is_step in zip(steps["stage"], steps["index"], steps["total"], steps["dockerfile_step"]):
        ins = None
        if parsed is not None and is_step and not pd.isna(index) and not pd.isna(total):
            ins = parsed.step_instruction(None if pd.isna(label) else str(label), int(index), int(total))
        stage_index.append(None if ins is None else ins.stage_index)
        line.append(None if ins is None else ins.line_start)
    out = steps.copy()
    out["stage_index"] = pd.array(stage_index, dtype="Int64")
    out["line"] = pd.array(line, dtype="Int64")
    return out


def build(context: str | os.PathLike[str], dockerfile: str | os.PathLike[str] = "Dockerfile", *,
          target: str | None = None, build_args: Mapping[str, str] | None = None, tag: str | None = None,
          no_cache: bool = False, labels: Mapping[str, str] | None = None, progress: bool = True,
          secrets: Mapping[str, str | os.PathLike[str]] | None = None,
          cache_from: Sequence[str] = ()) -> BuildResult:
    """Build ``context`` with BuildKit and record every step.

    ``secrets``: id → file, served to ``RUN --mount=type=secret,id=<id>`` over a BuildKit session
    (never sent as a build arg or in the context; the image keeps no trace of them).

    Raises ``ContextNotFound`` / ``DockerfileNotFound`` for missing inputs, ``DockerfileError``
    (with path and line) for a Dockerfile BuildKit cannot parse or plan, ``NeedsRegistry`` when a
    base image is neither local nor pullable, ``SecretSourceMissing`` for a secret file that does
    not exist, and ``BuildFailed`` (failing step, instruction, last log lines) when a step fails.

    ``cache_from``: images whose cache metadata BuildKit may reuse, e.g. one pushed with the build
    arg ``BUILDKIT_INLINE_CACHE=1`` (the engine pulls what it needs from their registry).
    """
    from .session import check_sources, secret_session

    ctx, df = _resolve(context, dockerfile)
    if secrets:
        check_sources(secrets)
    inside = df.is_relative_to(ctx)
    # The SDK's helper places a Dockerfile from outside the context into the tar under a unique name.
    dockerfile_name, outside_contents = docker.api.build.process_dockerfile(
        str(df.relative_to(ctx)) if inside else str(df), str(ctx))
    if outside_contents is not None:
        # The SDK's name is random. BuildKit's uploaded-tar route ignores a .dockerignore inside the tar,
        # so `COPY . .` ships that file: named by its content, the step stays cacheable across builds.
        dockerfile_name = ".dockerfile." + hashlib.sha256(outside_contents.encode()).hexdigest()[:40]
    dockerfile_text = df.read_text(encoding="utf-8", errors="replace")
    digests: dict[str, str] = {}
    tar = _context_tar(ctx, _ignore_patterns(ctx, df), str(dockerfile_name), outside_contents, digests)
    params = {
        "t": tag,
        "dockerfile": dockerfile_name,
        "target": target,
        "buildargs": dict(build_args or {}) or None,
        "labels": dict(labels or {}) or None,
        "nocache": "1" if no_cache else None,
        "cachefrom": list(cache_from) or None,
        "rm": "1",
        "forcerm": "1",
        "pull": None,  # never --pull: local stand-ins must win over an unreachable registry
    }
    bar = tqdm(total=0, desc=f"build {tag or ctx.name}", unit="step", disable=not progress, leave=False)

    def step_done(name: StepName) -> None:
        if name.dockerfile_step:
            bar.total = max(bar.total or 0, bar.n + 1)
            bar.set_postfix_str(name.instruction[:40], refresh=False)
            bar.update(1)

    started = time.monotonic()
    requested: list[str] = []
    try:
        if secrets:
            with secret_session(secrets) as session:
                params["session"] = session.id
                outcome = read_build_stream(engine.build_stream(tar, params), on_step_done=step_done)
                requested = session.requested
        else:
            outcome = read_build_stream(engine.build_stream(tar, params), on_step_done=step_done)
    finally:
        bar.close()
        tar.close()
    wall_s = time.monotonic() - started
    if outcome.error is not None or outcome.image_id is None:
        raise failure(outcome, dockerfile=str(df))
    image_id = outcome.image_id
    size = engine.inspect_image(image_id).size_bytes
    try:
        parsed: dockerfile_mod.Dockerfile | None = dockerfile_mod.parse(df, text=dockerfile_text,
                                                                        build_args=build_args,
                                                                        platform=_engine_platform())
    except DockerfileError:  # BuildKit built it; a file our parser cannot place still gets its steps
        parsed = None
    steps = annotate_steps(outcome.steps, parsed)
    bases = {ref: (info.id if (info := engine.find_image(ref)) else None) for ref in base_images_of(steps)}
    return BuildResult(image_id=image_id, tags=(tag,) if tag else (), wall_s=wall_s, size_bytes=size,
                       context=str(ctx), dockerfile=str(df), target=target, steps=steps,
                       build_args=MappingProxyType(dict(build_args or {})), dockerfile_text=dockerfile_text,
                       context_files=MappingProxyType(digests), base_ids=MappingProxyType(bases),
                       secrets_used=tuple(dict.fromkeys(requested)))
