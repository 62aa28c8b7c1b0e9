"""What an image weighs compressed: each layer gzip-compressed as ``docker push`` sends it to a registry.

The engine keeps layers uncompressed (``docker images`` shows that size); a registry stores and
serves them compressed, and that is what a pull downloads. ``compressed_size(image)`` streams
``docker save`` once and gzips every layer with zlib at level 6, the level Go's
``gzip.DefaultCompression`` means and what the engine's push uses. Go's deflate is not zlib's:
measured here, Go's ``compress/gzip`` at its default wrote 2.9 % more than this for
``gcr.io/distroless/cc-debian12`` (8.83 vs 8.57 MB) and 2.5 % more for ``node:24-bookworm-slim``
(90.5 vs 88.2 MB), so this is a slight underestimate of what a registry reports, made without one.
A layer the archive already holds compressed (gzip or zstd) is counted as it is.
"""

from __future__ import annotations

import posixpath
import zlib
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass

from .layouts import _ArchiveScan, _member_name, _resolve_layout
from .tar import ByteSource, ChunkSource, TarReader, codec_of

GZIP_LEVEL = 6
_CHUNK = 1 << 20


@dataclass(frozen=True)
class CompressedSize:
    """One image's layers, uncompressed and gzip-compressed, oldest layer first."""

    image: str
    layer_bytes: tuple[int, ...]        # each layer tar as the engine keeps it
    compressed_bytes: tuple[int, ...]   # the same layer gzip-compressed (or as stored, if it already was)

    @property
    def size_bytes(self) -> int:
        return sum(self.layer_bytes)

    @property
    def compressed_size_bytes(self) -> int:
        return sum(self.compressed_bytes)


def _gzip_size(src: ByteSource, level: int) -> tuple[int, int]:
    """(bytes read, bytes gzip would write) for the rest of ``src``."""
    z = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    read = out = 0
    while chunk := src.read(_CHUNK):
        read += len(chunk)
        out += len(z.compress(chunk))
    return read, out + len(z.flush())


def compressed_size(image: str, *, stream: Iterable[bytes] | None = None, level: int = GZIP_LEVEL,
                    known: MutableMapping[str, tuple[int, int]] | None = None) -> CompressedSize:
    """Stream ``docker save`` of ``image`` (or ``stream``, an archive's chunks) and gzip each layer.

    ``known``: layer archive name → (bytes, gzip bytes), read and filled in. The engine names a saved
    layer after its content (``<v1 id>/layer.tar`` derived from the layer chain, or ``blobs/sha256/<digest>``),
    so images on one base gzip that base once when they share this mapping.

    Raises ``ImageNotFound`` for an unknown reference, ``ArchiveError`` for a stream that is not an image.
    """
    if stream is None:
        from .. import engine

        stream = engine.save_image(image)
    scan = _ArchiveScan()
    sizes: dict[str, tuple[int, int]] = {}
    src = ChunkSource(stream)
    try:
        members = TarReader(src, image)
        for raw_name, typeflag, size, _mode, _uid, _gid, linkname in members:
            name = _member_name(raw_name)
            if typeflag == b"2":
                scan.aliases[name] = posixpath.normpath(posixpath.join(posixpath.dirname(name), linkname))
                continue
            if typeflag not in (b"0", b"\0"):
                continue
            head = members.peek(512)
            if name.endswith(".json") or name in ("repositories", "oci-layout") or head[:1] in (b"{", b"["):
                if not name.endswith("/json"):  # the legacy per-layer "json" files are not needed
                    scan.jsons[name] = members.read(size)
                continue
            if codec_of(head) is not None:  # already compressed: stored and sent as it is
                sizes[name] = (size, size)
                continue
            if known is not None and known.get(name, (-1, 0))[0] == size:
                sizes[name] = known[name]
                continue
            sizes[name] = _gzip_size(members.member_source(), level)
            if known is not None:
                known[name] = sizes[name]
    finally:
        src.close()
    _config, layer_names, _diff_ids = _resolve_layout(scan, image, image if ":" in image else None)
    ordered = []
    for name in layer_names:
        seen = {name}
        while name in scan.aliases and scan.aliases[name] not in seen:
            name = scan.aliases[name]
            seen.add(name)
        ordered.append(sizes.get(name, (0, 0)))
    return CompressedSize(image=image, layer_bytes=tuple(s for s, _ in ordered),
                          compressed_bytes=tuple(c for _, c in ordered))
