"""Shipping: what images cost to push and pull through a real registry, and a fresh CI runner's first build.

- ``transfer(images)``: push each image, read the compressed bytes per layer from the registry's
  manifest, pull it back into the engine after removing it (its bases stay), and count the bytes a
  later image reuses from earlier ones (mono-repo services on one base, samples on one distroless base).
- ``ci_cold_runner(sample)``: the first build on a new runner after a source edit: the sample's
  images removed (bases kept) and no cache of this measurement's steps left (its own records are
  pruned, never the rest of the engine's build cache unless ``prune=True``), then no cache vs
  ``cache_from`` an image pushed with inline cache metadata; registry cache export is reported as
  skipped where the engine's build API cannot export a cache.

The registry is ``$DOCKOPT_REGISTRY`` (default 127.0.0.1:5000; ``make registry`` starts one).
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import engine, naming, settings
from .. import samples as samples_mod
from ..build import BuildResult
from ..errors import DockoptError, NeedsRegistry
from ..registry import Manifest, Reference, Registry, default_registry
from ..samples import Sample
from ..workspace import Workspace
from .builds import _bases, _sample, build_sample
from .cache import touch_source

IMAGE_COLUMNS = ["image", "pushed", "size_bytes", "compressed_bytes", "compression_pct", "layers", "new_layers",
                 "new_bytes", "shared_bytes", "push_s", "layers_sent", "layers_skipped", "pull_s", "pulled_layers",
                 "pulled_bytes", "fetch_s", "digest", "note", "bases"]
LAYER_COLUMNS = ["image", "layer", "digest", "media_type", "compressed_bytes", "first_in", "shared"]


@dataclass(frozen=True)
class Transfer:
    """What shipping a set of images through one registry cost.

    ``images``: each row is one image: ``size_bytes`` (in the engine, uncompressed),
    ``compressed_bytes`` (its layers as the registry stores and sends them), ``new_bytes`` /
    ``shared_bytes`` (layers first seen in this image vs reused from an image earlier in the list),
    ``push_s`` with ``layers_sent`` / ``layers_skipped`` (already in the registry or mounted from
    another repository: the engine reports which), ``pull_s`` into an engine that no longer had
    the image (bases kept) with ``pulled_layers`` / ``pulled_bytes`` (what had to come down),
    ``fetch_s`` (downloading every compressed layer over HTTP, as a node without the bases would),
    ``note`` (why a step was not measured), ``bases``. ``layers``: each row is one layer of one image.
    """

    registry: str
    images: pd.DataFrame = field(repr=False)
    layers: pd.DataFrame = field(repr=False)
    base_images: tuple[str, ...] = ()

    @property
    def compressed_bytes(self) -> int:
        """Bytes the registry holds for all the images (each shared layer once)."""
        return int(self.layers.drop_duplicates("digest")["compressed_bytes"].sum()) if len(self.layers) else 0

    @property
    def shared_bytes(self) -> int:
        return int(self.images["shared_bytes"].sum()) if len(self.images) else 0


def pushed_name(image: str, registry: str | None = None) -> str:
    """Where ``image`` goes in ``registry``: the same repository path and tag under the registry host
    (``dockopt-sample/go-api:optimised`` → ``127.0.0.1:5000/dockopt-sample/go-api:optimised``)."""
    repo, tag = engine.split_reference(image)
    first, slash, rest = repo.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        repo = rest
    return f"{registry or default_registry()}/{repo}:{tag or 'latest'}"


def _images_of(what: Sample | str | BuildResult | Sequence[str | BuildResult], progress: bool
               ) -> tuple[list[str], tuple[str, ...]]:
    """Image references and the bases they were built on: a sample (its optimised service images,
    built now), build results, or references."""
    if isinstance(what, Sample) or (isinstance(what, str) and what in samples_mod.names()):
        s = _sample(what)
        results = [build_sample(s, "optimised", target=svc.target, progress=progress)
                   for svc in s.services("optimised")]
        return [r.ref for r in results], tuple(dict.fromkeys(b for r in results for b in r.base_images))
    items = [what] if isinstance(what, (str, BuildResult)) else list(what)
    refs = [i.ref if isinstance(i, BuildResult) else str(i) for i in items]
    bases = tuple(dict.fromkeys(b for i in items if isinstance(i, BuildResult) for b in i.base_images))
    return refs, bases


def _cold_pull(image: str, target: str, prune: bool) -> tuple[engine.Transferred | None, str | None]:
    """Remove ``image`` (every tag it has; its bases stay), pull ``target`` back and restore the
    tags. (None, why) when the engine cannot let go of the image (a container uses it, children)."""
    info = engine.inspect_image(image)
    tags = set(info.tags) | {target}
    for tag in sorted(tags):
        engine.remove_image(tag)
    if engine.find_image(info.id) is not None:
        for tag in sorted(tags):
            engine.tag_image(info.id, tag)
        return None, "not pulled: the engine keeps the image (a container or a child image uses it)"
    if prune:
        engine.prune_build_cache(confirm=True)  # the caller asked: prune_before_pull=True
    try:
        pulled = engine.pull_timed(target)
    finally:
        for tag in sorted(tags - {target}):
            with contextlib.suppress(DockoptError):
                engine.tag_image(target, tag)
    return pulled, None


def _fetch_all(reg: Registry, manifest: Manifest) -> float:
    started = time.monotonic()
    for layer in manifest.layers:
        for _ in reg.blob(manifest.reference.repository, layer.digest):
            pass
    return time.monotonic() - started


def transfer(images: Sample | str | BuildResult | Sequence[str | BuildResult], *, registry: str | None = None,
             pull: bool = True, fetch: bool = True, prune_before_pull: bool = False,
             progress: bool = True) -> Transfer:
    """Push each image to ``registry`` (default ``$DOCKOPT_REGISTRY``) and measure what it costs.

    ``images``: a sample name or ``Sample`` (its optimised service images are built first), build
    results, or image references, in the order they ship (sharing is counted against earlier ones).
    ``pull=False`` skips the pull (sizes and push only: what the size notebooks need);
    ``fetch=False`` skips downloading the blobs over HTTP. The engine keeps a removed image's
    layers while its build cache (or another image) holds them, and then a pull downloads nothing
    (``pulled_layers`` 0, said in ``note``); ``prune_before_pull=True`` prunes the engine's whole build
    cache first, as on a deploy host, at the price of every other build's cache on that engine (it says
    so on stderr; refused with ``PruneRefused`` under ``DOCKOPT_CLASSROOM=1``).
    """
    refs, bases = _images_of(images, progress)
    host = registry or default_registry()
    reg = Registry(host)
    reg.ping()
    seen: dict[str, str] = {}  # layer digest -> first image that had it
    image_rows, layer_rows = [], []
    for image in refs:
        info = engine.inspect_image(image)
        target = pushed_name(image, host)
        engine.tag_image(image, target)
        pushed = engine.push(target)
        manifest = reg.manifest(Reference.parse(target))
        new = [layer for layer in manifest.layers if layer.digest not in seen]
        for i, layer in enumerate(manifest.layers):
            layer_rows.append({"image": image, "layer": i, "digest": layer.digest, "media_type": layer.media_type,
                               "compressed_bytes": layer.size_bytes, "first_in": seen.get(layer.digest, image),
                               "shared": layer.digest in seen})
        for layer in new:
            seen[layer.digest] = image
        compressed = manifest.compressed_bytes
        row: dict[str, object] = {
            "image": image, "pushed": target, "size_bytes": info.size_bytes, "compressed_bytes": compressed,
            "compression_pct": round(100 * (1 - compressed / info.size_bytes), 1) if info.size_bytes else None,
            "layers": len(manifest.layers), "new_layers": len(new), "new_bytes": sum(x.size_bytes for x in new),
            "shared_bytes": compressed - sum(x.size_bytes for x in new), "push_s": round(pushed.seconds, 2),
            "layers_sent": pushed.count("Pushed"), "layers_skipped": pushed.count("Layer already exists", "Mounted"),
            "pull_s": None, "pulled_layers": None, "pulled_bytes": None, "fetch_s": None,
            "digest": manifest.digest, "note": None, "bases": ", ".join(bases)}
        if pull:
            pulled, why = _cold_pull(image, target, prune_before_pull)
            if pulled is None:
                row["note"] = why
            else:
                # the engine names layers by the first 12 hex digits of their compressed digest
                by_short = {x.digest.split(":")[-1][:12]: x.size_bytes for x in manifest.layers}
                complete = [k for k, v in pulled.layers.items() if v.startswith("Pull complete")]
                row.update(pull_s=round(pulled.seconds, 2), pulled_layers=len(complete),
                           pulled_bytes=sum(by_short.get(k, 0) for k in complete))
                if not complete:
                    row["note"] = ("the engine still held every layer (build cache or another image), so the pull "
                                   "fetched the manifest and config only; fetch_s is the download")
        if fetch:
            row["fetch_s"] = round(_fetch_all(reg, manifest), 2)
        image_rows.append(row)
    return Transfer(registry=host, images=pd.DataFrame(image_rows, columns=IMAGE_COLUMNS),
                    layers=pd.DataFrame(layer_rows, columns=LAYER_COLUMNS), base_images=bases)


# --- a fresh CI runner ---------------------------------------------------------------------------------

COLD_RUNNER_SCENARIOS = ("no cache", "cache_from (inline cache)", "registry cache export")
COLD_RUNNER_COLUMNS = ["scenario", "status", "wall_s", "steps_executed", "steps_cached", "image", "note", "bases"]


def registry_cache_export_support() -> tuple[bool, str]:
    """(supported, why): whether dockopt's build route can export a BuildKit cache to a registry.

    dockopt builds through the Engine API's ``POST /build?version=2``, whose parameters offer
    ``cachefrom`` but no cache export, on Engine 20.10 (API 1.41) and on current engines alike:
    ``--cache-to type=registry`` needs a BuildKit client session (buildx or buildctl)."""
    v = engine.info()
    return False, (f"Engine {v.server_version} (API {v.api_version}): the build API has cachefrom but no cache "
                   "export; `type=registry,mode=max` needs buildx or buildctl with a BuildKit session")


# Declared after every FROM of the measured Dockerfile: its value, unique to one measurement, is part of
# the environment of every RUN, so no RUN step can hit a record another build left on the engine.
RUNNER_ARG = "DOCKOPT_COLD_RUNNER"
_FROM = re.compile(r"^(\s*FROM\s.*)$", re.IGNORECASE | re.MULTILINE)


def _own_steps(dockerfile: Path) -> None:
    """Give the copied Dockerfile's RUN steps cache keys of their own (``ARG DOCKOPT_COLD_RUNNER``)."""
    text = dockerfile.read_text(encoding="utf-8")
    dockerfile.write_text(_FROM.sub(rf"\1\nARG {RUNNER_ARG}", text), encoding="utf-8")


