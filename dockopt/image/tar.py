"""Tar, read header by header: byte sources and a reader that never touches file contents it skips.

Hand-written on purpose, rather than through ``tarfile`` (or libarchive): an image is a tar of
tars, and reading one must

- *seek* over file contents when the image is a file on disk (a 1 GB ``docker save`` has ~35k
  headers worth reading and a gigabyte of contents worth skipping: ``tarfile`` reads a member's
  data through its own buffer and builds a ``TarInfo`` object per member);
- read the layer tars *inside* a streamed ``docker save`` from the engine without buffering a
  layer, and layers compressed with gzip or zstd as they decompress;
- parse ~35k headers per second-of-budget in Python, which is what keeps ``dockopt analyze`` as
  fast as dive (a Go program): one ``struct`` unpack per header, no object per entry.

Formats: ustar, GNU (long names and links, base-256 numbers), PAX (path, linkpath, size, uid,
gid). Truncation anywhere (header, data, extended header, compressed stream) is an
``ArchiveError``, as is anything that is not a tar (header checksums are checked).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..errors import ArchiveError

_ZERO_BLOCK = bytes(512)
# name, mode, uid, gid, size, mtime, chksum, typeflag, linkname, magic+version, uname, gname,
# devmajor, devminor, prefix (ustar field layout; GNU reuses the prefix area, see ``_USTAR``).
_HEADER = struct.Struct("100s8s8s8s12s12s8sc100s8s32s32s8s8s155s12x")
_USTAR = b"ustar\x00"  # POSIX magic; GNU writes "ustar  " and has no prefix field
_READAHEAD = 4096  # one read (a page) serves the headers of the small members it holds
_EXTENDED = frozenset((b"L", b"K", b"x", b"g"))


# --- byte sources ------------------------------------------------------------------------------


class ByteSource:
    """A forward-only byte source: ``read`` (fewer bytes only at the end) and ``skip``."""

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


class FileRange(ByteSource):
    """Bytes ``[start, end)`` of a file (or of bytes in memory), read with ``pread``: skipping is
    arithmetic, so skipped contents are never read, and ``read_at`` reaches any offset."""

    def __init__(self, pread: Callable[[int, int], bytes], start: int, end: int) -> None:
        self.pread = pread  # (n, offset) -> bytes, as os.pread without the descriptor
        self.pos = start
        self.end = end
        self._buf = b""
        self._buf_at = start

    @classmethod
    def of_file(cls, fd: int, start: int = 0, end: int | None = None) -> FileRange:
        size = os.fstat(fd).st_size if end is None else end
        return cls(lambda n, offset: os.pread(fd, n, offset), start, size)

    @classmethod
    def of_bytes(cls, data: bytes) -> FileRange:
        view = memoryview(data)
        return cls(lambda n, offset: bytes(view[offset:offset + n]), 0, len(data))

    def sub(self, start: int, end: int) -> FileRange:
        """Another range of the same file (a layer tar inside an archive)."""
        return FileRange(self.pread, start, min(end, self.end))

    def read(self, n: int) -> bytes:
        pos = self.pos
        off = pos - self._buf_at
        if off >= 0 and off + n <= len(self._buf):
            self.pos = pos + n
            return self._buf[off:off + n]
        n = min(n, self.end - pos)
        if n <= 0:
            return b""
        if n >= _READAHEAD:
            out = self.pread(n, pos)
        else:
            self._buf = self.pread(min(_READAHEAD, self.end - pos), pos)
            self._buf_at = pos
            out = self._buf[:n]
        self.pos = pos + len(out)
        return out

    def skip(self, n: int) -> int:
        target = min(self.pos + n, self.end)
        dropped = max(0, target - self.pos)
        self.pos += dropped
        return dropped

    def read_at(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes at absolute ``offset`` (within the range); the position is unchanged."""
        n = min(n, self.end - offset)
        return self.pread(n, offset) if n > 0 else b""


class _Buffered(ByteSource):
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


