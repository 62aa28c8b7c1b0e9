"""Hand-made images: layer tarballs from directories and ``docker load`` archives from layers.

Used for images that upstream also assembles without running anything inside them (distroless,
alpine's minirootfs on scratch, busybox on scratch): each variant becomes exactly one layer on its
parent, with history entries and labels written here, and files owned by root with a fixed mtime
so the same inputs give the same layer digests.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import engine

EPOCH = 0  # upstream distroless layers carry mtime 0 too


@dataclass(frozen=True)
class Layer:
    """One layer tarball on disk, with what made it (for the image history)."""

    path: Path
    diff_id: str  # "sha256:<hex>" of the uncompressed tar
    created_by: str


@dataclass(frozen=True)
class ImageSpec:
    """What goes into one image config of a hand-made image."""

    tags: tuple[str, ...]
    layers: tuple[Layer, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    env: tuple[str, ...] = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    user: str | None = None
    workdir: str | None = None
    extra_history: tuple[str, ...] = ()  # metadata-only steps (ENV, CMD ...) after the last layer


def layer_from_dir(root: Path, out: Path, *, created_by: str,
                   owners: Mapping[str, tuple[int, int]] | None = None) -> Layer:
    """Tar ``root`` (sorted, root-owned unless ``owners`` says otherwise, mtime 0) into ``out``."""
    owners = owners or {}
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        raw = _HashingWriter(f)
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames.sort()
                rel_dir = os.path.relpath(dirpath, root)
                if rel_dir != ".":
                    _add(tar, root, rel_dir, owners)
                for name in sorted(filenames):
                    _add(tar, root, os.path.normpath(os.path.join(rel_dir, name)), owners)
                # symlinks to directories show up in dirnames but are not walked into
                for name in list(dirnames):
                    if os.path.islink(os.path.join(dirpath, name)):
                        _add(tar, root, os.path.normpath(os.path.join(rel_dir, name)), owners)
                        dirnames.remove(name)
    return Layer(out, "sha256:" + raw.hash.hexdigest(), created_by)


class _HashingWriter:
    """A write-only file that hashes what passes through (saves reading the layer again)."""

    def __init__(self, f: Any) -> None:
        self.f = f
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return self.f.write(data)

    def tell(self) -> int:
        return self.f.tell()


def _add(tar: tarfile.TarFile, root: Path, rel: str, owners: Mapping[str, tuple[int, int]]) -> None:
    full = os.path.join(root, rel)
    info = tar.gettarinfo(full, arcname=rel)
    info.mtime = EPOCH
    uid, gid = 0, 0
    for prefix, ids in owners.items():
        if rel == prefix or rel.startswith(prefix.rstrip("/") + "/"):
            uid, gid = ids
    info.uid, info.gid, info.uname, info.gname = uid, gid, "", ""
    if info.isdir():
        info.name = rel + "/" if not rel.endswith("/") else rel
    if info.isreg():
        with open(full, "rb") as f:
            tar.addfile(info, f)
    else:
        tar.addfile(info)


def layer_from_tar(path: Path, *, created_by: str) -> Layer:
    """A layer that is an existing uncompressed tarball (its digest kept next to it, by size and mtime)."""
    st = path.stat()
    sidecar = path.with_name(path.name + ".sha256")
    stamp = f"{st.st_size} {st.st_mtime_ns}"
    if sidecar.exists():
        digest, _, seen = sidecar.read_text().partition(" ")
        if seen.strip() == stamp:
            return Layer(path, "sha256:" + digest, created_by)
    digest = _sha256(path)
    sidecar.write_text(f"{digest} {stamp}\n")
    return Layer(path, "sha256:" + digest, created_by)


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def config_for(spec: ImageSpec) -> dict[str, Any]:
    cfg: dict[str, Any] = {"Env": list(spec.env), "Labels": dict(spec.labels)}
    if spec.entrypoint is not None:
        cfg["Entrypoint"] = list(spec.entrypoint)
    if spec.cmd is not None:
        cfg["Cmd"] = list(spec.cmd)
    if spec.user is not None:
        cfg["User"] = spec.user
    if spec.workdir is not None:
        cfg["WorkingDir"] = spec.workdir
    created = "1970-01-01T00:00:00Z"
    history: list[dict[str, Any]] = [{"created": created, "created_by": layer.created_by} for layer in spec.layers]
    history += [{"created": created, "created_by": h, "empty_layer": True} for h in spec.extra_history]
    return {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in spec.layers]},
        "history": history,
    }


def load(specs: Sequence[ImageSpec], *, present: Sequence[str] = ()) -> list[str]:
    """``docker load`` one ``docker save``-format archive holding ``specs``, streamed (no temp file).

    ``present``: diff ids of a leading run of layers the engine already has (a parent image's
    ``RootFS.Layers``); the engine only opens a layer file whose chain it lacks, so those are left out.
    """
    return engine.load_image(_archive_stream(specs, present=present))


def _archive_stream(specs: Sequence[ImageSpec], *, present: Sequence[str] = (),
                    chunk: int = 1 << 20) -> Iterator[bytes]:
    """The archive as tar blocks: configs, each layer once, then ``manifest.json``."""
    manifest = []
    seen: set[str] = set()
    for spec in specs:  # only a common prefix of every image's layers may be left out
        ids = [layer.diff_id for layer in spec.layers]
        if list(present) != ids[:len(present)]:
            present = ()
    seen.update(d.split(":", 1)[1] + "/layer.tar" for d in present)
    for spec in specs:
        cfg = json.dumps(config_for(spec), sort_keys=True).encode()
        cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
        yield from _member_bytes(cfg_name, cfg)
        names = []
        for layer in spec.layers:
            name = layer.diff_id.split(":", 1)[1] + "/layer.tar"
            if name not in seen:
                seen.add(name)
                size = layer.path.stat().st_size
                info = tarfile.TarInfo(name)
                info.size, info.mode = size, 0o444
                yield info.tobuf(format=tarfile.GNU_FORMAT)
                with open(layer.path, "rb") as f:
                    yield from iter(lambda: f.read(chunk), b"")
                yield _padding(size)
            names.append(name)
        manifest.append({"Config": cfg_name, "RepoTags": list(spec.tags), "Layers": names})
    yield from _member_bytes("manifest.json", json.dumps(manifest).encode())
    yield b"\0" * (2 * tarfile.BLOCKSIZE)


def _member_bytes(name: str, data: bytes) -> Iterator[bytes]:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o644
    yield info.tobuf(format=tarfile.GNU_FORMAT)
    yield data
    yield _padding(len(data))


def _padding(size: int) -> bytes:
    return b"\0" * (-size % tarfile.BLOCKSIZE)


