"""What reading and gzipping an image found, kept on disk by image id, so that no report reads or
compresses an image another report (or chapter, or experiment) already measured.

An image id is the digest of the image's config, which names every layer by content: the same id is the
same bytes, so a record never goes stale. Records live in ``settings.cache_dir() / "facts"``
(``$DOCKOPT_CACHE_DIR``), one JSON file per image; they are written atomically, since several sessions
may measure at once. One record holds the union of what the callers need (``experiments.measure_image``
and ``experiments.image_facts``), computed from one ``analyze_report`` and one gzip pass.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import settings

if TYPE_CHECKING:  # pragma: no cover
    from .analysis_report import AnalysisReport

#: Every field a record holds; a record missing one (written by an older dockopt) is measured again.
FIELDS = ("size_bytes", "compressed_bytes", "packages", "shells", "compilers", "package_managers",
          "setuid_files", "user", "runs_as_root", "secrets", "secret_paths", "reclaimable_bytes")


def _folder() -> Path:
    root = settings.cache_dir() / "facts"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _path(image_id: str) -> Path:
    return _folder() / f"{image_id.removeprefix('sha256:')}.json"


def load(image_id: str) -> dict[str, Any] | None:
    """The record of ``image_id``, or None when it was never measured (or the record is incomplete)."""
    try:
        record = json.loads(_path(image_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and all(f in record for f in FIELDS) else None


def store(image_id: str, record: Mapping[str, Any]) -> None:
    path = _path(image_id)
    tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(dict(record)), encoding="utf-8")
    tmp.replace(path)


def from_report(report: AnalysisReport, compressed_bytes: int) -> dict[str, Any]:
    """The record of one image, from its analysis (scanners on) and its gzipped size."""
    surf = report.surface
    return {
        "size_bytes": int(report.size_bytes),
        "compressed_bytes": int(compressed_bytes),
        "packages": len(report.package_rows),
        "shells": list(surf.shells) if surf else [],
        "compilers": list(surf.compilers) if surf else [],
        "package_managers": list(surf.package_managers) if surf else [],
        "setuid_files": len(surf.setuid_files) if surf else 0,
        "user": surf.user if surf else "",
        "runs_as_root": bool(surf.runs_as_root) if surf else True,
        "secrets": len(report.secret_rows),
        "secret_paths": sorted({s.path for s in report.secret_rows}),
        "reclaimable_bytes": int(report.reclaimable_bytes),
    }


def facts(image_id: str, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The record of ``image_id``: from the cache, else ``measure()`` (then kept)."""
    cached = load(image_id)
    if cached is not None:
        return cached
    record = measure()
    store(image_id, record)
    return record