class ChunkSource(_Buffered):
    """An iterator of byte chunks (the engine's save stream)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks: Iterator[bytes] = iter(chunks)
        self.buf = b""
        self.pos = 0

    def _fill(self) -> bool:
        for chunk in self.chunks:
            if chunk:
                self.buf, self.pos = chunk, 0
                return True
        self.buf, self.pos = b"", 0
        return False

    def close(self) -> None:
        """Stop the chunk iterator (and a thread feeding it) even if the tar ended before it did."""
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()


class Bounded(ByteSource):
    """At most ``size`` bytes of a parent source, with a peek buffer (a member read as a source)."""

    def __init__(self, parent: ByteSource, size: int, head: bytes = b"") -> None:
        self.parent = parent
        self.left = size  # bytes still in the parent, after ``head``
        self.head = head

    def unread(self) -> int:
        """Drop the peeked bytes; returns how many bytes are left in the parent."""
        self.head = b""
        return self.left

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


class Decompressed(_Buffered):
    """gzip (possibly multi-member) or zstd data of a parent source, decompressed on the fly."""

    def __init__(self, parent: ByteSource, codec: str) -> None:
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
                if self.codec == "zstd" and getattr(self.d, "eof", False):
                    self._new()  # the last frame ended exactly where the previous read did
                out = self.d.decompress(raw)
                if self.codec == "gzip":
                    while self.d.eof and self.d.unused_data:
                        rest = self.d.unused_data
                        self._new()
                        out += self.d.decompress(rest)
                else:
                    # One frame per file and skippable metadata frames in zstd:chunked layers:
                    # several frames can end inside one read.
                    while getattr(self.d, "eof", False) and getattr(self.d, "unused_data", b""):
                        rest = self.d.unused_data
                        self._new()
                        out += self.d.decompress(rest)
            except ArchiveError:
                raise
            except Exception as exc:  # zlib.error, zstandard.ZstdError
                raise ArchiveError(f"a {self.codec} layer cannot be decompressed: {exc}") from exc
            if out:
                self.buf, self.pos = out, 0
                return True
        return False


GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def codec_of(head: bytes) -> str | None:
    """``gzip``, ``zstd`` or None (plain) from a stream's first bytes."""
    if head[:2] == GZIP_MAGIC:
        return "gzip"
    if head[:4] == ZSTD_MAGIC:
        return "zstd"
    return None


# --- tar headers ------------------------------------------------------------------------------


def _number(field: bytes) -> int:
    """A numeric header field: octal text (NUL or space terminated) or GNU base-256."""
    if field and field[0] & 0x80:
        value = int.from_bytes(field, "big", signed=False)
        return value & ~(0x80 << (8 * (len(field) - 1)))
    text = field.strip(b" \0")
    if not text:
        return 0
    try:
        value = int(text, 8)
    except ValueError:
        value = -1
    if value < 0:
        raise ArchiveError(f"not a tar archive (bad number field {field[:12]!r})")
    return value


def _text(raw: bytes) -> str:
    return raw.partition(b"\0")[0].decode("utf-8", "surrogateescape")


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


# One member as the reader yields it: (name, typeflag, size, mode, uid, gid, linkname).
TarEntry = tuple[str, bytes, int, int, int, int, str]


