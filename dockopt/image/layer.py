"""One layer tar → its entries, column by column (plus the few small files a caller asked for).

Paths are made absolute and normalised (``..`` cannot climb above ``/``), whiteouts
(``.wh.<name>``) become entries of kind ``whiteout`` at the path they delete, and an opaque
marker (``.wh..wh..opq``) marks its directory's entry as opaque. File contents are skipped,
except what a *capture policy* asks for: small files (package databases, candidate secrets) up
to a size and a total budget, and Go's build information from executables.
"""

from __future__ import annotations

import posixpath
import struct
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from .table import DIR, FILE, OTHER, WHITEOUT
from .tar import ByteSource, TarReader

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"

# A capture policy says, for one regular file (path, size_bytes, mode), how many bytes of its
# contents the caller wants: 0 for none (the default), N to keep the file when it is at most
# N bytes, or GO_BUILDINFO to look for Go's embedded build information in an executable.
GO_BUILDINFO = -1
CapturePolicy = Callable[[str, int, int], int]
# Told about each captured file (path, contents) as soon as it is read, while the image streams on.
CaptureSink = Callable[[str, bytes], None]
CAPTURE_TOTAL_LIMIT = 256 << 20  # all captured contents together (bounded memory)
_GO_MAGIC = b"\xff Go buildinf:"
_GO_WINDOW = 64 * 1024           # bytes kept from the magic on, and searched from the data start
_GO_SCAN_LIMIT = 256 << 20       # streamed executables larger than this are not scanned

_TYPEFLAG_KIND = {b"0": FILE, b"\0": FILE, b"7": FILE, b"1": 3, b"2": 2, b"3": 4, b"4": 5, b"5": DIR, b"6": 6}


class CaptureBudget:
    """What is left of the bytes all captured files may take together, and how many were dropped."""

    def __init__(self, limit: int = CAPTURE_TOTAL_LIMIT) -> None:
        self.left = limit
        self.dropped = 0


@dataclass
class LayerEntries:
    """The entries of one layer tar, before the image's layer order is known.

    ``opaque`` is 1 for the entry that makes its directory opaque (the directory's own entry, or
    the marker standing in for it when the tar has none).
    """

    paths: list[str] = field(default_factory=list)
    kinds: bytearray = field(default_factory=bytearray)
    sizes: array = field(default_factory=lambda: array("q"))
    modes: array = field(default_factory=lambda: array("i"))
    uids: array = field(default_factory=lambda: array("q"))
    gids: array = field(default_factory=lambda: array("q"))
    links: list[str] = field(default_factory=list)
    opaque: bytearray = field(default_factory=bytearray)
    suspicious: int = 0
    contents: dict[str, bytes] = field(default_factory=dict)
    tar_entries: int = 0  # entries in the tar, opaque markers included

    def __len__(self) -> int:
        return len(self.paths)


def clean_path(name: str) -> tuple[str, bool]:
    """Absolute, normalised path; ``..`` cannot climb above ``/`` (as when an engine applies it).

    Returns (path, suspicious) where suspicious means the raw name was absolute or climbed.
    """
    if "/." not in name and "//" not in name and not name.startswith((".", "/")):
        # The common case (docker writes "usr/bin/" and "usr/bin/env"): no "." or ".." component,
        # no empty one but a trailing slash, so there is nothing to normalise.
        stripped = name.rstrip("/")
        return ("/" + stripped if stripped else "/"), False
    suspicious = name.startswith("/") or ".." in name.split("/")
    path = posixpath.normpath("/" + name)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    return path, suspicious