def _run_commands(dockerfile: Path) -> list[str]:
    """The shell text of each RUN of ``dockerfile``, flags (``--mount=...``) left out, spaces collapsed."""
    from ..dockerfile import parse

    out = []
    for stage in parse(dockerfile).stages:
        for ins in stage.instructions:
            if ins.keyword.upper() == "RUN":
                words = ins.original.split()[1:]
                while words and words[0].startswith("--"):
                    words.pop(0)
                out.append(" ".join(words))
    return [c for c in out if c]


def _own_records(before: set[str], dockerfile: Path) -> set[str]:
    """The build cache records this measurement's RUN steps made, and every record stacked on them.

    Records new since ``before`` are not all ours on a shared engine (other builds run meanwhile): ours
    are the results of our RUN commands (``mount / from exec <command>``), whose cache keys hold the
    measurement's own ``DOCKOPT_COLD_RUNNER`` value, and the records whose snapshot stacks on one of them."""
    records = [r for r in engine.build_cache_records() if r.id not in before]
    commands = _run_commands(dockerfile)
    ours = {r.id for r in records
            if "from exec" in r.description and any(c in " ".join(r.description.split()) for c in commands)}
    grew = True
    while grew:
        more = {r.id for r in records if r.parent in ours and r.id not in ours}
        ours |= more
        grew = bool(more)
    return ours


