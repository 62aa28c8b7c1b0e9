"""The conversion ladder: one project walked from a naive Dockerfile to an optimised one, a change per rung.

A ladder is an ordered list of Dockerfiles over one build context (``load_ladder``: files named
``<n>-<name>.Dockerfile`` in a directory, the first comment line saying what the rung changes).
``cluttered_copy`` makes that context the way a developer's folder really is: a git repository,
host-installed ``node_modules``, a ``.env`` with a fake secret generated here, debug logs.
``climb`` builds every rung, edits a source file, rebuilds every rung, and measures each image.

The file facts of an image (compressed size, packages, shells, secrets) depend only on its layers,
so they are kept in ``${XDG_CACHE_HOME:-~/.cache}/dockopt/ladder`` under a digest of the layer ids:
a rung whose build was served from the cache is not read again (each test session labels its
images, which changes their ids but not their layers).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import content, engine, naming, proc, settings
from ..build import BuildResult
from ..errors import SampleError
from ..samples import samples_dir
from ..workspace import Workspace, copy_whole

LADDER_DIR = content.guide_dir("ladder")
_RUNG_FILE = re.compile(r"^(\d+)-([A-Za-z0-9_.-]+)\.Dockerfile$")
# Fixed identity and dates: the working copy's .git is the same bytes every run, so rung 0 (which
# ships it) stays cacheable between runs.
_GIT_ENV = {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.invalid", "GIT_COMMITTER_NAME": "dev",
            "GIT_COMMITTER_EMAIL": "dev@example.invalid", "GIT_AUTHOR_DATE": "2026-01-05T09:00:00Z",
            "GIT_COMMITTER_DATE": "2026-01-05T09:00:00Z", "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1"}


@dataclass(frozen=True)
class Rung:
    """One Dockerfile of a ladder: its position, short name, file and the one change it makes."""

    index: int
    name: str
    dockerfile: Path
    change: str


@dataclass(frozen=True)
class Ladder:
    """Ordered rungs over one context; ``edit`` is the source file a "source edit" appends to."""

    rungs: tuple[Rung, ...]
    edit: str = "src/server.js"

    def only(self, *indexes: int) -> Ladder:
        """The same ladder with only the rungs numbered ``indexes`` (e.g. a pitfall's pair)."""
        return Ladder(tuple(r for r in self.rungs if r.index in indexes), self.edit)


@dataclass(frozen=True)
class Clutter:
    """What ``cluttered_copy`` added to the working copy, for the story: paths and their bytes."""

    root: Path
    added: tuple[tuple[str, int], ...]
    secret_file: str

    @property
    def added_bytes(self) -> int:
        return sum(size for _, size in self.added)


@dataclass(frozen=True)
class LadderRun:
    """What ``climb`` measured: ``table`` (one row per rung) and the first-pass builds."""

    table: pd.DataFrame
    builds: tuple[BuildResult, ...]
    clutter_bytes: int

    @property
    def base_images(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ref for b in self.builds for ref in b.base_images))