def scan_layer(src: ByteSource, what: str, capture: CapturePolicy | None = None,
               budget: CaptureBudget | None = None, on_capture: CaptureSink | None = None) -> LayerEntries:
    """Read one (uncompressed) layer tar from ``src``: every entry, and what ``capture`` asks for
    (each captured file also goes to ``on_capture``)."""
    budget = budget or CaptureBudget()
    out = LayerEntries()
    paths, kinds, sizes, modes, uids, gids, links, opaque = (out.paths, out.kinds, out.sizes, out.modes, out.uids,
                                                             out.gids, out.links, out.opaque)
    kind_of = _TYPEFLAG_KIND.get
    markers = 0
    reader = TarReader(src, what)
    for name, typeflag, size, mode, uid, gid, link in reader:
        path, suspicious = clean_path(name)
        if path == "/":
            continue  # the root itself carries no file (dive skips it too)
        kind = kind_of(typeflag, OTHER)
        base = path[path.rfind("/") + 1:]
        if base.startswith(WHITEOUT_PREFIX):
            head = path[:-len(base) - 1] or "/"
            if base == OPAQUE_MARKER:
                path, kind = head, DIR
                markers += 1
                opaque.append(1)
            else:
                path = (head.rstrip("/")) + "/" + base[len(WHITEOUT_PREFIX):]
                kind = WHITEOUT
                opaque.append(0)
        else:
            opaque.append(0)
        if suspicious:
            out.suspicious += 1
        paths.append(path)
        kinds.append(kind)
        sizes.append(size)
        modes.append(mode & 0o7777)
        uids.append(uid)
        gids.append(gid)
        links.append(link)  # as recorded: "usr/bin/perl" or "./usr/bin/perl" for a hardlink
        if capture is not None and kind == FILE and size > 0:
            want = capture(path, size, mode & 0o7777)
            if want == GO_BUILDINFO:
                found = _go_buildinfo(reader)
                if found:
                    out.contents[path] = found
                    if on_capture is not None:
                        on_capture(path, found)
            elif want and size <= want:
                if size <= budget.left:
                    blob = reader.read(size)
                    budget.left -= len(blob)
                    out.contents[path] = blob
                    if on_capture is not None:
                        on_capture(path, blob)
                else:
                    budget.dropped += 1
    out.tar_entries = len(paths)
    if markers:
        _fold_opaque_markers(out)
    return out


def _fold_opaque_markers(layer: LayerEntries) -> None:
    """An opaque marker next to its directory's own entry marks that entry and is dropped; a
    marker without one stays, as the directory's entry."""
    n = len(layer.paths)
    marked = {layer.paths[i] for i in range(n) if layer.opaque[i]}
    own = {layer.paths[i] for i in range(n) if layer.kinds[i] == DIR and not layer.opaque[i]} & marked
    keep = [i for i in range(n) if not (layer.opaque[i] and layer.paths[i] in own)]
    for i in range(n):
        if layer.kinds[i] == DIR and layer.paths[i] in marked:
            layer.opaque[i] = 1
    if len(keep) == n:
        return
    layer.paths = [layer.paths[i] for i in keep]
    layer.kinds = bytearray(layer.kinds[i] for i in keep)
    layer.sizes = array("q", (layer.sizes[i] for i in keep))
    layer.modes = array("i", (layer.modes[i] for i in keep))
    layer.uids = array("q", (layer.uids[i] for i in keep))
    layer.gids = array("q", (layer.gids[i] for i in keep))
    layer.links = [layer.links[i] for i in keep]
    layer.opaque = bytearray(layer.opaque[i] for i in keep)


# --- Go build information ---------------------------------------------------------------------


class _Elf(NamedTuple):
    """What locating Go's build info needs from an ELF header."""

    is64: bool
    order: str
    phoff: int
    phentsize: int
    phnum: int
    shoff: int
    shentsize: int
    shnum: int
    shstrndx: int


def _elf_header(ident: bytes) -> _Elf | None:
    if len(ident) < 52 or ident[:4] != b"\x7fELF" or ident[4] not in (1, 2) or ident[5] not in (1, 2):
        return None
    is64, order = ident[4] == 2, "<" if ident[5] == 1 else ">"
    if is64:
        if len(ident) < 64:
            return None
        phoff, shoff = struct.unpack_from(order + "QQ", ident, 32)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(order + "HHHHH", ident, 54)
    else:
        phoff, shoff = struct.unpack_from(order + "II", ident, 28)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(order + "HHHHH", ident, 42)
    return _Elf(is64, order, phoff, phentsize, phnum, shoff, shentsize, shnum, shstrndx)


