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
import json
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import AnalysisError
from .image.contents import HIDDEN_COLUMNS, hidden_frame
from .image.overlay import stack
from .image.table import DIR, FILE, OPAQUE, WHITEOUT, FileTable, as_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


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

_WS = re.compile(r"\s+")


def normalise_instruction(text: str) -> str:
    """One comparable form for a history ``created_by`` and a BuildKit step's instruction.

    Both ``RUN --mount=... ["/bin/sh", "-c", "x"]`` (a step) and ``RUN /bin/sh -c x # buildkit``
    (its history line) become ``RUN x``; ``COPY --from=build --chown=1 a b`` becomes ``COPY a b``.
    """
    t = (text or "").strip()
    t = re.sub(r"\s+# buildkit$", "", t)
    t = re.sub(r"^/bin/sh -c #\(nop\)\s+", "", t)
    t = re.sub(r"^/bin/sh -c ", "RUN ", t)
    t = re.sub(r"^RUN \|\d+ (?:\S+=\S* )*", "RUN ", t)  # build args prefix of history lines
    m = re.match(r"^(RUN|COPY|ADD)((?:\s+--[a-z-]+(?:=\S+)?)+)\s+(.*)$", t, re.S)
    if m:
        t = f"{m.group(1)} {m.group(3)}"
    m = re.match(r"^(RUN|CMD|ENTRYPOINT)\s+(\[.*\])$", t, re.S)
    if m:
        try:
            words = json.loads(m.group(2))
            if isinstance(words, list) and all(isinstance(w, str) for w in words):
                t = f"{m.group(1)} " + " ".join(words)
        except ValueError:
            pass
    t = re.sub(r"^RUN /bin/sh -c ", "RUN ", t)
    return _WS.sub(" ", t).strip()


def _from_stage(instruction: str) -> str | None:
    m = re.search(r"--from=(\S+)", instruction or "")
    return m.group(1) if m else None


def attribute(instructions: Sequence[str], steps: Sequence[tuple[str, str]]) -> tuple[list[Any], list[Any]]:
    """(stage, from_stage) of each layer (by its history instruction), from BuildKit steps
    ``(stage, instruction)`` in build order; see ``attribute_layers``."""
    stages: list[Any] = [None] * len(instructions)
    from_stages: list[Any] = [None] * len(instructions)
    if not steps or not instructions:
        return stages, from_stages
    # Stages build in parallel, so the order interleaves them: match the final stage's steps
    # first (the last step belongs to it), then the stages it was built FROM, top down.
    final_stage = steps[-1][0]
    all_steps = [(normalise_instruction(str(i)), s, str(i)) for s, i in steps]
    in_final = [s == final_stage for s, _ in steps]
    instr = [normalise_instruction(str(x)) for x in instructions]
    first_matched = None
    top = len(instructions) - 1
    for candidates in ([st for st, f in zip(all_steps, in_final) if f],
                       [st for st, f in zip(all_steps, in_final) if not f]):
        j = len(candidates) - 1
        for i in range(top, -1, -1):
            if stages[i] is not None:
                continue
            k = j
            while k >= 0 and candidates[k][0] != instr[i]:
                k -= 1
            if k < 0:
                if first_matched is not None and i < first_matched:
                    break  # below the stage's first layer: leave for the next pass
                continue
            stages[i] = candidates[k][1]
            from_stages[i] = _from_stage(candidates[k][2])  # COPY --from: where its bytes were made
            j = k - 1
            first_matched = i if first_matched is None else min(first_matched, i)
        if first_matched is not None:
            top = first_matched - 1
    if first_matched is not None:
        for i in range(first_matched):
            if stages[i] is None:
                stages[i] = "base"
    return stages, from_stages


