"""What an image's layers weigh as a registry stores them: each layer tar gzip-compressed, the way
``docker push`` sends it (gzip at the default level, 6), counted while ``docker save`` streams by.

Nothing is written to disk and no layer is held in memory: each layer's bytes go through one zlib
compressor in 1 MiB pieces and only the compressed length is kept. Layers already stored
compressed in an archive (gzip or zstd blobs of an OCI layout) count as they are.

Go's deflate is not zlib's: measured here, Go's ``compress/gzip`` at its default wrote 2.9 % more than
this for ``gcr.io/distroless/cc-debian12`` (8.83 vs 8.57 MB) and 2.5 % more for
``node:24-bookworm-slim`` (90.5 vs 88.2 MB), so this slightly underestimates what a registry reports,
measured without one.
"""

from __future__ import annotations

import os
import posixpath
import zlib
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArchiveError
from .layouts import _ArchiveScan, _member_name, _resolve_layout
from .tar import ByteSource, ChunkSource, Decompressed, FileRange, TarReader, codec_of

GZIP_LEVEL = 6  # Go's gzip.DefaultCompression, what `docker push` compresses layers with
_CHUNK = 1 << 20
_JSON_LIMIT = 64 << 20


@dataclass(frozen=True)
class CompressedLayers:
    """Per layer, oldest first: bytes as stored in the image (uncompressed tars, for the engine) and as
    a registry would store them (gzip)."""

    image: str
    layer_bytes: tuple[int, ...]
    compressed_bytes: tuple[int, ...]

    @property
    def total_bytes(self) -> int:
        return sum(self.compressed_bytes)

    @property
    def ratio(self) -> float:
        """Compressed over uncompressed (0.35: a registry stores 35 % of the tar bytes)."""
        raw = sum(self.layer_bytes)
        return self.total_bytes / raw if raw else 1.0


def _gzip_length(src: ByteSource, level: int) -> tuple[int, int]:
    """(bytes read, gzip-compressed length) of everything ``src`` yields."""
    packer = zlib.compressobj(level, zlib.DEFLATED, 31)  # wbits 31: a gzip member, header and trailer
    raw = packed = 0
    while True:
        piece = src.read(_CHUNK)
        if not piece:
            break
        raw += len(piece)
        packed += len(packer.compress(piece))
    packed += len(packer.flush())
    return raw, packed


def compressed_layers(image: str | os.PathLike[str], *, level: int = GZIP_LEVEL,
                      stream: Iterable[bytes] | None = None,
                      known: MutableMapping[str, tuple[int, int]] | None = None) -> CompressedLayers:
    """Each layer of ``image`` (a reference in the engine, or a ``docker save`` / OCI archive file)
    gzip-compressed as a registry would store it; see ``CompressedLayers``.

    ``known``: layer archive name → (bytes, gzip bytes), read and filled in. The engine names a saved
    layer after its content (``<v1 id>/layer.tar`` derived from the layer chain, or
    ``blobs/sha256/<digest>``), so images on one base gzip that base once when they share the mapping."""
    path = Path(image) if not isinstance(image, str) or os.path.isfile(image) else None
    what = str(image)
    if path is not None:
        with path.open("rb") as f:
            whole = FileRange.of_file(f.fileno())
            codec = codec_of(whole.read_at(0, 4))
            return _measure(Decompressed(whole, codec) if codec else whole, what, level, known)
    if stream is None:
        from .. import engine  # the docker SDK is only needed here

        stream = engine.save_image(what)
    src = ChunkSource(stream)
    try:
        return _measure(src, what, level, known)
    finally:
        src.close()


def _measure(src: ByteSource, what: str, level: int,
             known: MutableMapping[str, tuple[int, int]] | None = None) -> CompressedLayers:
    scan = _ArchiveScan()
    sizes: dict[str, tuple[int, int]] = {}
    members = TarReader(src, what)
    for raw_name, typeflag, size, _mode, _uid, _gid, linkname in members:
        name = _member_name(raw_name)
        if typeflag == b"2":
            scan.aliases[name] = posixpath.normpath(posixpath.join(posixpath.dirname(name), linkname))
            continue
        if typeflag not in (b"0", b"\0"):
            continue
        head = members.peek(512)
        if size <= _JSON_LIMIT and (name.endswith(".json") or posixpath.basename(name) in ("repositories", "json")
                                    or head[:1] in (b"{", b"[")):
            scan.jsons[name] = members.read(size)
            continue
        if codec_of(head) is not None:  # stored compressed already: that is what a registry holds
            sizes[name] = (size, size)
        elif known is not None and known.get(name, (-1, 0))[0] == size:
            sizes[name] = known[name]
        else:
            sizes[name] = _gzip_length(members.member_source(), level)
            if known is not None:
                known[name] = sizes[name]
    _config, layer_names, _diff_ids = _resolve_layout(scan, what, None)
    raw, packed = [], []
    for name in layer_names:
        target, seen = name, set()
        while target in scan.aliases and target not in seen:
            seen.add(target)
            target = scan.aliases[target]
        if target not in sizes:
            raise ArchiveError(f"{what}: layer {name} named by the manifest is missing from the archive")
        raw.append(sizes[target][0])
        packed.append(sizes[target][1])
    return CompressedLayers(image=what, layer_bytes=tuple(raw), compressed_bytes=tuple(packed))