def _writable_segment(elf: _Elf, table: bytes) -> int | None:
    """File offset of the first loaded segment that is writable and not executable (Go's
    ``DataStart`` fallback), from the program header ``table``."""
    if elf.phentsize < (56 if elf.is64 else 32):
        return None
    for at in range(0, len(table) - elf.phentsize + 1, elf.phentsize):
        if elf.is64:
            ptype, flags, offset = struct.unpack_from(elf.order + "IIQ", table, at)
        else:
            ptype, offset, flags = struct.unpack_from(elf.order + "II16xI", table, at)
        if ptype == 1 and flags & 3 == 2:  # PT_LOAD, PF_W without PF_X
            return offset
    return None


def _buildinfo_section(elf: _Elf, read_at: Callable[[int, int], bytes | None]) -> int | None:
    """File offset of the ``.go.buildinfo`` section, from the section headers at the file's end."""
    sh = struct.Struct(elf.order + ("IIQQQQ" if elf.is64 else "IIIIII"))  # name, type, flags, addr, offset, size
    if not (elf.shoff and elf.shnum and elf.shstrndx < elf.shnum and elf.shentsize >= sh.size):
        return None
    table = read_at(elf.shoff, elf.shnum * elf.shentsize) or b""
    if len(table) < elf.shnum * elf.shentsize:
        return None
    headers = [sh.unpack_from(table, i * elf.shentsize) for i in range(elf.shnum)]
    names_at, names_size = headers[elf.shstrndx][4:6]
    names = read_at(names_at, min(names_size, 1 << 20)) or b""
    for name_at, _, _, _, offset, _ in headers:
        if names[name_at:name_at + 14] == b".go.buildinfo\0":
            return offset
    return None


def _go_buildinfo(reader: TarReader) -> bytes | None:
    """Go's build-info blob of the current member (an executable), from the magic on, or None.

    In a file, read as Go's ``debug/buildinfo`` reads an ELF file: the ``.go.buildinfo`` section,
    else the first writable data segment, searched over 64 KiB - a few kilobytes per executable.
    A stream (the engine, compressed layers) cannot go back to the section headers at the end of
    the file: it is searched from the first writable segment on (the blob lives in one), the code
    and read-only data before it skipped. Files whose headers cannot be read are searched whole.
    """
    if reader.peek(4) != b"\x7fELF":
        return None
    elf = _elf_header(reader.peek(64))
    if elf is not None and reader.start is not None:
        start = _buildinfo_section(elf, reader.read_at)
        if start is None:
            start = _writable_segment(elf, reader.read_at(elf.phoff, elf.phnum * elf.phentsize) or b"")
        if start is None:
            return None
        data = reader.read_at(start, _GO_WINDOW) or b""
        at = _aligned_magic(data, start)
        return (reader.read_at(start + at, _GO_WINDOW) or None) if at >= 0 else None
    if reader.size > _GO_SCAN_LIMIT:
        return None
    start = 0
    if elf is not None and elf.phoff + elf.phnum * elf.phentsize <= _GO_WINDOW:
        table = reader.peek(elf.phoff + elf.phnum * elf.phentsize)[elf.phoff:]
        start = _writable_segment(elf, table) or 0
        reader.discard(start)
    return _scan_buildinfo(reader, start)


def _aligned_magic(data: bytes, base: int = 0) -> int:
    """Where Go's build-info magic starts in ``data`` on a 16-byte boundary (of the file, ``data``
    starting at offset ``base``), or -1: the linker aligns the blob, a string constant elsewhere
    usually is not."""
    at = data.find(_GO_MAGIC)
    while at >= 0 and (base + at) % 16:
        at = data.find(_GO_MAGIC, at + 1)
    return at


def _scan_buildinfo(reader: TarReader, offset: int = 0) -> bytes | None:
    """Search the current member's data, from ``offset`` (where the reader stands) on, for the
    build-info blob, reading it once in 1 MiB blocks."""
    tail = b""
    seen = offset
    size = reader.size
    while seen < size:
        chunk = reader.read(min(1 << 20, size - seen))
        if not chunk:
            return None
        window = tail + chunk
        at = _aligned_magic(window, seen - len(tail))
        seen += len(chunk)
        if at >= 0:
            found = window[at:at + _GO_WINDOW]
            if len(found) < _GO_WINDOW:
                found += reader.read(_GO_WINDOW - len(found))
            return found
        tail = window[-(len(_GO_MAGIC) - 1):]
    return None