def ordered_steps(steps: pd.DataFrame | None) -> list[tuple[str, str]]:
    """``(stage, instruction)`` of BuildKit step records in build order (``order`` column)."""
    if steps is None or not len(steps):
        return []
    missing = {"stage", "instruction", "order"} - set(steps.columns)
    if missing:
        raise AnalysisError(f"steps lack columns {sorted(missing)}",
                            hint="pass BuildResult.dockerfile_steps or a frame with stage, instruction, order")
    ordered = steps.sort_values("order")
    return list(zip(ordered["stage"].tolist(), ordered["instruction"].tolist()))


def attribute_layers(layers: pd.DataFrame, steps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each row is one filesystem layer with the instruction and build stage that made it.

    ``layers``: ``ImageContents.layers``. ``steps`` (optional, e.g. ``BuildResult.dockerfile_steps``)
    needs columns ``stage``, ``instruction``, ``order``; layers are matched to steps in order by
    normalised instruction text (``normalise_instruction``). Unmatched layers below the first
    matched one belong to the base image (stage ``base``); others get stage ``None``.
    ``from_stage``: the stage a ``COPY --from=`` step copied from (where its bytes were made).
    """
    import pandas as pd

    out = layers[["layer", "instruction"]].copy() if len(layers) else pd.DataFrame(columns=["layer", "instruction"])
    stages, from_stages = attribute(out["instruction"].tolist(), ordered_steps(steps) if len(out) else [])
    # object columns: "no stage" stays None (a str column would turn it into NaN)
    out["stage"] = pd.Series(stages, index=out.index, dtype=object)
    out["from_stage"] = pd.Series(from_stages, index=out.index, dtype=object)
    return out.reset_index(drop=True)


# --- waste per layer -----------------------------------------------------------------------


_WASTE_COLUMNS = ["layer", "instruction", "stage", "from_stage", "reclaimable_bytes", "reclaimable_files",
                  "hides_bytes", "dive_wasted_bytes"]


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


def layer_waste(table: FileTable, instructions: Sequence[str], hidden: Iterable[tuple[int, int, int, int]],
                dive_paths: Iterable[str], stages: Sequence[Any] | None = None,
                from_stages: Sequence[Any] | None = None) -> list[LayerWaste]:
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
    return [LayerWaste(i, instructions[i], stages[i], from_stages[i], written[i], files_written[i], hides[i],
                       dive_share[i]) for i in range(n)]


def waste_by_layer(files: Any, layers: pd.DataFrame, steps: pd.DataFrame | None = None,
                   *, dive: Any = None, hidden: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each row is one filesystem layer and the waste it caused.

    ``reclaimable_bytes`` / ``reclaimable_files``: bytes this layer wrote that the final image
    hides (the instruction that should not have written them, or should have cleaned up in the
    same step); ``hides_bytes``: bytes of lower layers this layer hides (e.g. a later ``rm``);
    ``dive_wasted_bytes``: this layer's share of dive's wasted bytes (its nodes' sizes on
    paths dive counts as inefficient). ``hidden``: ``hidden_entries(files)`` when the caller
    has it already (``ImageContents.hidden``, recorded while reading).
    """
    import pandas as pd

    from .dive_compat.metrics import dive_metrics
    from .image.table import KINDS

    table = as_table(files)
    hidden = hidden if hidden is not None else hidden_entries(table)
    kind_code = {k: i for i, k in enumerate(KINDS)}
    hidden_tuples = zip(hidden["layer"].tolist(), [kind_code[str(k)] for k in hidden["kind"]],
                        hidden["size_bytes"].tolist(), hidden["hidden_by_layer"].tolist())
    attributed = attribute_layers(layers, steps)
    dive = dive if dive is not None else dive_metrics(table, layers["size_bytes"].tolist() if len(layers) else None)
    rows = layer_waste(table, attributed["instruction"].tolist(), hidden_tuples, (r[0] for r in dive.references),
                       attributed["stage"].tolist(), attributed["from_stage"].tolist())
    out = pd.DataFrame(rows, columns=_WASTE_COLUMNS)
    out["layer"] = attributed["layer"].to_numpy()
    for c in ("stage", "from_stage"):
        out[c] = pd.Series(attributed[c].tolist(), dtype=object)
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
