"""Where an image's bytes go: hidden entries, reclaimable bytes, attribution to instructions and
stages, waste per layer, the largest files, size by directory, and a diff of two images.

Each analysis has a core over the column store the reader fills (``dockopt.image.FileTable``),
plain Python, so ``dockopt analyze`` runs without pandas; the functions named in the API take
and return DataFrames (``files`` from ``dockopt.image.files`` or an ``ImageContents``). dive's
own figures are ``dockopt.dive_compat``; ``reclaimable`` here is the corrected one: every hidden
copy, none of the kept ones, opaque directories and copied-up hardlink targets counted.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import AnalysisError
from .image.contents import HIDDEN_COLUMNS, hidden_frame
from .image.overlay import stack
from .image.table import DIR, FILE, OPAQUE, WHITEOUT, FileTable, as_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .dockerfile import Dockerfile, Instruction


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


# --- reclaimable bytes (the corrected figure) ------------------------------------------------


def hidden_rows(table: FileTable) -> dict[int, tuple[int, int]]:
    """Row → (layer that hid it, reason code) for every entry the final filesystem does not show
    (``ImageContents.hidden_rows`` has it already, recorded while reading)."""
    opaque = bytes(c == OPAQUE for c in table.change)
    return stack(table.bounds, table.path, table.kind, opaque).hidden


def hidden_entries(files: Any) -> pd.DataFrame:
    """Each row is one entry an image ships but its final filesystem does not show.

    Columns: ``layer`` (that wrote it), ``path``, ``kind``, ``size_bytes``, ``hidden_by_layer``
    and ``reason``: ``overwritten`` (a later layer wrote the same path), ``deleted`` (a whiteout
    of it or of a parent directory), ``replaced_dir`` (an opaque directory above it). Hardlinks
    carry 0 bytes (the data is counted once, at the entry that holds it), so a lower file copied
    up by ``ln`` shows here as an overwritten copy.
    """
    table = as_table(files)
    return hidden_frame(table, hidden_rows(table))[HIDDEN_COLUMNS]


def reclaimable_bytes(files: Any) -> int:
    """Bytes the image ships that its final filesystem does not show (all copies but the kept one)."""
    t = as_table(files)
    shipped = sum(s for s, k in zip(t.size, t.kind) if k != WHITEOUT)
    kept = sum(s for s, v in zip(t.size, t.visible) if v)
    return shipped - kept


# --- attribution to instructions and stages --------------------------------------------------


class LayerSource(NamedTuple):
    """Where one history entry came from: the Dockerfile instruction that wrote it, and its stage.

    ``stage``: the stage's label (``build``, ``stage-2``), ``"base"`` for the base image's own entries,
    None when no Dockerfile was given. ``from_stage``: for ``COPY --from``, the stage (or image) that
    made the bytes. ``line``: the instruction's first line in the Dockerfile.
    """

    stage: str | None
    from_stage: str | None
    line: int | None
    instruction: str | None


def _dockerfile_of(build: Any) -> tuple[Dockerfile, str | None] | None:
    """(parsed Dockerfile, target) of a ``BuildResult``, a ``Dockerfile`` or a ``(Dockerfile, target)`` pair."""
    if build is None:
        return None
    from .dockerfile import Dockerfile  # BuildKit's parser loads only when there is a Dockerfile to read

    if isinstance(build, Dockerfile):
        return build, None
    if isinstance(build, tuple) and len(build) == 2 and isinstance(build[0], Dockerfile):
        return build[0], build[1]
    if hasattr(build, "parsed") and hasattr(build, "target"):
        return build.parsed, build.target
    raise AnalysisError(f"cannot attribute layers to {type(build).__name__}",
                        hint="pass the BuildResult of the build, or dockopt.dockerfile.parse(...) of its Dockerfile")


def attribute(created_by: Sequence[str], build: Any) -> list[LayerSource]:
    """The source of each history entry (``created_by`` lines, oldest first: every entry, or only those of
    filesystem layers), matched to the parsed Dockerfile's instructions (``Dockerfile.history_instructions``).

    ``build``: the ``BuildResult`` (its Dockerfile text, build args and target), a parsed ``Dockerfile``
    or ``(Dockerfile, target)``; None leaves every source empty.
    """
    found = _dockerfile_of(build)
    if found is None:
        return [LayerSource(None, None, None, None)] * len(created_by)
    parsed, target = found
    out = []
    for ins in parsed.history_instructions(created_by, target):
        if ins is None:
            out.append(LayerSource("base", None, None, None))
            continue
        stage = parsed.stage_of(ins)
        out.append(LayerSource(stage.label if stage else None, parsed.copy_source(ins), ins.line_start,
                               ins.original))
    return out


def layer_instructions(contents: Any, parsed: Dockerfile, target: str | None = None) -> list[Instruction | None]:
    """The instruction that made each filesystem layer of ``contents`` (``ImageContents``), oldest first
    (None: the base image's). The one alignment every view uses: all history entries (empty ones too) are
    aligned with the Dockerfile (``Dockerfile.history_instructions``), and each layer takes its entry's."""
    history = [str(h.get("created_by") or "") for h in contents.history]
    by_entry = parsed.history_instructions(history, target)
    return [by_entry[i.history_index] if i.history_index is not None and i.history_index < len(by_entry) else None
            for i in contents.layer_info]


def attribute_layers(layers: pd.DataFrame, build: Any = None) -> pd.DataFrame:
    """Each row is one layer (or history entry) with the Dockerfile instruction and stage that made it.

    ``layers``: ``ImageContents.layers`` or ``dockopt.layers(image)`` (needs ``layer`` and ``created_by``).
    ``build``: the ``BuildResult``, or a parsed ``Dockerfile`` (``(Dockerfile, target)`` for a target).
    Columns: ``layer``, ``instruction`` (the history's), ``stage`` (``"base"`` for the base image's
    layers), ``from_stage`` (the stage a ``COPY --from`` copied from), ``line`` and ``dockerfile_instruction``
    (the instruction as written in the Dockerfile).
    """
    import pandas as pd

    if "created_by" not in layers.columns:
        raise AnalysisError("layers lack a created_by column",
                            hint="pass ImageContents.layers or dockopt.layers(image)")
    out = layers[["layer", "instruction"]].copy().reset_index(drop=True)
    sources = attribute(layers["created_by"].tolist(), build)
    # object columns: "no stage" stays None (a str column would turn it into NaN)
    for name in ("stage", "from_stage"):
        out[name] = pd.Series([getattr(s, name) for s in sources], index=out.index, dtype=object)
    out["line"] = pd.array([s.line for s in sources], dtype="Int64")
    out["dockerfile_instruction"] = pd.Series([s.instruction for s in sources], index=out.index, dtype=object)
    return out


# --- waste per layer -----------------------------------------------------------------------


_WASTE_COLUMNS = ["layer", "instruction", "stage", "from_stage", "reclaimable_bytes", "reclaimable_files",
                  "hides_bytes", "dive_wasted_bytes", "line"]


class LayerWaste(NamedTuple):
    """One layer and the waste it caused: a row of ``waste_by_layer``."""

    layer: int
    instruction: str
    stage: str | None
    from_stage: str | None
    reclaimable_bytes: int
    reclaimable_files: int
    hides_bytes: int
    dive_wasted_bytes: int
    line: int | None = None


def layer_waste(table: FileTable, instructions: Sequence[str], hidden: Iterable[tuple[int, int, int, int]],
                dive_paths: Iterable[str], stages: Sequence[Any] | None = None,
                from_stages: Sequence[Any] | None = None,
                lines: Sequence[int | None] | None = None) -> list[LayerWaste]:
    """The core of ``waste_by_layer``. ``hidden``: ``(writer layer, kind code, size, hider layer)``
    per hidden entry; ``dive_paths``: the paths dive counts as inefficient."""
    n = len(instructions)
    written, files_written, hides = [0] * n, [0] * n, [0] * n
    for writer, kind, size, hider in hidden:
        if writer < n:
            written[writer] += size
            files_written[writer] += kind != DIR
        if hider < n:
            hides[hider] += size
    dive_share = [0] * n
    inefficient = set(dive_paths)
    if inefficient:
        for li in range(min(n, table.n_layers)):
            a, b = table.bounds[li], table.bounds[li + 1]
            dive_share[li] = sum(s for p, k, s in zip(table.path[a:b], table.kind[a:b], table.size[a:b])
                                 if k != WHITEOUT and p in inefficient)
    stages = stages or [None] * n
    from_stages = from_stages or [None] * n
    lines = lines or [None] * n
    return [LayerWaste(i, instructions[i], stages[i], from_stages[i], written[i], files_written[i], hides[i],
                       dive_share[i], lines[i]) for i in range(n)]


def waste_by_layer(files: Any, layers: pd.DataFrame, build: Any = None,
                   *, dive: Any = None, hidden: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each row is one filesystem layer and the waste it caused.

    ``reclaimable_bytes`` / ``reclaimable_files``: bytes this layer wrote that the final image
    hides (the instruction that should not have written them, or should have cleaned up in the
    same step); ``hides_bytes``: bytes of lower layers this layer hides (e.g. a later ``rm``);
    ``dive_wasted_bytes``: this layer's share of dive's wasted bytes (its nodes' sizes on
    paths dive counts as inefficient). ``build``: the ``BuildResult`` or parsed ``Dockerfile``
    for ``stage``, ``from_stage`` and ``line`` (``attribute_layers``). ``hidden``: ``hidden_entries(files)``
    when the caller has it already (``ImageContents.hidden``, recorded while reading).
    """
    import pandas as pd

    from .dive_compat.metrics import dive_metrics
    from .image.table import KINDS

    table = as_table(files)
    hidden = hidden if hidden is not None else hidden_entries(table)
    kind_code = {k: i for i, k in enumerate(KINDS)}
    hidden_tuples = zip(hidden["layer"].tolist(), [kind_code[str(k)] for k in hidden["kind"]],
                        hidden["size_bytes"].tolist(), hidden["hidden_by_layer"].tolist())
    attributed = attribute_layers(layers, build)
    dive = dive if dive is not None else dive_metrics(table, layers["size_bytes"].tolist() if len(layers) else None)
    rows = layer_waste(table, attributed["instruction"].tolist(), hidden_tuples, (r[0] for r in dive.references),
                       attributed["stage"].tolist(), attributed["from_stage"].tolist(),
                       [None if pd.isna(x) else int(x) for x in attributed["line"]])
    return waste_frame(rows, layer_ids=attributed["layer"].tolist())


def waste_frame(rows: Sequence[LayerWaste], layer_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """``LayerWaste`` records as the DataFrame ``waste_by_layer`` returns."""
    import pandas as pd

    out = pd.DataFrame(list(rows), columns=_WASTE_COLUMNS)
    if layer_ids is not None:
        out["layer"] = list(layer_ids)
    for c in ("stage", "from_stage"):
        out[c] = pd.Series([getattr(r, c) for r in rows], dtype=object)
    out["line"] = pd.array([r.line for r in rows], dtype="Int64")
    return out


# --- where the bytes are -------------------------------------------------------------------


def final_files(files: pd.DataFrame) -> pd.DataFrame:
    """Each row is one entry of the final merged filesystem (what a container sees)."""
    return files[files["visible"]].reset_index(drop=True)


class LargeFile(NamedTuple):
    path: str
    size_bytes: int
    layer: int
    visible: bool


def largest(table: FileTable, n: int = 20, *, include_hidden: bool = False) -> list[LargeFile]:
    """The core of ``largest_files``: the ``n`` largest regular files, largest first, then by path."""
    rows = (i for i, (k, v) in enumerate(zip(table.kind, table.visible)) if k == FILE and (v or include_hidden))
    size, path = table.size, table.path
    top = heapq.nsmallest(n, rows, key=lambda i: (-size[i], path[i]))
    return [LargeFile(path[i], size[i], table.layer[i], bool(table.visible[i])) for i in top]


def largest_files(files: Any, n: int = 20, *, include_hidden: bool = False) -> pd.DataFrame:
    """Each row is one of the ``n`` largest regular files (final filesystem unless ``include_hidden``):
    ``path``, ``size_bytes``, ``layer``, ``visible``."""
    import pandas as pd

    rows = largest(as_table(files), n, include_hidden=include_hidden)
    return pd.DataFrame({"path": pd.array([r.path for r in rows], dtype="str"),
                         "size_bytes": pd.array([r.size_bytes for r in rows], dtype="int64"),
                         "layer": pd.array([r.layer for r in rows], dtype="int64"),
                         "visible": pd.array([r.visible for r in rows], dtype="bool")},
                        columns=["path", "size_bytes", "layer", "visible"])


def size_by_directory(files: pd.DataFrame, *, max_depth: int | None = None) -> pd.DataFrame:
    """Each row is one directory of the final filesystem with the bytes of all files below it.

    Treemap-ready: ``path``, ``parent`` (``""`` for ``/``), ``size_bytes``, ``files`` (regular
    files below), ``depth``. ``max_depth`` stops at that many levels below ``/``.
    """
    import pandas as pd

    visible = files[files["visible"] & (files["kind"] != "dir")]
    size: dict[str, int] = {"/": 0}
    count: dict[str, int] = {"/": 0}
    for path, s, k in zip(visible["path"].tolist(), visible["size_bytes"].tolist(),
                          visible["kind"].astype(str).tolist()):
        is_file = k == "file"
        d = _parent(path)
        depth = d.count("/") if d != "/" else 0
        while True:
            if max_depth is None or depth <= max_depth:
                size[d] = size.get(d, 0) + s
                count[d] = count.get(d, 0) + is_file
            if d == "/":
                break
            d = _parent(d)
            depth -= 1
    paths = sorted(size)
    return pd.DataFrame({
        "path": pd.array(paths, dtype="str"),
        "parent": pd.array(["" if p == "/" else _parent(p) for p in paths], dtype="str"),
        "size_bytes": [size[p] for p in paths],
        "files": [count[p] for p in paths],
        "depth": [0 if p == "/" else p.count("/") for p in paths],
    })


# --- image diff ----------------------------------------------------------------------------


_DIFF_COLUMNS = ["path", "change", "kind", "size_a_bytes", "size_b_bytes", "delta_bytes"]


def _as_files(x: Any) -> pd.DataFrame:
    if hasattr(x, "columns"):
        return x
    if hasattr(x, "files"):
        return x.files
    from .image import read_image

    return read_image(x).files


def diff(image_a: Any, image_b: Any) -> pd.DataFrame:
    """Each row is one path whose final-filesystem entry differs between two images.

    ``image_a`` / ``image_b``: image references, archive paths, ``ImageContents`` or ``files``
    frames. ``change``: ``added`` (only in b), ``removed`` (only in a), ``changed`` (kind, size,
    mode, owner or link target differ; headers only, so same-size content edits are not seen).
    ``delta_bytes`` = b - a. Sorted by absolute delta, largest first.
    """
    import pandas as pd

    cols = ["path", "kind", "size_bytes", "mode", "uid", "gid", "link_target"]
    a = final_files(_as_files(image_a))[cols].set_index("path")
    b = final_files(_as_files(image_b))[cols].set_index("path")
    joined = a.add_suffix("_a").join(b.add_suffix("_b"), how="outer")
    in_a = joined["kind_a"].notna()
    in_b = joined["kind_b"].notna()
    differs = pd.Series(False, index=joined.index)
    for c in ("size_bytes", "mode", "uid", "gid", "link_target"):
        differs |= joined[f"{c}_a"].astype(object).ne(joined[f"{c}_b"].astype(object))
    differs |= joined["kind_a"].astype(object).ne(joined["kind_b"].astype(object))
    change = pd.Series(None, index=joined.index, dtype=object)
    change[in_a & ~in_b] = "removed"
    change[~in_a & in_b] = "added"
    change[in_a & in_b & differs] = "changed"
    keep = change.notna()
    j = joined[keep]
    out = pd.DataFrame({
        "path": pd.array(j.index.tolist(), dtype="str"),
        "change": change[keep].tolist(),
        "kind": j["kind_b"].astype(object).where(j["kind_b"].notna(), j["kind_a"].astype(object)).astype(str).tolist(),
        "size_a_bytes": j["size_bytes_a"].fillna(0).astype("int64").tolist(),
        "size_b_bytes": j["size_bytes_b"].fillna(0).astype("int64").tolist(),
    })
    out["delta_bytes"] = out["size_b_bytes"] - out["size_a_bytes"]
    order = out["delta_bytes"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order, _DIFF_COLUMNS].reset_index(drop=True)


def diff_by_directory(changes: pd.DataFrame, *, depth: int = 2) -> pd.DataFrame:
    """Each row is one directory (cut at ``depth`` levels) with the size deltas of a ``diff``.

    Columns: ``directory``, ``added_bytes``, ``removed_bytes``, ``delta_bytes``, ``files``.
    """
    def cut(p: str) -> str:
        parts = p.strip("/").split("/")[:-1][:depth]
        return "/" + "/".join(parts) if parts else "/"

    d = changes.assign(directory=[cut(p) for p in changes["path"]])
    d["added_bytes"] = d["delta_bytes"].clip(lower=0)
    d["removed_bytes"] = (-d["delta_bytes"]).clip(lower=0)
    g = d.groupby("directory").agg(added_bytes=("added_bytes", "sum"), removed_bytes=("removed_bytes", "sum"),
                                   delta_bytes=("delta_bytes", "sum"), files=("path", "size")).reset_index()
    return g.sort_values("delta_bytes", key=lambda s: s.abs(), ascending=False, kind="stable").reset_index(drop=True)