class TarReader:
    """The members of a tar, one header at a time; the current member's data can be read or left.

    ``for name, typeflag, size, mode, uid, gid, linkname in reader:`` - while a member is current,
    ``read``/``peek`` take its data and ``member_source`` hands it over as a source of its own (a
    tar inside the tar); whatever is left unread is skipped when the next header is asked for (a
    seek, on files). No object is made per member: the loop is the hot path of image reading.
    """

    def __init__(self, src: ByteSource, what: str) -> None:
        self.src = src
        self.what = what
        self.name = ""
        self.size = 0
        self.start: int | None = None  # file offset of the current member's data, if seekable
        self._left = 0  # bytes of the current member not yet taken from ``src``
        self._head = b""  # peeked bytes of the current member
        self._pad = 0
        self._delegate: Bounded | None = None  # the current member, handed over by ``member_source``

    # --- the current member's data ---

    def peek(self, n: int) -> bytes:
        if len(self._head) < n and self._left > 0:
            more = self.src.read(min(n - len(self._head), self._left))
            self._left -= len(more)
            self._head += more
        return self._head[:n]

    def read(self, n: int) -> bytes:
        out = b""
        if self._head:
            out, self._head = self._head[:n], self._head[n:]
            n -= len(out)
        if n > 0 and self._left > 0:
            more = self.src.read(min(n, self._left))
            self._left -= len(more)
            out += more
        return out

    def discard(self, n: int) -> int:
        """Drop up to ``n`` bytes of the current member's data; returns how many were dropped."""
        dropped = min(n, len(self._head))
        self._head = self._head[dropped:]
        if dropped < n and self._left > 0:
            got = self.src.skip(min(n - dropped, self._left))
            self._left -= got
            dropped += got
        return dropped

    def read_at(self, offset: int, n: int) -> bytes | None:
        """``n`` bytes at ``offset`` of the current member without moving through it (files only)."""
        if self.start is None or not isinstance(self.src, FileRange):
            return None
        n = max(0, min(n, self.size - offset))
        return self.src.read_at(self.start + offset, n)

    def member_source(self) -> ByteSource:
        """The rest of the current member as a source of its own (a tar inside the tar), read
        straight from this reader's source; what it leaves unread is skipped before the next header."""
        if isinstance(self.src, FileRange) and self.start is not None:
            begin = self.src.pos - len(self._head)
            sub: ByteSource = self.src.sub(begin, begin + len(self._head) + self._left)
            self._left -= self.src.skip(self._left)  # anything left: the file is cut short here
        else:
            sub = self._delegate = Bounded(self.src, self._left, self._head)
            self._left = 0
        self._head = b""
        return sub

    def _finish(self) -> None:
        """Skip the rest of the current member and its padding."""
        self._head = b""
        if self._delegate is not None:  # a member handed over as a source: skip what it left
            self._left, self._delegate = self._delegate.unread(), None
        want = self._left
        got = self.src.skip(want) if want > 0 else 0
        self._left = 0
        if got < want:
            raise ArchiveError(f"{self.what}: truncated tar ({self.name!r} is cut short by {want - got} bytes)",
                               hint="the archive was not completely written or copied")
        if self._pad:
            self.src.skip(self._pad)
            self._pad = 0

    def _extended(self, size: int) -> bytes:
        payload = self.src.read(size)
        if len(payload) < size:
            raise ArchiveError(f"{self.what}: truncated tar (an extended header is cut short)",
                               hint="the archive was not completely written or copied")
        self.src.skip((-size) % 512)
        return payload

    def __iter__(self) -> Iterator[TarEntry]:
        src = self.src
        read = src.read
        unpack = _HEADER.unpack
        adler32 = zlib.adler32
        seekable = isinstance(src, FileRange)
        long_name: str | None = None
        long_link: str | None = None
        pax: dict[str, str] = {}
        while True:
            if self._head or self._delegate is not None:
                self._finish()
            elif self._left or self._pad:  # the usual case: untouched data, one skip with its padding
                want = self._left + self._pad
                got = src.skip(want)
                if got < self._left:
                    self._left -= got
                    self._pad = 0
                    self._finish()  # raises: the member is cut short
                self._left = self._pad = 0
            block = read(512)
            if len(block) < 512:
                if not block or block.count(0) == len(block):
                    # A tar without (all of) its end blocks: docker never writes that, but a cut
                    # stream can end here without losing a member.
                    return
                raise ArchiveError(f"{self.what}: truncated tar (a header is cut short)",
                                   hint="the archive was not completely written or copied")
            if block == _ZERO_BLOCK:
                return
            (name_b, mode_b, uid_b, gid_b, size_b, _mtime, chksum_b, typeflag, link_b, magic, _uname, _gname,
             _major, _minor, prefix_b) = unpack(block)
            # The checksum is the byte sum with its own field read as spaces; adler32's low half is
            # that sum + 1 modulo 65521, computed in C.
            try:
                stored = int(chksum_b.rstrip(b" \0"), 8)
            except ValueError:
                stored = _number(chksum_b)
            if (stored - 8 * 32 + (adler32(chksum_b) & 0xFFFF) - (adler32(block) & 0xFFFF)) % 65521:
                raise ArchiveError(f"{self.what}: not a tar archive (header checksum mismatch)",
                                   hint="give a `docker save` archive, an OCI image layout, or an image reference")
            try:
                size = int(size_b.rstrip(b" \0"), 8)
                mode = int(mode_b.rstrip(b" \0"), 8)
                uid = int(uid_b.rstrip(b" \0"), 8)
                gid = int(gid_b.rstrip(b" \0"), 8)
                if size < 0 or uid < 0 or gid < 0 or mode < 0:
                    raise ValueError
            except ValueError:  # empty, base-256 or malformed: the careful parser decides
                size, mode, uid, gid = _number(size_b), _number(mode_b), _number(uid_b), _number(gid_b)
            if typeflag in _EXTENDED:
                payload = self._extended(size)
                if typeflag == b"L":
                    long_name = payload.rstrip(b"\0").decode("utf-8", "surrogateescape")
                elif typeflag == b"K":
                    long_link = payload.rstrip(b"\0").decode("utf-8", "surrogateescape")
                elif typeflag == b"x":
                    pax.update(_pax(payload))
                continue
            if long_name is not None:
                name = long_name
                long_name = None
            else:
                name = name_b.partition(b"\0")[0].decode("utf-8", "surrogateescape")
                if magic[:6] == _USTAR and prefix_b[0]:  # POSIX ustar: a prefix field extends the name
                    name = _text(prefix_b) + "/" + name
            if long_link is not None:
                link = long_link
                long_link = None
            elif link_b[0]:
                link = link_b.partition(b"\0")[0].decode("utf-8", "surrogateescape")
            else:
                link = ""
            if pax:
                name = pax.get("path", name)
                link = pax.get("linkpath", link)
                size = int(pax.get("size", size))
                uid = int(pax.get("uid", uid))
                gid = int(pax.get("gid", gid))
                pax = {}
            if typeflag == b"\0" and name.endswith("/"):
                typeflag = b"5"
            self.name = name
            self.size = size
            self.start = src.pos if seekable else None  # type: ignore[attr-defined]
            self._left = size
            self._pad = (-size) % 512
            yield name, typeflag, size, mode, uid, gid, link