def _change_of(text: str) -> str:
    """The first comment paragraph of a Dockerfile, without its ``Rung n:`` prefix."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return re.sub(r"^Rung \d+:\s*", "", " ".join(lines)).strip()


def load_ladder(directory: str | os.PathLike[str] = LADDER_DIR, *, edit: str = "src/server.js") -> Ladder:
    """The rungs ``<n>-<name>.Dockerfile`` of ``directory``, in order of ``n``.

    Raises ``SampleError`` when the directory holds none or two rungs share a number.
    """
    root = Path(directory)
    found: dict[int, Rung] = {}
    for path in sorted(root.glob("*.Dockerfile")) if root.is_dir() else ():
        m = _RUNG_FILE.match(path.name)
        if not m:
            continue
        index = int(m.group(1))
        if index in found:
            raise SampleError(f"{root}: two rungs numbered {index} ({found[index].dockerfile.name}, {path.name})",
                              hint="number the Dockerfiles 0-..., one per rung")
        found[index] = Rung(index, m.group(2), path, _change_of(path.read_text(encoding="utf-8")))
    if not found:
        raise SampleError(f"{root}: no ladder Dockerfiles (<n>-<name>.Dockerfile) there",
                          hint=f"point at a directory like {LADDER_DIR}")
    return Ladder(tuple(found[i] for i in sorted(found)), edit)


def _deterministic_bytes(seed: str, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


def fake_secret_env(seed: str = "dockopt ladder") -> str:
    """The ``.env`` text of the working copy: a session secret, database URL and a live-looking API
    key, derived from ``seed`` here (never committed; the same every run so the context is cacheable)."""
    h = hashlib.sha256(seed.encode()).hexdigest()
    return (f"NODE_ENV=development\nSESSION_SECRET={h[:32]}\n"
            f"DATABASE_URL=postgres://app:{h[32:52]}@db:5432/app\nSTRIPE_SECRET_KEY=sk_live_{h[8:32]}\n")


def cluttered_copy(dest: str | os.PathLike[str], source: str | os.PathLike[str] | None = None) -> Clutter:
    """Copy ``source`` (default: ``sample_apps/node-express``) to ``dest`` and add what a developer's
    folder holds: a git repository of it, a host ``node_modules`` (with a macOS-only native addon,
    4 MiB), a ``.env`` with a fake secret (``fake_secret_env``) and an npm debug log. Same bytes every call."""
    src = _ladder_source(source)
    return clutter(copy_whole(src, Path(dest), ignore=_NOT_COPIED))


_NOT_COPIED = ("node_modules", ".git")


def _ladder_source(source: str | os.PathLike[str] | None) -> Path:
    src = Path(source) if source is not None else samples_dir() / "node-express"
    if not (src / "package.json").is_file():
        raise SampleError(f"{src} has no package.json", hint="cluttered_copy expects a Node project")
    return src


def clutter(root: Path) -> Clutter:
    """Add to ``root`` (a copy of a Node project) what a developer's folder holds; see ``cluttered_copy``."""
    added: list[tuple[str, int]] = []

    def write(rel: str, data: bytes) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        added.append((rel, len(data)))

    write(".env", fake_secret_env().encode())
    write("npm-debug.log", b"".join(f"{i} verbose stack Error: ENOENT while resolving a dev dependency\n".encode()
                                    for i in range(4000)))
    write("node_modules/fsevents/package.json", b'{"name": "fsevents", "version": "2.3.3", "os": ["darwin"]}\n')
    write("node_modules/fsevents/fsevents.node", _deterministic_bytes("fsevents", 4 << 20))
    write("node_modules/.package-lock.json", b'{"name": "dockopt-sample-node-express", "lockfileVersion": 3}\n')
    proc.run(["git", "init", "-q", "-b", "main", str(root)], env=_GIT_ENV)
    proc.run(["git", "-C", str(root), "add", "-A", "--", ".", ":!node_modules", ":!.env", ":!*.log"], env=_GIT_ENV)
    proc.run(["git", "-C", str(root), "commit", "-q", "-m", "working copy"], env=_GIT_ENV)
    (root / ".git" / "index").unlink()  # it records inodes and mtimes: without it .git is the same bytes every run
    git_bytes = sum(p.stat().st_size for p in (root / ".git").rglob("*") if p.is_file())
    added.append((".git", git_bytes))
    return Clutter(root, tuple(added), ".env")


# --- file facts, cached by layers ---------------------------------------------------------------------


def _cache_dir() -> Path:
    root = settings.cache_dir() / "ladder"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, value: Any) -> None:
    tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(value), encoding="utf-8")
    tmp.replace(path)  # atomic: two sessions may measure at once


#: What ``image_facts`` returns, read from the one facts cache (``dockopt.facts_cache``, keyed by image id).
IMAGE_FACTS = ("compressed_bytes", "packages", "shells", "compilers", "package_managers", "secrets", "secret_paths",
               "reclaimable_bytes")


def image_facts(image: str, *, layer_gzip: dict[str, tuple[int, int]] | None = None) -> dict[str, Any]:
    """Compressed bytes, packages, shells, compilers, package managers and secrets of ``image``'s files.

    Read once per image id, whoever asks (``dockopt.facts_cache``: ``measure_image`` and the reports
    share it). ``layer_gzip``: the gzip sizes of layers seen already (``compressed_layers(known=...)``).
    """
    from .. import facts_cache
    from ..analysis_report import analyze_report
    from ..image.compressed import compressed_layers

    def measure() -> dict[str, Any]:
        report = analyze_report(image)
        return facts_cache.from_report(report, compressed_layers(image, known=layer_gzip).total_bytes)

    record = facts_cache.facts(engine.inspect_image(image).id, measure)
    return {k: record[k] for k in IMAGE_FACTS}


# --- the climb ----------------------------------------------------------------------------------------


def _steps_row(result: BuildResult) -> tuple[int, str | None]:
    steps = result.dockerfile_steps
    executed = steps[~steps["cached"]]
    first = None if executed.empty else str(executed.iloc[0]["instruction"])
    return len(executed), first


