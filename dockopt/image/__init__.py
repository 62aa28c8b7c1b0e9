"""Images as data: layers from the engine's history, and files per layer from the image itself.

``read_image`` streams an image - from the engine (``docker save`` over the API), from a
``docker save`` archive (Engine 20.10's legacy layout or the OCI layout of current engines), or
from an OCI image layout directory / tar - and reads *tar headers only*: file contents are
skipped (seeked over when the source is a file) unless a caller asks for a few small files
(package databases, candidate secrets), which are captured up to a size cap. Nothing is
unpacked to disk; memory grows with the number of entries, not with bytes. Nothing here loads
pandas until a DataFrame is asked for.

Modules: ``tar`` (byte sources, the tar reader), ``layer`` (one layer tar → entries),
``overlay`` (layers stacked into one filesystem), ``table`` (the column store),
``contents`` (``ImageContents``), ``layouts`` (docker-save, OCI, engine stream), ``history``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import ImageNotFound
from .contents import IMAGE_LAYER_COLUMNS, ImageContents, LayerInfo, instruction_of
from .history import layers
from .layer import GO_BUILDINFO, OPAQUE_MARKER, WHITEOUT_PREFIX, CapturePolicy, CaptureSink
from .layouts import is_archive_path, read_archive, read_bytes, read_engine_image
from .table import CHANGES, FILE_COLUMNS, KINDS, FileTable, as_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["CHANGES", "FILE_COLUMNS", "GO_BUILDINFO", "IMAGE_LAYER_COLUMNS", "KINDS", "OPAQUE_MARKER",
           "WHITEOUT_PREFIX", "CapturePolicy", "CaptureSink", "FileTable", "ImageContents", "LayerInfo", "as_table",
           "files",
           "instruction_of", "layers", "read_archive", "read_bytes", "read_engine_image", "read_image",
           "resolve_source", "SOURCES"]


SOURCES = ("auto", "engine", "archive", "registry")


def resolve_source(image_or_archive: str | os.PathLike[str], source: str = "auto") -> str:
    """Where ``read_image`` reads from: ``auto`` takes an existing path as an archive, a reference
    naming its registry with a port or as ``localhost`` (``127.0.0.1:5000/app:1``) as a registry
    image, and anything else as an engine image."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    if source != "auto":
        return source
    if is_archive_path(image_or_archive):
        return "archive"
    from ..registry import names_registry

    return "registry" if names_registry(str(image_or_archive)) else "engine"


def read_image(image_or_archive: str | os.PathLike[str], *, source: str = "auto",
               capture: CapturePolicy | None = None, stream: Iterable[bytes] | None = None,
               on_capture: CaptureSink | None = None, platform: str | None = None) -> ImageContents:
    """Read an image from the engine, an archive / OCI layout, or a registry (``source``:
    auto|engine|archive|registry; see ``resolve_source`` for ``auto``).

    Raises ``ImageNotFound`` for an unknown reference, ``ArchiveError`` for a bad archive, and the
    registry errors of ``dockopt.registry``. ``capture``: which files' contents to keep;
    ``on_capture``: told about each as it is read. ``stream``: an already opened engine save stream
    for the reference (see ``read_engine_image``). ``platform``: ``os/arch[/variant]`` picked from
    a registry's image index (default linux/amd64).
    """
    where = resolve_source(image_or_archive, source)
    if where == "archive":
        return read_archive(image_or_archive, capture=capture, on_capture=on_capture)
    ref = str(image_or_archive)
    if where == "registry":
        from .remote import read_registry_image

        return read_registry_image(ref, platform=platform, capture=capture, on_capture=on_capture)
    if not ref or ref.strip() != ref:
        raise ImageNotFound(f"{ref!r} is not an image reference")
    return read_engine_image(ref, capture=capture, stream=stream, on_capture=on_capture)


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
