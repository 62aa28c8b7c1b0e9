"""Images as data: layers from the engine's history, and files per layer from the image itself.

``read_image`` streams an image - from the engine (``docker save`` over the API), from a
``docker save`` archive (Engine 20.10's legacy layout or the OCI layout of current engines), or
from an OCI image layout directory / tar - and reads *tar headers only*: file contents are
skipped (seeked over when the source is a file) unless a caller asks for a few small files
(package databases, candidate secrets), which are captured up to a size cap. Nothing is
unpacked to disk; memory grows with the number of entries, not with bytes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import posixpath
import re
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd

from .errors import ArchiveError, ImageNotFound

# BuildKit and the classic builder both record the instruction in `created_by`, in two forms:
# "RUN /bin/sh -c apt-get ... # buildkit" and "/bin/sh -c #(nop)  COPY file:... in /app".
_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s+")
_SHELL = re.compile(r"^/bin/sh -c ")
_BUILDKIT_SUFFIX = re.compile(r"\s+# buildkit$")
_LAYER_COLUMNS = ["layer", "created_by", "instruction", "size_bytes", "empty", "created", "image_id"]


def instruction_of(created_by: str) -> str:
    """Short Dockerfile-style form of a history ``created_by`` line."""
    text = _BUILDKIT_SUFFIX.sub("", (created_by or "").strip())
    if _NOP.match(text):
        return _NOP.sub("", text).strip()
    if _SHELL.match(text):
        return "RUN " + _SHELL.sub("", text).strip()
    return text


def layers(image: str) -> pd.DataFrame:
    """Each row is one history entry of ``image``, oldest first.

    Columns: ``layer`` (0-based order), ``created_by``, ``instruction``, ``size_bytes``,
    ``empty`` (metadata-only entries such as ENV, CMD, USER add no filesystem layer),
    ``created`` (UTC timestamp) and ``image_id`` (of that history step, when the engine knows it).
    """
    from . import engine

    history = list(reversed(engine.image_history(image)))
    rows = []
    for i, h in enumerate(history):
        created_by = h.get("CreatedBy") or ""
        size = int(h.get("Size") or 0)
        instruction = instruction_of(created_by)
        keyword = instruction.split(" ", 1)[0].upper() if instruction else ""
        # The history API does not say which entries are empty; zero-byte entries of
        # filesystem-changing instructions (RUN, COPY, ADD) still create a layer.
        empty = size == 0 and keyword not in {"RUN", "COPY", "ADD"}
        rows.append({
            "layer": i,
            "created_by": created_by,
            "instruction": instruction,
            "size_bytes": size,
            "empty": empty,
            "created": pd.to_datetime(h.get("Created") or 0, unit="s", utc=True),
            "image_id": h.get("Id") if h.get("Id") not in (None, "<missing>") else None,
        })
    return pd.DataFrame(rows, columns=_LAYER_COLUMNS)


# =============================================================================================
# Files per layer
# =============================================================================================

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"

# Kinds of entries, as stored in ``files()["kind"]``.
KINDS = ("file", "dir", "symlink", "hardlink", "char", "block", "fifo", "whiteout", "other")
# What an entry does to the merged filesystem, ``files()["change"]``.
CHANGES = ("added", "modified", "deleted", "opaque")
_HIDDEN_REASONS = ("overwritten", "deleted", "replaced_dir")

_TYPEFLAG_KIND = {b"0": 0, b"\0": 0, b"7": 0, b"1": 3, b"2": 2, b"3": 4, b"4": 5, b"5": 1, b"6": 6}
_KIND_CODE = {k: i for i, k in enumerate(KINDS)}

FILE_COLUMNS = ["layer", "path", "kind", "size_bytes", "mode", "uid", "gid", "link_target", "change", "visible"]
IMAGE_LAYER_COLUMNS = ["layer", "digest", "size_bytes", "entries", "history_index", "created_by",
                       "instruction", "tar_path"]

# A capture policy says, for one regular file (path, size_bytes, mode), how many bytes of its
# contents the caller wants: 0 for none (the default), N to keep the file when it is at most
# N bytes, or GO_BUILDINFO to look for Go's embedded build information in an executable.
GO_BUILDINFO = -1
CapturePolicy = Callable[[str, int, int], int]
_GO_MAGIC = b"\xff Go buildinf:"
_GO_WINDOW = 64 * 1024          # bytes kept from the magic on: header plus module list
_GO_SCAN_LIMIT = 256 << 20      # executables larger than this are not scanned
_CAPTURE_TOTAL_LIMIT = 256 << 20  # all captured contents together (bounded memory)
_JSON_LIMIT = 64 << 20          # manifests and configs are small; refuse anything absurd


@dataclass(frozen=True)
class ImageContents:
    """What one image holds: its config, its filesystem layers and every entry of every layer.

    ``layers``: each row is one filesystem layer (``layer``, ``digest``, ``size_bytes`` - the sum
    of its entries' sizes, as dive counts it - ``entries``, ``history_index``, ``created_by``,
    ``instruction``, ``tar_path``). ``files``: see ``files()``. ``contents`` maps
    ``(layer, path)`` to the captured bytes of files a capture policy asked for. ``hidden``: the
    entries the final filesystem does not show, as ``dockopt.analysis.hidden_entries`` returns
    them (recorded while the layers were stacked).
    """

    source: str
    config: Mapping[str, Any] = field(repr=False)
    layers: pd.DataFrame = field(repr=False)
    files: pd.DataFrame = field(repr=False)
    contents: Mapping[tuple[int, str], bytes] = field(repr=False, default_factory=dict)
    warnings: tuple[str, ...] = ()
    hidden: pd.DataFrame | None = field(repr=False, default=None)

    @property
    def history(self) -> list[dict[str, Any]]:
        return list(self.config.get("history") or [])

    @property
    def image_config(self) -> Mapping[str, Any]:
        """The runtime part of the config (User, ExposedPorts, Healthcheck, Env, ...)."""
        return self.config.get("config") or {}


def files(image_or_archive: str | os.PathLike[str], *, source: str = "auto") -> pd.DataFrame:
    """Each row is one entry in one layer of an image (tar headers only; contents never read).

    Columns: ``layer`` (0-based filesystem-layer index), ``path`` (absolute, normalised; for a
    whiteout the deleted path, for an opaque directory the directory), ``kind`` (file, dir,
    symlink, hardlink, char, block, fifo, whiteout, other), ``size_bytes`` (tar header size:
    0 for directories, links and whiteouts), ``mode`` (permission bits incl. setuid/setgid/
    sticky), ``uid``, ``gid``, ``link_target`` (symlink or hardlink target, else empty),
    ``change`` (added, modified - the path existed below -, deleted - a whiteout -, opaque -
    a directory whose lower contents this layer hides) and ``visible`` (the entry is what the
    final merged filesystem shows at that path).

    ``image_or_archive``: an image reference or id in the engine, a ``docker save`` tar (plain
    or gzipped), an OCI image layout directory or tar. ``source``: ``auto``, ``engine`` or
    ``archive``.
    """
    return read_image(image_or_archive, source=source).files


# --- byte sources ---------------------------------------------------------------------------


class _Source:
    """A forward-only byte source with ``read`` (may return fewer bytes only at EOF) and ``skip``."""

    def read(self, n: int) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def skip(self, n: int) -> int:
        """Drop up to ``n`` bytes; returns how many were dropped."""
        dropped = 0
        while dropped < n:
            chunk = self.read(min(n - dropped, 1 << 20))
            if not chunk:
                break
            dropped += len(chunk)
        return dropped


class _FileSlice(_Source):
    """A byte range of a seekable file (a whole archive, or a layer tar inside one): skipping is a
    seek, so contents are never read."""

    def __init__(self, f: IO[bytes], start: int, end: int) -> None:
        self.f = f
        self.pos = start
        self.end = end
        f.seek(start)

    def read(self, n: int) -> bytes:
        out = self.f.read(min(n, self.end - self.pos))
        self.pos += len(out)
        return out

    def skip(self, n: int) -> int:
        target = min(self.pos + n, self.end)
        dropped = target - self.pos
        if dropped:
            self.f.seek(target)
            self.pos = target
        return dropped


def _file_source(f: IO[bytes]) -> _FileSlice:
    """The whole seekable file ``f`` as a source."""
    end = f.seek(0, os.SEEK_END)
    return _FileSlice(f, 0, end)


class _Buffered(_Source):
    """A source that refills ``buf`` one piece at a time (``_fill``); reads and skips across pieces."""

    buf: bytes
    pos: int

    def _fill(self) -> bool:  # pragma: no cover - interface
        """Replace ``buf`` with the next non-empty piece; False at the end."""
        raise NotImplementedError

    def read(self, n: int) -> bytes:
        avail = len(self.buf) - self.pos
        if avail >= n:
            out = self.buf[self.pos:self.pos + n]
            self.pos += n
            return out
        parts = [self.buf[self.pos:]] if avail else []
        got = avail
        self.pos = len(self.buf)  # consumed, even if no piece follows
        while got < n and self._fill():
            take = min(n - got, len(self.buf))
            parts.append(self.buf[:take])
            self.pos = take
            got += take
        if got < n and not parts:
            return b""
        return b"".join(parts)

    def skip(self, n: int) -> int:
        dropped = 0
        while dropped < n:
            avail = len(self.buf) - self.pos
            if avail == 0:
                if not self._fill():
                    break
                continue
            take = min(n - dropped, avail)
            self.pos += take
            dropped += take
        return dropped


class _ChunkSource(_Buffered):
    """An iterator of byte chunks (the engine's save stream)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.it: Iterator[bytes] = iter(chunks)
        self.buf = b""
        self.pos = 0

    def _fill(self) -> bool:
        for chunk in self.it:
            if chunk:
                self.buf, self.pos = chunk, 0
                return True
        self.buf, self.pos = b"", 0
        return False


class _Bounded(_Source):
    """The data of one tar member: at most ``size`` bytes of the parent, with a peek buffer."""

    def __init__(self, parent: _Source, size: int) -> None:
        self.parent = parent
        self.left = size
        self.head = b""

    def peek(self, n: int) -> bytes:
        if len(self.head) < n and self.left > 0:
            more = self.parent.read(min(n - len(self.head), self.left))
            self.left -= len(more)
            self.head += more
        return self.head[:n]

    def read(self, n: int) -> bytes:
        if self.head:
            out, self.head = self.head[:n], self.head[n:]
            if len(out) == n:
                return out
            return out + self.read(n - len(out))
        if self.left <= 0:
            return b""
        out = self.parent.read(min(n, self.left))
        self.left -= len(out)
        return out

    def skip(self, n: int) -> int:
        dropped = 0
        if self.head:
            take = min(n, len(self.head))
            self.head = self.head[take:]
            dropped += take
        if dropped < n and self.left > 0:
            got = self.parent.skip(min(n - dropped, self.left))
            self.left -= got
            dropped += got
        return dropped

    def drain(self) -> int:
        """Skip the rest; returns the bytes that were missing (a truncated parent)."""
        self.head = b""
        want = self.left
        got = self.parent.skip(want) if want > 0 else 0
        self.left -= got
        return want - got


class _Decompressed(_Buffered):
    """gzip (possibly multi-member) or zstd data of a parent source, decompressed on the fly."""

    def __init__(self, parent: _Source, codec: str) -> None:
        self.parent = parent
        self.codec = codec
        self.buf = b""
        self.pos = 0
        self.eof = False
        self._new()

    def _new(self) -> None:
        if self.codec == "gzip":
            self.d: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        else:
            import zstandard

            self.d = zstandard.ZstdDecompressor().decompressobj()

    def _fill(self) -> bool:
        while not self.eof:
            raw = self.parent.read(1 << 20)
            try:
                if not raw:
                    self.eof = True
                    tail = self.d.flush() if self.codec == "gzip" else b""
                    if not getattr(self.d, "eof", True):
                        # A stream cut short: its tar would otherwise end silently at some header.
                        raise ArchiveError(f"a {self.codec} layer ends early (truncated archive)",
                                           hint="the archive was not completely written or copied")
                    if tail:
                        self.buf, self.pos = tail, 0
                        return True
                    return False
                out = self.d.decompress(raw)
                if self.codec == "gzip":
                    while self.d.eof and self.d.unused_data:
                        rest = self.d.unused_data
                        self._new()
                        out += self.d.decompress(rest)
                elif getattr(self.d, "eof", False) and getattr(self.d, "unused_data", b""):
                    rest = self.d.unused_data
                    self._new()
                    out += self.d.decompress(rest)
            except (zlib.error, Exception) as exc:  # zstandard raises its own ZstdError
                if isinstance(exc, ArchiveError):
                    raise
                raise ArchiveError(f"a {self.codec} layer cannot be decompressed: {exc}") from exc
            if out:
                self.buf, self.pos = out, 0
                return True
        return False


# --- tar headers ----------------------------------------------------------------------------


@dataclass
class _Header:
    name: str
    typeflag: bytes
    size: int
    mode: int
    uid: int
    gid: int
    linkname: str


_ZERO_BLOCK = bytes(512)


def _num(field_: bytes) -> int:
    if field_ and field_[0] & 0x80:  # base-256 (GNU / star) for big numbers
        value = int.from_bytes(field_, "big", signed=False)
        return value & ~(0x80 << (8 * (len(field_) - 1)))
    text = field_.strip(b" \0")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError as exc:
        raise ArchiveError(f"not a tar archive (bad number field {field_[:12]!r})") from exc


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _pax(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            break
        if length <= 0:
            break
        record = data[space + 1:pos + length - 1]
        key, _, value = record.partition(b"=")
        out[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


def _tar_headers(src: _Source, what: str) -> Iterator[tuple[_Header, _Bounded]]:
    """Yield (header, data) for each member of a tar stream; data must be consumed or left.

    Whatever the caller leaves unread is skipped before the next header (a seek on files).
    """
    long_name: str | None = None
    long_link: str | None = None
    pax: dict[str, str] = {}
    while True:
        block = src.read(512)
        if not block:
            # A tar without its two end blocks: docker never writes that, but a cut stream ends here.
            return
        if len(block) < 512:
            if block.count(0) == len(block):
                return  # cut inside the zero padding after the last member: nothing is lost
            raise ArchiveError(f"{what}: truncated tar (a header is cut short)",
                               hint="the archive was not completely written or copied")
        if block == _ZERO_BLOCK:
            return
        # The header checksum is the byte sum with its own field read as spaces; adler32's low half
        # is that sum + 1 modulo 65521, computed in C (Python's sum() over 512 bytes is slower).
        stored = _num(block[148:156])
        total = (zlib.adler32(block) & 0xFFFF) - 1
        field_sum = (zlib.adler32(block[148:156]) & 0xFFFF) - 1
        if (stored - 8 * 32 + field_sum - total) % 65521:
            raise ArchiveError(f"{what}: not a tar archive (header checksum mismatch)",
                               hint="give a `docker save` archive, an OCI image layout, or an image reference")
        typeflag = block[156:157]
        size = _num(block[124:136])
        data = _Bounded(src, size)
        if typeflag in (b"L", b"K", b"x", b"g"):
            payload = data.read(size)
            if len(payload) < size:
                raise ArchiveError(f"{what}: truncated tar (an extended header is cut short)")
            src.skip((-size) % 512)
            if typeflag == b"L":
                long_name = payload.rstrip(b"\0").decode("utf-8", "surrogateescape")
            elif typeflag == b"K":
                long_link = payload.rstrip(b"\0").decode("utf-8", "surrogateescape")
            elif typeflag == b"x":
                pax.update(_pax(payload))
            continue
        name = _text(block[0:100])
        if block[257:263] == b"ustar\x00":  # POSIX ustar: a prefix field extends the name
            prefix = _text(block[345:500])
            if prefix:
                name = prefix + "/" + name
        header = _Header(name=long_name if long_name is not None else name, typeflag=typeflag, size=size,
                         mode=_num(block[100:108]), uid=_num(block[108:116]), gid=_num(block[116:124]),
                         linkname=long_link if long_link is not None else _text(block[157:257]))
        if pax:
            header.name = pax.get("path", header.name)
            header.linkname = pax.get("linkpath", header.linkname)
            if "size" in pax:
                header.size = int(pax["size"])
                data = _Bounded(src, header.size)
            if "uid" in pax:
                header.uid = int(pax["uid"])
            if "gid" in pax:
                header.gid = int(pax["gid"])
        long_name = long_link = None
        pax = {}
        if typeflag == b"\0" and header.name.endswith("/"):
            header.typeflag = b"5"
        yield header, data
        pad = (-header.size) % 512
        if not data.head and data.left == header.size:
            # Untouched data (the usual case): one skip over contents and padding together.
            want = header.size + pad
            got = src.skip(want)
            missing = header.size - got if got < header.size else 0
        else:
            missing = data.drain()
            if not missing and pad:
                src.skip(pad)
        if missing:
            raise ArchiveError(f"{what}: truncated tar ({header.name!r} is cut short by {missing} bytes)",
                               hint="the archive was not completely written or copied")


def _clean(name: str) -> tuple[str, bool]:
    """Absolute, normalised path; ``..`` cannot climb above ``/`` (as when an engine applies it).

    Returns (path, suspicious) where suspicious means the raw name was absolute or climbed.
    """
    raw = name
    if "/." not in raw and "//" not in raw and not raw.startswith((".", "/")):
        # The common case (docker writes "usr/bin/" and "usr/bin/env"): no "." or ".." component,
        # no empty one but a trailing slash, so there is nothing to normalise.
        stripped = raw.rstrip("/")
        return ("/" + stripped if stripped else "/"), False
    suspicious = raw.startswith("/") or ".." in raw.split("/")
    path = posixpath.normpath("/" + raw)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    return path, suspicious


# --- one layer --------------------------------------------------------------------------------


class _Collector:
    """Accumulates the rows of ``files()`` column-wise (compact: arrays, not dicts per row)."""

    def __init__(self) -> None:
        self.layer = array("i")
        self.path: list[str] = []
        self.kind = array("b")
        self.size = array("q")
        self.mode = array("i")
        self.uid = array("q")
        self.gid = array("q")
        self.link: list[str] = []
        self.change = array("b")
        self.visible = bytearray()


@dataclass
class _LayerScan:
    """The entries of one layer tar, before the image's layer order is known."""

    paths: list[str] = field(default_factory=list)
    kinds: array = field(default_factory=lambda: array("b"))
    sizes: array = field(default_factory=lambda: array("q"))
    modes: array = field(default_factory=lambda: array("i"))
    uids: array = field(default_factory=lambda: array("q"))
    gids: array = field(default_factory=lambda: array("q"))
    links: list[str] = field(default_factory=list)
    opaque: bytearray = field(default_factory=bytearray)
    suspicious: int = 0
    contents: dict[str, bytes] = field(default_factory=dict)


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit
        self.dropped = 0


def _scan_go_buildinfo(data: _Source, size: int) -> bytes | None:
    """Find Go's build-info blob in an executable, reading it once in 1 MiB blocks."""
    tail = b""
    seen = 0
    while seen < size:
        chunk = data.read(min(1 << 20, size - seen))
        if not chunk:
            return None
        seen += len(chunk)
        window = tail + chunk
        at = window.find(_GO_MAGIC)
        if at >= 0:
            found = window[at:at + _GO_WINDOW]
            if len(found) < _GO_WINDOW:
                found += data.read(_GO_WINDOW - len(found))
            return found
        tail = window[-(len(_GO_MAGIC) - 1):]
    return None


def _scan_layer(src: _Source, what: str, capture: CapturePolicy | None, budget: _Budget) -> _LayerScan:
    scan = _LayerScan()
    for h, data in _tar_headers(src, what):
        path, suspicious = _clean(h.name)
        if path == "/":
            continue  # the root itself carries no file (dive skips it too)
        scan.suspicious += suspicious
        head, _, base = path.rpartition("/")
        kind = _TYPEFLAG_KIND.get(h.typeflag, 8)
        is_opaque = 0
        if base.startswith(WHITEOUT_PREFIX):
            if base == OPAQUE_MARKER:
                path = head or "/"
                kind, is_opaque = 1, 1
            else:
                path = head + "/" + base[len(WHITEOUT_PREFIX):]
                kind = 7
        link = h.linkname  # as recorded: "usr/bin/perl" or "./usr/bin/perl" for a hardlink
        scan.paths.append(path)
        scan.kinds.append(kind)
        scan.sizes.append(h.size)
        scan.modes.append(h.mode & 0o7777)
        scan.uids.append(h.uid)
        scan.gids.append(h.gid)
        scan.links.append(link)
        scan.opaque.append(is_opaque)
        if capture is not None and kind == 0 and h.size > 0:
            want = capture(path, h.size, h.mode & 0o7777)
            if want == GO_BUILDINFO:
                if h.size <= _GO_SCAN_LIMIT:
                    if data.peek(4) == b"\x7fELF":
                        found = _scan_go_buildinfo(data, h.size)
                        if found:
                            scan.contents[path] = found
            elif want and h.size <= want:
                if h.size <= budget.left:
                    blob = data.read(h.size)
                    budget.left -= len(blob)
                    scan.contents[path] = blob
                else:
                    budget.dropped += 1
    return scan


def _open_layer(member: _Bounded, what: str) -> _Source:
    head = member.peek(512)
    if head[:2] == b"\x1f\x8b":
        return _Decompressed(member, "gzip")
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return _Decompressed(member, "zstd")
    return member


def _looks_like_layer(head: bytes) -> bool:
    return (head[:2] == b"\x1f\x8b" or head[:4] == b"\x28\xb5\x2f\xfd" or head[257:262] == b"ustar"
            or (len(head) == 512 and head.count(0) == 512))


# --- image archives ------------------------------------------------------------------------


@dataclass
class _ArchiveScan:
    jsons: dict[str, bytes] = field(default_factory=dict)
    layers: dict[str, _LayerScan] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # symlinked layer tars
    budget: _Budget = field(default_factory=lambda: _Budget(_CAPTURE_TOTAL_LIMIT))


def _member_name(name: str) -> str:
    return posixpath.normpath(name.lstrip("/")).removeprefix("./")


def _scan_archive(src: _Source, what: str, capture: CapturePolicy | None) -> _ArchiveScan:
    out = _ArchiveScan()
    for h, data in _tar_headers(src, what):
        name = _member_name(h.name)
        if h.typeflag == b"2" and (name.endswith(".tar") or name.startswith("blobs/")):
            out.aliases[name] = posixpath.normpath(posixpath.join(posixpath.dirname(name), h.linkname))
            continue
        if h.typeflag not in (b"0", b"\0"):
            continue
        base = posixpath.basename(name)
        if name.endswith(".json") or base in ("repositories", "oci-layout", "json"):
            if h.size > _JSON_LIMIT:
                raise ArchiveError(f"{what}: {name} is {h.size} bytes, too large for image metadata")
            if base != "json":  # the legacy per-layer "json" files are not needed
                out.jsons[name] = data.read(h.size)
            continue
        if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.zst")) or name.startswith("blobs/"):
            head = data.peek(512)
            if name.startswith("blobs/") and head[:1] in (b"{", b"["):
                if h.size > _JSON_LIMIT:
                    raise ArchiveError(f"{what}: {name} is {h.size} bytes, too large for image metadata")
                out.jsons[name] = data.read(h.size)
                continue
            if h.size == 0 or _looks_like_layer(head) or name.endswith(".tar"):
                layer_src = _open_layer(data, f"{what}: {name}")
                if layer_src is data and isinstance(src, _FileSlice):
                    # A plain layer tar in a file: read it straight from the file (one level of
                    # indirection less per header), then put the file back where the archive is.
                    start = src.pos - len(data.head)
                    layer_src = _FileSlice(src.f, start, min(start + h.size, src.end))
                    out.layers[name] = _scan_layer(layer_src, f"{what}: layer {name}", capture, out.budget)
                    src.f.seek(src.pos)
                else:
                    out.layers[name] = _scan_layer(layer_src, f"{what}: layer {name}", capture, out.budget)
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
    ordered: list[tuple[str, _LayerScan]] = []
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
    return _build_contents(what, config, ordered, diff_ids, scan.budget)


def _history_map(config: Mapping[str, Any], n_layers: int) -> list[int | None]:
    """History index of each filesystem layer, matching non-empty history entries in order (as dive)."""
    history = config.get("history") or []
    out: list[int | None] = []
    h = 0
    for _ in range(n_layers):
        while h < len(history) and history[h].get("empty_layer"):
            h += 1
        if h < len(history):
            out.append(h)
            h += 1
        else:
            out.append(None)
    return out


def _add_rows_with_opaque(col: _Collector, scan: _LayerScan, li: int, provider: dict[str, int],
                          add: Callable[[str, int], None]) -> None:
    """Rows of a layer with opaque directories: a marker becomes the "opaque" change of its directory."""
    n = len(scan.paths)
    opaque_dirs = {scan.paths[i] for i in range(n) if scan.opaque[i]}
    own_dirs = {scan.paths[i] for i in range(n) if scan.kinds[i] == 1 and not scan.opaque[i]} & opaque_dirs
    for i in range(n):
        p = scan.paths[i]
        kind = scan.kinds[i]
        if scan.opaque[i]:
            if p in own_dirs:
                continue  # the directory's own entry carries the "opaque" change
            change = 3
        elif kind == 7:
            change = 2
        elif kind == 1 and p in opaque_dirs:
            change = 3
        else:
            change = 1 if p in provider else 0
        row = len(col.path)
        col.layer.append(li)
        col.path.append(p)
        col.kind.append(kind)
        col.size.append(scan.sizes[i])
        col.mode.append(scan.modes[i])
        col.uid.append(scan.uids[i])
        col.gid.append(scan.gids[i])
        col.link.append(scan.links[i])
        col.change.append(change)
        col.visible.append(0)
        if kind != 7 and (not scan.opaque[i] or p not in provider):
            add(p, row)


def _build_contents(what: str, config: Mapping[str, Any], ordered: list[tuple[str, _LayerScan]],
                    diff_ids: list[str], budget: _Budget) -> ImageContents:
    col = _Collector()
    # The merged filesystem as the layers stack up: path -> row of the entry that provides it,
    # and directory -> names below it (so a whiteout or opaque directory hides a whole subtree).
    provider: dict[str, int] = {}
    children: dict[str, set[str]] = {}
    contents: dict[tuple[int, str], bytes] = {}
    warnings: list[str] = []
    suspicious = 0

    # row -> (layer that hid it, reason code): what analysis.hidden_entries derives, recorded here
    # while the stack is replayed anyway (one pass instead of two).
    hidden: dict[int, tuple[int, int]] = {}
    current = 0  # the layer being stacked

    def remove_subtree(path: str, reason: int = 1) -> None:
        stack = [path]
        while stack:
            p = stack.pop()
            row = provider.pop(p, None)
            if row is not None and row not in hidden:
                hidden[row] = (current, reason)
            below = children.pop(p, None)
            if below:
                stack.extend(p.rstrip("/") + "/" + c for c in below)
        parent = posixpath.dirname(path)
        sib = children.get(parent)
        if sib is not None:
            sib.discard(posixpath.basename(path))

    def add(path: str, row: int) -> None:
        old = provider.get(path)
        if old is not None and old not in hidden:
            hidden[old] = (current, 0)
        provider[path] = row
        while path != "/":
            parent, _, name = path.rpartition("/")
            parent = parent or "/"
            sib = children.get(parent)
            if sib is None:
                children[parent] = {name}
            elif name in sib:
                break
            else:
                sib.add(name)
            path = parent

    history_of = _history_map(config, len(ordered))
    history = config.get("history") or []
    layer_rows = []
    for li, (name, scan) in enumerate(ordered):
        current = li
        suspicious += scan.suspicious
        n = len(scan.paths)
        # Removals first (a layer's whiteouts and opaque markers act on the layers below it,
        # whatever their position in the tar), then additions.
        has_opaque = any(scan.opaque)
        if has_opaque or 7 in scan.kinds:
            for i in range(n):
                p = scan.paths[i]
                if scan.kinds[i] == 7:
                    remove_subtree(p)
                elif scan.opaque[i]:
                    for c in list(children.get(p, ())):
                        remove_subtree(p.rstrip("/") + "/" + c, 2)
        if not has_opaque:
            # The usual layer: every entry becomes a row, in tar order.
            base = len(col.path)
            change = bytearray(n)
            for i, (p, kind) in enumerate(zip(scan.paths, scan.kinds)):
                if kind == 7:
                    change[i] = 2
                else:
                    if p in provider:
                        change[i] = 1
                    add(p, base + i)
            col.layer.extend(array("i", [li]) * n)
            col.path.extend(scan.paths)
            col.kind.extend(scan.kinds)
            col.size.extend(scan.sizes)
            col.mode.extend(scan.modes)
            col.uid.extend(scan.uids)
            col.gid.extend(scan.gids)
            col.link.extend(scan.links)
            col.change.extend(change)
            col.visible.extend(bytes(n))
        else:
            _add_rows_with_opaque(col, scan, li, provider, add)
        for p, blob in scan.contents.items():
            contents[(li, p)] = blob
        hi = history_of[li]
        created_by = (history[hi].get("created_by") or "") if hi is not None else ""
        layer_rows.append({
            "layer": li,
            "digest": diff_ids[li] if li < len(diff_ids) else None,
            "size_bytes": int(sum(scan.sizes)),
            "entries": n,
            "history_index": hi,
            "created_by": created_by,
            "instruction": instruction_of(created_by),
            "tar_path": name,
        })
    for row in provider.values():
        col.visible[row] = 1
    if suspicious:
        warnings.append(f"{suspicious} entries had absolute paths or '..'; they were read as paths under /")
    if budget.dropped:
        warnings.append(f"{budget.dropped} small files were not captured (capture budget exhausted)")
    frame = _frame(col)
    rows = sorted(hidden)
    hidden_frame = frame.iloc[rows][["layer", "path", "kind", "size_bytes"]].reset_index(drop=True)
    hidden_frame["hidden_by_layer"] = [hidden[r][0] for r in rows]
    hidden_frame["reason"] = [_HIDDEN_REASONS[hidden[r][1]] for r in rows]
    return ImageContents(source=what, config=config,
                         layers=pd.DataFrame(layer_rows, columns=IMAGE_LAYER_COLUMNS),
                         files=frame, contents=contents, warnings=tuple(warnings), hidden=hidden_frame)


def _frame(col: _Collector) -> pd.DataFrame:
    import numpy as np

    kind_cat = pd.Categorical.from_codes(np.frombuffer(col.kind, dtype=np.int8), categories=list(KINDS))
    change_cat = pd.Categorical.from_codes(np.frombuffer(col.change, dtype=np.int8), categories=list(CHANGES))
    return pd.DataFrame({
        "layer": np.frombuffer(col.layer, dtype=np.int32).astype(np.int64),
        "path": pd.array(col.path, dtype="str"),
        "kind": kind_cat,
        "size_bytes": np.frombuffer(col.size, dtype=np.int64).copy(),
        "mode": np.frombuffer(col.mode, dtype=np.int32).astype(np.int64),
        "uid": np.frombuffer(col.uid, dtype=np.int64).copy(),
        "gid": np.frombuffer(col.gid, dtype=np.int64).copy(),
        "link_target": pd.array(col.link, dtype="str"),
        "change": change_cat,
        "visible": np.frombuffer(bytes(col.visible), dtype=np.bool_).copy(),
    }, columns=FILE_COLUMNS)


# --- sources ---------------------------------------------------------------------------------


def _oci_dir(path: Path, capture: CapturePolicy | None) -> ImageContents:
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
    if "manifest.json" in scan.jsons:
        manifest = _load_json(scan.jsons["manifest.json"], "manifest.json", what)
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
            member = _Bounded(_file_source(f), p.stat().st_size)
            ordered.append((name, _scan_layer(_open_layer(member, name), f"{what}: layer {name}", capture,
                                              scan.budget)))
    return _build_contents(what, config, ordered, diff_ids, scan.budget)


def _is_path(value: str | os.PathLike[str]) -> bool:
    if isinstance(value, os.PathLike):
        return True
    return os.path.exists(value) and (os.sep in value or value.endswith((".tar", ".tgz", ".gz")) or
                                      os.path.isdir(value) or os.path.isfile(value))


def read_archive(path: str | os.PathLike[str], *, capture: CapturePolicy | None = None) -> ImageContents:
    """Read a ``docker save`` tar (plain or gzipped) or an OCI image layout (directory or tar)."""
    p = Path(path)
    if p.is_dir():
        return _oci_dir(p, capture)
    if not p.is_file():
        raise ArchiveError(f"{p}: no such archive", hint="give the path of a `docker save` tar or an OCI layout")
    with p.open("rb") as f:
        head = f.read(4)
        f.seek(0)
        if head[:2] == b"\x1f\x8b" or head == b"\x28\xb5\x2f\xfd":
            src: _Source = _Decompressed(_file_source(f), "gzip" if head[:2] == b"\x1f\x8b" else "zstd")
        else:
            src = _file_source(f)
        scan = _scan_archive(src, str(p), capture)
        return _assemble(scan, str(p), None)


def read_engine_image(ref: str, *, capture: CapturePolicy | None = None,
                      stream: Iterable[bytes] | None = None) -> ImageContents:
    """Stream ``docker save`` of ``ref`` from the engine and read it on the fly (nothing on disk).

    ``stream``: the save stream when the caller opened it already (``dockopt.analyze_cli`` does,
    so that the engine prepares it while Python imports the analysis code).
    """
    if stream is None:
        from . import engine  # the docker SDK is only needed here

        stream = engine.save_image(ref)
    src = _ChunkSource(stream)
    try:
        scan = _scan_archive(src, ref, capture)
    finally:
        # Stop the stream (and a prefetching thread) even when the archive ended before it did.
        with contextlib.suppress(Exception):
            src.it.close()  # type: ignore[attr-defined]
    return _assemble(scan, ref, ref if ":" in ref else None)


def read_image(image_or_archive: str | os.PathLike[str], *, source: str = "auto",
               capture: CapturePolicy | None = None, stream: Iterable[bytes] | None = None) -> ImageContents:
    """Read an image from the engine or from an archive / OCI layout (``source``: auto|engine|archive).

    ``auto`` takes an existing path as an archive and anything else as an image reference.
    Raises ``ImageNotFound`` for an unknown reference, ``ArchiveError`` for a bad archive.
    ``stream``: an already opened engine save stream for the reference (see ``read_engine_image``).
    """
    if source not in ("auto", "engine", "archive"):
        raise ValueError(f"source must be auto, engine or archive, not {source!r}")
    if source == "archive" or (source == "auto" and _is_path(image_or_archive)):
        return read_archive(image_or_archive, capture=capture)
    ref = str(image_or_archive)
    if not ref or ref.strip() != ref:
        raise ImageNotFound(f"{ref!r} is not an image reference")
    return read_engine_image(ref, capture=capture, stream=stream)


def read_bytes(data: bytes | io.BytesIO, *, what: str = "archive", capture: CapturePolicy | None = None) -> ImageContents:
    """Read an image archive held in memory (tests, small fixtures)."""
    buf = data if isinstance(data, io.BytesIO) else io.BytesIO(data)
    scan = _scan_archive(_file_source(buf), what, capture)
    return _assemble(scan, what, None)