def _place_dockerfiles(ladder: Ladder, root: Path) -> list[Path]:
    """Copy each rung's Dockerfile and ignore file into ``root/.ladder``: a Dockerfile from outside the
    context goes into the build's tar under a random name, which ``COPY . .`` would ship, making every
    run's image new; inside the context it is the same bytes every run."""
    target = root / ".ladder"
    target.mkdir(exist_ok=True)
    # every rung file of the directories, not only the rungs climbed: a subset (``Ladder.only``) then
    # sends rung 0 the same context as the whole ladder does, and hits the same cache
    for directory in {rung.dockerfile.parent for rung in ladder.rungs}:
        for src in directory.glob("*.Dockerfile*"):
            if _RUNG_FILE.match(src.name.removesuffix(".dockerignore")):
                shutil.copyfile(src, target / src.name)
    return [target / rung.dockerfile.name for rung in ladder.rungs]


def climb(ladder: Ladder | None = None, *, source: str | os.PathLike[str] | None = None,
          progress: bool = False) -> LadderRun:
    """Build every rung of ``ladder`` (default: ``notebooks/guide/ladder``) over a cluttered copy of
    ``source``, append a line to the ladder's edit file, rebuild every rung, and measure each image.

    Each row of ``table`` is one rung: ``rung``, ``name``, ``change``, ``image``, ``size_bytes``,
    ``compressed_bytes``, ``build_s`` and ``build_steps_run`` (the first build here: a cold build on a
    machine that never built the rung, served from the cache on one that did), ``edit_rebuild_s``,
    ``edit_steps_rerun``, ``edit_first_rerun`` (after a source edit unique to this run), ``packages``,
    ``shell``, ``compilers``, ``package_manager``, ``secrets``, ``secret_paths``, ``user``,
    ``runs_as_root``, ``healthcheck``, ``reclaimable_bytes``, ``bases``.
    """
    ladder = ladder or load_ladder()
    layer_gzip_path = _cache_dir() / "layer-gzip.json"
    layer_gzip: dict[str, tuple[int, int]] = {k: (int(v[0]), int(v[1]))
                                               for k, v in (_read_json(layer_gzip_path) or {}).items()}
    labels = naming.image_labels("experiment", **{naming.LABEL_SAMPLE: "ladder"})
    rows: list[dict[str, Any]] = []
    firsts: list[BuildResult] = []
    with Workspace(_ladder_source(source), whole=True, ignore=_NOT_COPIED, name="app",
                   prefix="dockopt-ladder-") as ws:
        cluttered = clutter(ws.root)
        dockerfiles = _place_dockerfiles(ladder, ws.root)
        for rung, dockerfile in zip(ladder.rungs, dockerfiles):
            tag = f"{naming.namespace()}/ladder:{rung.index}-{rung.name}"
            result = ws.build(dockerfile, tag=tag, labels=labels, progress=progress)
            firsts.append(result)
        # unique per run: a warm machine must still rerun what a real edit reruns
        ws.edit_source(ladder.edit, marker=f"edit {uuid.uuid4().hex}")
        for rung, dockerfile, first in zip(ladder.rungs, dockerfiles, firsts):
            again = ws.build(dockerfile, tag=f"{naming.namespace()}/ladder:{rung.index}-edited",
                          labels=labels, progress=progress)
            rerun, first_rerun = _steps_row(again)
            info = engine.inspect_image(first.image_id)
            facts = image_facts(first.image_id, layer_gzip=layer_gzip)
            run_steps, _ = _steps_row(first)
            rows.append({
                "rung": rung.index, "name": rung.name, "change": rung.change, "image": first.ref,
                "size_bytes": first.size_bytes, "compressed_bytes": facts["compressed_bytes"],
                "build_s": round(first.wall_s, 2), "build_steps_run": run_steps,
                "edit_rebuild_s": round(again.wall_s, 2), "edit_steps_rerun": rerun,
                "edit_first_rerun": first_rerun, "packages": facts["packages"],
                "shell": ", ".join(facts["shells"]) or None, "compilers": ", ".join(facts["compilers"]) or None,
                "package_manager": ", ".join(facts["package_managers"]) or None,
                "secrets": facts["secrets"], "secret_paths": ", ".join(facts["secret_paths"]) or None,
                "user": info.user or "root (unset)", "runs_as_root": info.runs_as_root,
                "healthcheck": info.has_healthcheck, "reclaimable_bytes": facts["reclaimable_bytes"],
                "bases": ", ".join(first.base_images),
            })
            for ref in again.tags:
                engine.remove_image(ref)
    _write_json(layer_gzip_path, layer_gzip)
    return LadderRun(pd.DataFrame(rows), tuple(firsts), cluttered.added_bytes)
