"""Where a fleet audit keeps its results: one small JSON file per digest as each one finishes, then
consolidated Parquet tables.

Layout of the output folder::

    DIR/digests/sha256-<hex>.json   one per analysed digest (written whole, then renamed into place)
    DIR/targets.json                the (repository, tag) → digest map of the last discovery
    DIR/audit.json                  what was audited: registry, repository glob, tags, platform
    DIR/images.parquet              one row per (repository, tag): the facts of its digest
    DIR/layers.parquet              one row per layer of each distinct digest
    DIR/findings.parquet            one row per finding (rule, fix, cost) of each distinct digest

A digest whose file exists (and was written by the current ``FACT_VERSION``) is done: an
interrupted audit run again skips it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DockoptError
from .work import FACT_VERSION, FINDING_COLUMNS, IMAGE_FACTS, LAYER_COLUMNS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .discover import Target

TARGET_COLUMNS = ["repository", "tag"]
IMAGE_COLUMNS = [*TARGET_COLUMNS, *IMAGE_FACTS]


def digest_path(out: Path, digest: str) -> Path:
    return out / "digests" / (digest.replace(":", "-") + ".json")


def _write_atomic(path: Path, text: str) -> None:
    """Whole or not at all: a killed audit never leaves half a result that a resumed one would trust."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_result(out: Path, result: Mapping[str, Any]) -> Path:
    path = digest_path(out, str(result["image"]["digest"]))
    _write_atomic(path, json.dumps(result, sort_keys=True))
    return path


def load_result(out: Path, digest: str) -> dict[str, Any] | None:
    """The stored result of ``digest``, or None when there is none (or one of an older version, or a torn file)."""
    path = digest_path(out, digest)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("version") == FACT_VERSION else None


def done_digests(out: Path) -> set[str]:
    """Digests whose results are stored (current version)."""
    found = set()
    for path in (out / "digests").glob("*.json"):
        digest = path.stem.replace("-", ":", 1)
        result = load_result(out, digest)
        if result is not None and not result.get("retry"):  # a transient failure is tried again
            found.add(digest)
    return found


def save_targets(out: Path, targets: Iterable[Target]) -> None:
    rows = [{"repository": t.repository, "tag": t.tag, "digest": t.digest, "platform": t.platform, "error": t.error}
            for t in targets]
    _write_atomic(out / "targets.json", json.dumps(rows, indent=1))


def save_meta(out: Path, meta: Mapping[str, Any]) -> None:
    """What was audited (registry, repository glob, tag selection, platform), for the report."""
    _write_atomic(out / "audit.json", json.dumps(dict(meta), indent=1))


def load_meta(out: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((out / "audit.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def load_targets(out: Path) -> list[dict[str, Any]]:
    try:
        return list(json.loads((out / "targets.json").read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise DockoptError(f"{out} holds no fleet audit (no targets.json)",
                           hint="run `dockopt audit REGISTRY -o DIR` first") from exc


def consolidate(out: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Build the three tables from the targets and the per-digest results, write them as Parquet.

    Each row of ``images`` is one (repository, tag) and the facts of the digest it points at;
    each row of ``layers`` one layer of one distinct digest; each row of ``findings`` one finding
    dockopt's rules made on one distinct digest."""
    import pandas as pd

    try:
        import pyarrow  # noqa: F401 - pandas writes Parquet through it
    except ImportError as exc:
        raise DockoptError("writing the fleet tables needs pyarrow",
                           hint="pip install 'dockopt[fleet]' (pyarrow, dask, distributed)") from exc
    targets = load_targets(out)
    images, layers, findings = [], [], []
    seen: set[str] = set()
    for t in targets:
        row: dict[str, Any] = dict.fromkeys(IMAGE_COLUMNS)
        row.update(repository=t["repository"], tag=t["tag"], digest=t["digest"], platform=t.get("platform"))
        if t["digest"] is None:
            row["error"] = t.get("error") or "not resolved"
        else:
            result = load_result(out, t["digest"])
            if result is None:
                row["error"] = "not analysed (the audit was interrupted before this digest)"
            else:
                row.update({k: v for k, v in result["image"].items() if k in IMAGE_FACTS})
                if t["digest"] not in seen:
                    seen.add(t["digest"])
                    layers.extend(result["layers"])
                    findings.extend(result["findings"])
        images.append(row)
    img = pd.DataFrame(images, columns=IMAGE_COLUMNS)
    for col in ("size_bytes", "compressed_bytes", "layers", "wasted_bytes", "reclaimable_bytes", "secrets_count",
                "packages", "top_cost_bytes", "waste_instruction_bytes", "bytes_read"):
        img[col] = img[col].astype("Int64")
    for col in ("runs_as_root", "has_shell"):
        img[col] = img[col].astype("boolean")
    for col in ("efficiency", "base_age_days", "duration_s"):
        img[col] = img[col].astype("Float64")
    for col in img.columns:  # text stays text, also in a table where a column happens to be empty
        if img[col].dtype == object:
            img[col] = img[col].astype("string")
    img = img.sort_values(["repository", "tag"], kind="stable").reset_index(drop=True)
    lay = pd.DataFrame(layers, columns=LAYER_COLUMNS).astype({"index": "Int64", "size_bytes": "Int64",
                                                              "compressed_bytes": "Int64"})
    lay = lay.sort_values(["digest", "index"], kind="stable").reset_index(drop=True)
    fnd = pd.DataFrame(findings, columns=FINDING_COLUMNS).astype({"cost_bytes": "Int64"})
    fnd = fnd.sort_values(["digest", "rule", "message"], kind="stable").reset_index(drop=True)
    lay = lay.astype(dict.fromkeys(("digest", "layer_digest", "instruction"), "string"))
    fnd = fnd.astype(dict.fromkeys(("digest", "rule", "severity", "message", "fix"), "string"))
    img.to_parquet(out / "images.parquet", index=False)
    lay.to_parquet(out / "layers.parquet", index=False)
    fnd.to_parquet(out / "findings.parquet", index=False)
    return read_tables(out)  # as every later reader gets them: the same dtypes


def read_tables(out: str | os.PathLike[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The consolidated ``images``, ``layers`` and ``findings`` tables of a fleet audit folder."""
    import pandas as pd

    folder = Path(out)
    missing = [n for n in ("images", "layers", "findings") if not (folder / f"{n}.parquet").is_file()]
    if missing:
        raise DockoptError(f"{folder} holds no consolidated fleet audit (missing {', '.join(missing)}.parquet)",
                           hint="run `dockopt audit REGISTRY -o DIR` first")
    frames = []
    for name in ("images", "layers", "findings"):
        frame = pd.read_parquet(folder / f"{name}.parquet")
        # one text dtype whatever Parquet recorded (an all-empty column reads back differently)
        text = [c for c in frame.columns if frame[c].dtype == object or isinstance(frame[c].dtype, pd.StringDtype)]
        frames.append(frame.astype(dict.fromkeys(text, "string")))
    return frames[0], frames[1], frames[2]