def _fresh_runner(tags: Sequence[str], *, prune: bool, own: set[str]) -> None:
    """What a new runner has: none of the project's images (the bases stay) and none of the
    measurement's cached steps: its own records ``own`` go, or with ``prune`` the whole build cache."""
    for tag in tags:
        engine.remove_image(tag)
    if prune:
        engine.prune_build_cache(confirm=True)
    else:
        engine.prune_build_cache(ids=own)


def _run_row(scenario: str, result: BuildResult, note: str | None = None) -> dict[str, object]:
    steps = result.dockerfile_steps
    return {"scenario": scenario, "status": "measured", "wall_s": round(result.wall_s, 2),
            "steps_executed": int((~steps["cached"]).sum()), "steps_cached": int(steps["cached"].sum()),
            "image": result.ref, "note": note, "bases": _bases(result)}


def ci_cold_runner(sample: Sample | str, *, registry: str | None = None, variant: str = "optimised",
                   target: str | None = None, progress: bool = True, prune: bool = False) -> pd.DataFrame:
    """Each row is one build on a fresh CI runner, after a source edit (``COLD_RUNNER_SCENARIOS``).

    Before: the sample is built with ``BUILDKIT_INLINE_CACHE=1`` and pushed to the registry (what
    the previous CI run left). Then the manifest's touch file is edited in a private copy, and
    before each measured build the build cache is pruned and the sample's images are removed
    (bases kept): ``no cache``; ``cache_from (inline cache)``, which may reuse only what the pushed
    image's inline metadata covers (the final stage's layers: BuildKit's "min" mode);
    ``registry cache export`` (``mode=max``), ``skipped`` with the reason where unsupported.
    Columns: ``scenario``, ``status`` (measured / skipped), ``wall_s``, ``steps_executed``,
    ``steps_cached``, ``image``, ``note``, ``bases``.

    The engine's build cache is left as it was: the measured Dockerfile (a private copy) declares
    ``ARG DOCKOPT_COLD_RUNNER``, set to a value unique to this call, so every RUN step's cache key is the
    measurement's own, and the records the measurement created are pruned by id before the
    ``cache_from`` build: the results of its RUN commands and every record stacked on them (on a shared
    engine other builds make records meanwhile; those are left alone). Steps before the first RUN (a
    WORKDIR, a small COPY) and shared cache mounts may still be found locally. ``prune=True`` instead
    prunes the engine's WHOLE build cache before each measured build, as before (every other build on
    the engine goes cold; it says so on stderr).
    Under ``DOCKOPT_CLASSROOM=1`` nothing is pruned: the ``cache_from`` row is ``skipped`` with the reason.
    """
    s = _sample(sample)
    req = samples_mod.build_request(s, variant, target=target)
    host = registry or default_registry()
    Registry(host).ping()
    tag = f"{naming.namespace()}/{s.name}:ci-runner"
    cache_image = pushed_name(f"{naming.namespace()}/{s.name}:ci-cache", host)
    own_steps = {RUNNER_ARG: uuid.uuid4().hex}
    inline = {**req.build_args, **own_steps, "BUILDKIT_INLINE_CACHE": "1"}
    labels = naming.image_labels("experiment", **{naming.LABEL_SAMPLE: s.name})
    rows = []
    with Workspace(req.context, dockerfiles=[req.dockerfile], prefix=f"dockopt-ci-{s.name}-") as ws:
        tree = ws.root
        _own_steps(tree / req.dockerfile)

        def run(**kw: object) -> BuildResult:
            return ws.build(req.dockerfile, target=req.target, tag=tag, labels=labels, progress=progress,
                            **kw)  # type: ignore[arg-type]

        classroom = settings.classroom()
        if prune:  # asked for: the old, engine-wide way (refused in classroom mode, before anything is built)
            engine.prune_build_cache(confirm=True)
        before = set() if prune or classroom else {r.id for r in engine.build_cache_records()}
        previous = run(build_args=inline)  # the previous CI run: built and pushed with inline cache
        engine.tag_image(previous.image_id, cache_image)
        engine.push(cache_image)
        touch_source(s, tree, marker="ci cold runner")

        _fresh_runner([tag, cache_image], prune=prune, own=set())
        # --no-cache reads no record, so this build needs nothing pruned before it (it leaves records, though)
        rows.append(_run_row("no cache", run(build_args={**req.build_args, **own_steps}, no_cache=True)))
        if classroom:
            rows.append({"scenario": "cache_from (inline cache)", "status": "skipped",
                         "note": "DOCKOPT_CLASSROOM=1: a shared engine's build cache is not pruned, so the "
                                 "measurement's own cached steps would answer instead of the registry's"})
        else:
            own = set() if prune else _own_records(before, tree / req.dockerfile)
            _fresh_runner([tag], prune=prune, own=own)
            try:
                rows.append(_run_row("cache_from (inline cache)", run(build_args=inline, cache_from=[cache_image]),
                                     note=f"cache from {cache_image}"))
            except NeedsRegistry as exc:
                rows.append({"scenario": "cache_from (inline cache)", "status": "skipped", "note": exc.message})
        ok, why = registry_cache_export_support()
        rows.append({"scenario": "registry cache export", "status": "measured" if ok else "skipped", "note": why})
    out = pd.DataFrame(rows, columns=COLD_RUNNER_COLUMNS)
    return out.astype({"steps_executed": "Int64", "steps_cached": "Int64"})
