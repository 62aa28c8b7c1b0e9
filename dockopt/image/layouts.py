"""Image layouts: a ``docker save`` archive (Engine 20.10's legacy layout, or the OCI layout
current engines write), an OCI image layout (directory or tar), or the engine's save stream.

Each is read in one forward pass: the archive's members are scanned (metadata JSON kept, layer
tars read header by header as they pass), then the layout's manifest says which layers make
the image and in which order, and ``contents.build_contents`` stacks them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ArchiveError
from .contents import ImageContents, build_contents
from .layer import CaptureBudget, CapturePolicy, CaptureSink, LayerEntries, scan_layer
from .tar import ByteSource, ChunkSource, Decompressed, FileRange, TarReader, codec_of

_JSON_LIMIT = 64 << 20  # manifests and configs are small; refuse anything absurd


@dataclass
class _ArchiveScan:
    jsons: dict[str, bytes] = field(default_factory=dict)
    layers: dict[str, LayerEntries] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # symlinked layer tars
    other: int = 0  # members that are neither image metadata nor layers (a filesystem export has only these)
    budget: CaptureBudget = field(default_factory=CaptureBudget)


def _member_name(name: str) -> str:
    return posixpath.normpath(name.lstrip("/")).removeprefix("./")


def _open_layer(src: ByteSource, head: bytes) -> ByteSource:
    """``src`` decompressed when its first bytes say gzip or zstd."""
    codec = codec_of(head)
    return Decompressed(src, codec) if codec else src


def _looks_like_layer(head: bytes) -> bool:
    return (codec_of(head) is not None or head[257:262] == b"ustar"
            or (len(head) == 512 and head.count(0) == 512))


def _scan_archive(src: ByteSource, what: str, capture: CapturePolicy | None,
                  on_capture: CaptureSink | None = None) -> _ArchiveScan:
    out = _ArchiveScan()
    members = TarReader(src, what)
    for raw_name, typeflag, size, _mode, _uid, _gid, linkname in members:
        name = _member_name(raw_name)
        if typeflag == b"2" and (name.endswith(".tar") or name.startswith("blobs/")):
            out.aliases[name] = posixpath.normpath(posixpath.join(posixpath.dirname(name), linkname))
            continue
        if typeflag not in (b"0", b"\0"):
            out.other += 1
            continue
        base = posixpath.basename(name)
        # go-containerregistry's tarball writer (crane pull, kaniko --tarPath) names the config
        # by its digest, "sha256:<hex>", without ".json".
        if name.endswith(".json") or base in ("repositories", "oci-layout", "json") or name.startswith("sha256:"):
            if size > _JSON_LIMIT:
                raise ArchiveError(f"{what}: {name} is {size} bytes, too large for image metadata")
            if base != "json":  # the legacy per-layer "json" files are not needed
                out.jsons[name] = members.read(size)
            continue
        if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.zst")) or name.startswith("blobs/"):
            head = members.peek(512)
            if name.startswith("blobs/") and head[:1] in (b"{", b"["):
                if size > _JSON_LIMIT:
                    raise ArchiveError(f"{what}: {name} is {size} bytes, too large for image metadata")
                out.jsons[name] = members.read(size)
                continue
            if size == 0 or _looks_like_layer(head) or name.endswith(".tar"):
                layer_src = _open_layer(members.member_source(), head)
                out.layers[name] = scan_layer(layer_src, f"{what}: layer {name}", capture, out.budget, on_capture)
                continue
        out.other += 1
    return out


def _load_json(blob: bytes, name: str, what: str) -> Any:
    try:
        return json.loads(blob)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{what}: {name} is not valid JSON ({exc})") from exc


def _blob_path(digest: str) -> str:
    algo, _, hexdigest = digest.partition(":")
    return f"blobs/{algo}/{hexdigest}"


def _resolve_layout(scan: _ArchiveScan, what: str, want_tag: str | None) -> tuple[dict[str, Any], list[str], list[str]]:
    """(config, layer member names in order, diff ids) from manifest.json or an OCI index."""
    jsons = scan.jsons
    if "manifest.json" in jsons:
        manifest = _load_json(jsons["manifest.json"], "manifest.json", what)
        if not isinstance(manifest, list) or not manifest:
            raise ArchiveError(f"{what}: manifest.json lists no image")
        entry = manifest[0]
        if want_tag:
            for m in manifest:
                if want_tag in (m.get("RepoTags") or []):
                    entry = m
        config_name = _member_name(entry.get("Config", ""))
        if config_name not in jsons:
            raise ArchiveError(f"{what}: the image config {config_name!r} named by manifest.json is missing")
        config = _load_json(jsons[config_name], config_name, what)
        layer_names = [_member_name(n) for n in entry.get("Layers") or []]
    elif "index.json" in jsons:
        index = _load_json(jsons["index.json"], "index.json", what)
        manifest = _pick_manifest(index, jsons, what)
        cfg_name = _blob_path(manifest["config"]["digest"])
        if cfg_name not in jsons:
            raise ArchiveError(f"{what}: the image config {cfg_name} is missing")
        config = _load_json(jsons[cfg_name], cfg_name, what)
        layer_names = [_blob_path(d["digest"]) for d in manifest.get("layers") or []]
    elif scan.other and not scan.layers:
        # A flattened root filesystem (docker/podman export, crane export = go-containerregistry's
        # mutate.Extract) has no config, history or layers: read as a one-layer image it would score
        # a perfect efficiency precisely because the export threw the evidence away.
        raise ArchiveError(f"{what}: not an image archive: a plain tar of {scan.other} entries (no manifest.json "
                           "or index.json), like the flattened filesystem `docker export`, `podman export` or "
                           "`crane export` write, which has no layers or history to analyse",
                           hint="give the image itself: `docker save`, `podman save`, `skopeo copy`, `crane pull`; "
                                "to inspect this filesystem as a one-layer image, `docker import FILE NAME` and "
                                "analyse NAME")
    else:
        raise ArchiveError(f"{what}: not an image archive (no manifest.json or index.json)",
                           hint="give a `docker save` archive, an OCI image layout, or an image reference")
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    return config, layer_names, diff_ids


def _pick_manifest(index: Mapping[str, Any], jsons: Mapping[str, bytes], what: str, depth: int = 0) -> dict[str, Any]:
    if depth > 4:
        raise ArchiveError(f"{what}: OCI indexes nest too deeply")
    manifests = index.get("manifests") or []
    if not manifests:
        raise ArchiveError(f"{what}: the OCI index lists no manifest")

    def rank(m: Mapping[str, Any]) -> int:
        p = m.get("platform") or {}
        if (m.get("annotations") or {}).get("vnd.docker.reference.type") == "attestation-manifest":
            return 9
        return 0 if (p.get("os") in (None, "linux") and p.get("architecture") in (None, "amd64")) else 1

    chosen = sorted(manifests, key=rank)[0]
    name = _blob_path(chosen["digest"])
    if name not in jsons:
        raise ArchiveError(f"{what}: the manifest {name} named by the OCI index is missing")
    doc = _load_json(jsons[name], name, what)
    if "manifests" in doc:
        return _pick_manifest(doc, jsons, what, depth + 1)
    if "config" not in doc:
        raise ArchiveError(f"{what}: {name} is not an image manifest")
    return doc


def _assemble(scan: _ArchiveScan, what: str, want_tag: str | None) -> ImageContents:
    config, layer_names, diff_ids = _resolve_layout(scan, what, want_tag)
    ordered: list[tuple[str, LayerEntries]] = []
    for name in layer_names:
        seen: set[str] = set()
        target = name
        while target in scan.aliases and target not in seen:  # symlinked layer tars (and loops)
            seen.add(target)
            target = scan.aliases[target]
        if target not in scan.layers:
            if target in seen or target in scan.aliases:
                raise ArchiveError(f"{what}: layer {name} is a symlink loop")
            raise ArchiveError(f"{what}: layer {name} named by the manifest is missing from the archive",
                               hint="the archive is incomplete or truncated")
        ordered.append((name, scan.layers[target]))
    return build_contents(what, config, ordered, diff_ids, scan.budget)


def _oci_dir(path: Path, capture: CapturePolicy | None, on_capture: CaptureSink | None = None) -> ImageContents:
    """An OCI image layout directory (or an unpacked ``docker save``): read only what it names."""
    what = str(path)
    scan = _ArchiveScan()
    for meta in ("manifest.json", "index.json"):
        if (path / meta).is_file():
            scan.jsons[meta] = (path / meta).read_bytes()
    if not scan.jsons:
        raise ArchiveError(f"{what}: not an image layout (no manifest.json or index.json)")
    blobs = path / "blobs"
    if blobs.is_dir():
        for algo in blobs.iterdir():
            for blob in algo.iterdir():
                if blob.is_file() and blob.stat().st_size <= _JSON_LIMIT:
                    with blob.open("rb") as f:
                        if f.read(1) in (b"{", b"["):
                            scan.jsons[f"blobs/{algo.name}/{blob.name}"] = blob.read_bytes()
    manifest = _load_json(scan.jsons["manifest.json"], "manifest.json", what) if "manifest.json" in scan.jsons else None
    if isinstance(manifest, dict):
        config, layer_names, diff_ids = _dir_transport_layout(path, manifest, what)
    else:
        if manifest is not None:
            cfg = _member_name((manifest[0] if manifest else {}).get("Config", ""))
            if cfg and (path / cfg).is_file():
                scan.jsons[cfg] = (path / cfg).read_bytes()
        config, layer_names, diff_ids = _resolve_layout(scan, what, None)
    root = path.resolve()
    ordered = []
    for name in layer_names:
        p = (path / name).resolve()
        if not p.is_relative_to(root):
            raise ArchiveError(f"{what}: layer {name} points outside the layout directory")
        if not p.is_file():
            raise ArchiveError(f"{what}: layer {name} is missing", hint="the layout is incomplete")
        with p.open("rb") as f:
            member = FileRange.of_file(f.fileno())
            ordered.append((name, scan_layer(_open_layer(member, member.read_at(0, 512)), f"{what}: layer {name}",
                                             capture, scan.budget, on_capture)))
    return build_contents(what, config, ordered, diff_ids, scan.budget)


def _dir_transport_layout(path: Path, manifest: Mapping[str, Any],
                          what: str) -> tuple[dict[str, Any], list[str], list[str]]:
    """(config, layer file names, diff ids) of the containers/image "dir" transport (``skopeo copy
    ... dir:PATH``, ``podman save --format docker-dir``): manifest.json is the image manifest
    itself and every blob is a file named by its bare hex digest (``<hex>.tar`` in version 1.0)."""
    if "config" not in manifest:
        raise ArchiveError(f"{what}: manifest.json is not an image manifest (a manifest list?)",
                           hint="copy a single platform: skopeo copy without --all, or with --override-arch")

    def blob(digest: str) -> str:
        hexdigest = str(digest).partition(":")[2]
        if not re.fullmatch(r"[0-9a-f]{32,128}", hexdigest):
            raise ArchiveError(f"{what}: manifest.json names a blob by a malformed digest {digest!r}")
        legacy = f"{hexdigest}.tar"
        return legacy if not (path / hexdigest).is_file() and (path / legacy).is_file() else hexdigest

    cfg = blob(manifest["config"]["digest"])
    if not (path / cfg).is_file():
        raise ArchiveError(f"{what}: the image config {cfg} named by manifest.json is missing")
    config = _load_json((path / cfg).read_bytes(), cfg, what)
    layer_names = [blob(d["digest"]) for d in manifest.get("layers") or []]
    return config, layer_names, list((config.get("rootfs") or {}).get("diff_ids") or [])


def is_archive_path(value: str | os.PathLike[str]) -> bool:
    """Whether ``value`` names an archive or layout on disk rather than an image reference."""
    if isinstance(value, os.PathLike):
        return True
    return os.path.exists(value) and (os.sep in value or value.endswith((".tar", ".tgz", ".gz")) or
                                      os.path.isdir(value) or os.path.isfile(value))


def read_archive(path: str | os.PathLike[str], *, capture: CapturePolicy | None = None,
                 on_capture: CaptureSink | None = None) -> ImageContents:
    """Read a ``docker save`` tar (plain or gzipped) or an OCI image layout (directory or tar).

    ``capture``: which files' contents to keep (``CapturePolicy``); ``on_capture``: told about
    each kept file as soon as it is read.
    """
    p = Path(path)
    if p.is_dir():
        return _oci_dir(p, capture, on_capture)
    if not p.is_file():
        raise ArchiveError(f"{p}: no such archive", hint="give the path of a `docker save` tar or an OCI layout")
    with p.open("rb") as f:
        whole = FileRange.of_file(f.fileno())
        codec = codec_of(whole.read_at(0, 4))
        src: ByteSource = Decompressed(whole, codec) if codec else whole
        scan = _scan_archive(src, str(p), capture, on_capture)
        return _assemble(scan, str(p), None)


def read_engine_image(ref: str, *, capture: CapturePolicy | None = None, stream: Iterable[bytes] | None = None,
                      on_capture: CaptureSink | None = None) -> ImageContents:
    """Stream ``docker save`` of ``ref`` from the engine and read it on the fly (nothing on disk).

    ``stream``: the save stream when the caller opened it already (``dockopt analyze`` does, so
    that the engine prepares it while the command gets ready).
    """
    if stream is None:
        from .. import engine  # the docker SDK is only needed here

        stream = engine.save_image(ref)
    src = ChunkSource(stream)
    try:
        scan = _scan_archive(src, ref, capture, on_capture)
    finally:
        # Stop the stream (and a prefetching thread) even when the archive ended before it did.
        with contextlib.suppress(Exception):
            src.close()
    return _assemble(scan, ref, ref if ":" in ref else None)


def read_bytes(data: bytes | io.BytesIO, *, what: str = "archive",
               capture: CapturePolicy | None = None) -> ImageContents:
    """Read an image archive held in memory (tests, small fixtures)."""
    raw = data.getvalue() if isinstance(data, io.BytesIO) else bytes(data)
    scan = _scan_archive(FileRange.of_bytes(raw), what, capture)
    return _assemble(scan, what, None)
