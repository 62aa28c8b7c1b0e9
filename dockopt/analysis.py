"""Where an image's bytes go: dive-exact efficiency and waste, reclaimable bytes, attribution.

Pure functions over the DataFrames of ``dockopt.image`` (``files``: one row per entry per layer;
``layers``: one row per filesystem layer). ``dive_metrics`` reproduces dive 0.13's
``filetree.Efficiency`` and ``image.Analyze`` exactly - including what dive gets wrong - so the
numbers equal ``dive --json``; ``reclaimable`` is the corrected figure (every hidden copy, none
of the kept ones; opaque directories and copied-up hardlink targets counted).
"""

from __future__ import annotations

import json
import math
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .errors import AnalysisError

_KIND_DIR = "dir"


# --- dive's efficiency ---------------------------------------------------------------------


@dataclass(frozen=True)
class DiveMetrics:
    """dive's image-level figures (``dive --json`` → ``image``), computed the way dive computes them.

    ``inefficient``: each row is one path seen in two or more layers (dive's ``fileReference``),
    ``path``, ``count`` (tree nodes), ``size_bytes`` (dive's cumulative size), in dive's order.
    """

    size_bytes: int
    user_size_bytes: int
    wasted_bytes: int
    efficiency: float
    user_wasted_percent: float
    layer_sizes_bytes: tuple[int, ...]
    inefficient: pd.DataFrame = field(repr=False, compare=False)


def _dive_layers(files: pd.DataFrame, n_layers: int) -> list[dict[str, tuple[int, bool]]]:
    """Per layer, dive's explicit tree entries: path as dive names the node -> (size, isDir).

    A whiteout is named ``.wh.<name>`` as in the tar; a later entry for the same path wins.
    """
    import numpy as np

    from .image import KINDS

    codes = files["kind"].cat.codes.to_numpy() if isinstance(files["kind"].dtype, pd.CategoricalDtype) else \
        pd.Categorical(files["kind"].astype(str), categories=list(KINDS)).codes
    paths = files["path"].tolist()
    for i in np.flatnonzero(codes == KINDS.index("whiteout")).tolist():
        head, _, tail = paths[i].rpartition("/")
        paths[i] = f"{head}/.wh.{tail}"
    sizes = files["size_bytes"].tolist()
    is_dir = (codes == KINDS.index("dir")).tolist()
    layer = files["layer"].to_numpy()
    out: list[dict[str, tuple[int, bool]]] = []
    if len(layer) and not (np.diff(layer) >= 0).all():
        order = np.argsort(layer, kind="stable").tolist()
        paths, sizes, is_dir = [paths[i] for i in order], [sizes[i] for i in order], [is_dir[i] for i in order]
        layer = layer[order]
    bounds = np.searchsorted(layer, np.arange(n_layers + 1)).tolist()
    for li in range(n_layers):
        a, b = bounds[li], bounds[li + 1]
        out.append(dict(zip(paths[a:b], zip(sizes[a:b], is_dir[a:b]))))
    return out


def _ancestors(paths: Iterable[str]) -> set[str]:
    """Every proper ancestor directory of ``paths`` (without ``/``)."""
    parents = {p.rpartition("/")[0] for p in paths}
    for p in list(parents):
        p = p.rpartition("/")[0]
        while p and p not in parents:
            parents.add(p)
            p = p.rpartition("/")[0]
    parents.discard("")
    return parents


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


class _Stacked:
    """dive's ``StackTreeRange`` result, kept incrementally: path -> (size, isDir), with children."""

    def __init__(self) -> None:
        self.info: dict[str, tuple[int, bool]] = {}
        self.children: dict[str, set[str]] = {}

    def _link(self, path: str) -> None:
        while path != "/":
            parent = _parent(path)
            kids = self.children.setdefault(parent, set())
            if path in kids:
                return
            kids.add(path)
            if parent not in self.info and parent != "/":
                self.info[parent] = (0, False)  # an intermediate node dive creates with an empty payload
            path = parent

    def remove(self, path: str) -> bool:
        if path not in self.info:
            return False
        stack = [path]
        while stack:
            p = stack.pop()
            self.info.pop(p, None)
            stack.extend(self.children.pop(p, ()))
        kids = self.children.get(_parent(path))
        if kids is not None:
            kids.discard(path)
        return True

    def stack(self, nodes: dict[str, tuple[int, bool]]) -> None:
        for path in nodes:
            if posixpath.basename(path).startswith(".wh."):
                self.remove(_unwhiteout(path))
        for path, info in nodes.items():
            if not posixpath.basename(path).startswith(".wh."):
                self.info[path] = info
                self._link(path)

    def subtree_size(self, path: str) -> int:
        total = 0
        stack = [path]
        while stack:
            p = stack.pop()
            total += self.info.get(p, (0, False))[0]
            stack.extend(self.children.get(p, ()))
        return total


def _unwhiteout(path: str) -> str:
    head, tail = posixpath.split(path)
    return posixpath.join(head, tail[len(".wh."):])


def _tree_nodes(explicit: dict[str, tuple[int, bool]], parents: set[str]) -> dict[str, tuple[int, bool]]:
    """All nodes of one layer's dive tree: explicit entries plus implicit (empty) ancestors."""
    nodes = dict(explicit)
    for p in parents:
        if p not in nodes:
            nodes[p] = (0, False)
    return nodes


def dive_metrics(files: pd.DataFrame, layer_sizes_bytes: Sequence[int] | None = None) -> DiveMetrics:
    """dive 0.13's efficiency score, wasted bytes and user-wasted percent for one image.

    ``files``: ``dockopt.image.files`` output. ``layer_sizes_bytes``: each layer's tar-entry
    size sum (``ImageContents.layers.size_bytes``); derived from ``files`` when omitted (equal
    unless a layer is empty at the end of the stack).

    Reproduced from dive's ``filetree.Efficiency``: only *leaf* nodes of each layer's tree are
    visited; a whiteout counts 0 bytes unless it deletes a directory (then the whole subtree's
    size below it); opaque directories are ignored; every path seen more than once counts *all*
    its copies as wasted (dive issue #684) - see ``reclaimable`` for the corrected figure.
    """
    n_layers = int(files["layer"].max()) + 1 if len(files) else 0
    if layer_sizes_bytes is not None:
        n_layers = max(n_layers, len(layer_sizes_bytes))
        sizes = [int(s) for s in layer_sizes_bytes]
    else:
        per = files.groupby("layer")["size_bytes"].sum() if len(files) else pd.Series(dtype="int64")
        sizes = [int(per.get(i, 0)) for i in range(n_layers)]
    layers = _dive_layers(files, n_layers)
    has_whiteout = [any("/.wh." in p for p in entries) for entries in layers]

    cumulative: dict[str, int] = {}
    minimum: dict[str, int] = {}
    count: dict[str, int] = {}
    second_seen: dict[str, tuple[int, str]] = {}  # path -> (layer, sort key) of its second node
    stacked: _Stacked | None = None
    last_needed = max((i for i, w in enumerate(has_whiteout) if w), default=-1)
    tree0: dict[str, tuple[int, bool]] | None = None
    prev_nodes: dict[str, tuple[int, bool]] = {}

    for idx, explicit in enumerate(layers):
        parents = _ancestors(explicit)
        # Implicit nodes are never leaves; they matter only to the stacked tree of whiteout lookups.
        nodes = _tree_nodes(explicit, parents) if idx <= last_needed else explicit
        if idx == 0:
            tree0 = nodes
        if last_needed >= 0 and idx <= last_needed:
            # StackTreeRange(trees, 0, idx-1) starts from a copy of tree 0 and stacks trees 0..idx-1.
            if stacked is None:
                stacked = _Stacked()
                stacked.stack(tree0 or {})
            if idx == 1:
                stacked.stack(tree0 or {})
            elif idx > 1:
                stacked.stack(prev_nodes)
        prev_nodes = nodes
        leaves = [p for p in explicit if p not in parents]
        if has_whiteout[idx]:
            # Only here does the visiting order matter (dive stops the layer at a failed lookup).
            leaves.sort(key=lambda p: p.replace("/", "\0"))  # component-wise name order
        for path in leaves:
            size, _ = nodes[path]
            key = path
            if path.rpartition("/")[2].startswith(".wh."):
                key = _unwhiteout(path)
                if key not in count:
                    count[key] = 0
                    cumulative[key] = 0
                    minimum[key] = -1
                assert stacked is not None
                if key not in stacked.info:
                    break  # dive's visitor returns an error here, which ends this layer's visit
                before_size, before_dir = stacked.info[key]
                size = stacked.subtree_size(key) if before_dir else 0
            elif key not in count:
                count[key] = 0
                cumulative[key] = 0
                minimum[key] = -1
            cumulative[key] += size
            if minimum[key] < 0 or size < minimum[key]:
                minimum[key] = size
            count[key] += 1
            if count[key] == 2:
                # Visiting order: layer, then the node's own name (a whiteout sorts as ".wh.<name>").
                second_seen[key] = (idx, path.replace("/", "\0"))
    # dive appends a path when its second node is visited: layer by layer, in sorted name order.
    order = sorted(second_seen, key=second_seen.__getitem__)

    minimum_total = sum(minimum.values())
    discovered_total = sum(cumulative.values())
    score = 1.0 if discovered_total == 0 else minimum_total / discovered_total
    wasted = sum(cumulative[p] for p in order)
    total = sum(sizes)
    user = sum(sizes[1:])
    if user == 0:
        user_pct = math.nan if wasted == 0 else math.inf
    else:
        user_pct = wasted / user
    # dive sorts ascending with Go's (unstable) sort.Sort and exports in reverse.
    go_sort(order, lambda p, q: cumulative[p] < cumulative[q])
    ranked = order[::-1]
    inefficient = pd.DataFrame({"path": pd.array(ranked, dtype="str"),
                                "count": [count[p] for p in ranked],
                                "size_bytes": [cumulative[p] for p in ranked]},
                               columns=["path", "count", "size_bytes"])
    return DiveMetrics(size_bytes=total, user_size_bytes=user, wasted_bytes=wasted, efficiency=score,
                       user_wasted_percent=user_pct, layer_sizes_bytes=tuple(sizes), inefficient=inefficient)


# --- reclaimable bytes (the corrected figure) ------------------------------------------------


_HIDDEN_COLUMNS = ["layer", "path", "kind", "size_bytes", "hidden_by_layer", "reason"]


def hidden_entries(files: pd.DataFrame) -> pd.DataFrame:
    """Each row is one entry an image ships but its final filesystem does not show.

    Columns: ``layer`` (that wrote it), ``path``, ``kind``, ``size_bytes``, ``hidden_by_layer``
    and ``reason``: ``overwritten`` (a later layer wrote the same path), ``deleted`` (a whiteout
    of it or of a parent directory), ``replaced_dir`` (an opaque directory above it). Hardlinks
    carry 0 bytes (the data is counted once, at the entry that holds it), so a lower file copied
    up by ``ln`` shows here as an overwritten copy.
    """
    provider: dict[str, int] = {}
    children: dict[str, set[str]] = {}
    hidden: dict[int, tuple[int, str]] = {}
    layer = files["layer"].tolist()
    path = files["path"].tolist()
    kind = files["kind"].astype(str).tolist()
    change = files["change"].astype(str).tolist()

    def link(p: str) -> None:
        while p != "/":
            parent = _parent(p)
            kids = children.setdefault(parent, set())
            if p in kids:
                return
            kids.add(p)
            p = parent

    def drop(p: str, by: int, reason: str, include_self: bool = True) -> None:
        stack = [p] if include_self else list(children.get(p, ()))
        if not include_self:
            children[p] = set()
        while stack:
            q = stack.pop()
            row = provider.pop(q, None)
            if row is not None and row not in hidden:
                hidden[row] = (by, reason)
            stack.extend(children.pop(q, ()))
        if include_self:
            kids = children.get(_parent(p))
            if kids is not None:
                kids.discard(p)

    n = len(layer)
    start = 0
    while start < n:
        li = layer[start]
        end = start
        while end < n and layer[end] == li:
            end += 1
        for i in range(start, end):  # removals act on the layers below first
            if kind[i] == "whiteout":
                drop(path[i], li, "deleted")
            elif change[i] == "opaque":
                drop(path[i], li, "replaced_dir", include_self=False)
        for i in range(start, end):
            if kind[i] == "whiteout":
                continue
            old = provider.get(path[i])
            if old is not None and old not in hidden:
                hidden[old] = (li, "overwritten")
            provider[path[i]] = i
            link(path[i])
        start = end
    rows = sorted(hidden)
    sub = files.iloc[rows][["layer", "path", "kind", "size_bytes"]].reset_index(drop=True)
    sub["hidden_by_layer"] = [hidden[r][0] for r in rows]
    sub["reason"] = [hidden[r][1] for r in rows]
    return sub[_HIDDEN_COLUMNS]


def reclaimable_bytes(files: pd.DataFrame) -> int:
    """Bytes the image ships that its final filesystem does not show (all copies but the kept one)."""
    shipped = int(files.loc[files["kind"] != "whiteout", "size_bytes"].sum())
    kept = int(files.loc[files["visible"], "size_bytes"].sum())
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


def attribute_layers(layers: pd.DataFrame, steps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each row is one filesystem layer with the instruction and build stage that made it.

    ``layers``: ``ImageContents.layers``. ``steps`` (optional, e.g. ``BuildResult.dockerfile_steps``)
    needs columns ``stage``, ``instruction``, ``order``; layers are matched to steps in order by
    normalised instruction text (``normalise_instruction``). Unmatched layers below the first
    matched one belong to the base image (stage ``base``); others get stage ``None``.
    ``from_stage``: the stage a ``COPY --from=`` step copied from (where its bytes were made).
    """
    out = layers[["layer", "instruction"]].copy() if len(layers) else pd.DataFrame(columns=["layer", "instruction"])
    out["stage"] = None
    out["from_stage"] = None
    if steps is not None and len(steps) and len(out):
        missing = {"stage", "instruction", "order"} - set(steps.columns)
        if missing:
            raise AnalysisError(f"steps lack columns {sorted(missing)}",
                                hint="pass BuildResult.dockerfile_steps or a frame with stage, instruction, order")
        ordered = steps.sort_values("order")
        # Stages build in parallel, so "order" interleaves them: match the final stage's steps
        # first (the last step belongs to it), then the stages it was built FROM, top down.
        final_stage = ordered["stage"].iloc[-1]
        in_final = (ordered["stage"] == final_stage).tolist()
        all_steps = [(normalise_instruction(str(i)), s, str(i))
                     for i, s in zip(ordered["instruction"], ordered["stage"])]
        stages: list[Any] = [None] * len(out)
        from_stages: list[Any] = [None] * len(out)
        instr = [normalise_instruction(str(x)) for x in out["instruction"]]
        first_matched = None
        top = len(out) - 1
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
        # object columns: "no stage" stays None (a str column would turn it into NaN)
        out["stage"] = pd.Series(stages, index=out.index, dtype=object)
        out["from_stage"] = pd.Series(from_stages, index=out.index, dtype=object)
    return out.reset_index(drop=True)


_WASTE_COLUMNS = ["layer", "instruction", "stage", "from_stage", "reclaimable_bytes", "reclaimable_files",
                  "hides_bytes", "dive_wasted_bytes"]


def waste_by_layer(files: pd.DataFrame, layers: pd.DataFrame, steps: pd.DataFrame | None = None,
                   *, dive: DiveMetrics | None = None, hidden: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each row is one filesystem layer and the waste it caused.

    ``reclaimable_bytes`` / ``reclaimable_files``: bytes this layer wrote that the final image
    hides (the instruction that should not have written them, or should have cleaned up in the
    same step); ``hides_bytes``: bytes of lower layers this layer hides (e.g. a later ``rm``);
    ``dive_wasted_bytes``: this layer's share of dive's wasted bytes (its nodes' sizes on
    paths dive counts as inefficient). ``hidden``: ``hidden_entries(files)`` when the caller
    has it already (``ImageContents.hidden``, recorded while reading).
    """
    hidden = hidden if hidden is not None else hidden_entries(files)
    attributed = attribute_layers(layers, steps)
    by_writer = hidden.assign(is_file=hidden["kind"].astype(str) != _KIND_DIR).groupby("layer").agg(
        reclaimable_bytes=("size_bytes", "sum"), reclaimable_files=("is_file", "sum"))
    by_hider = hidden.groupby("hidden_by_layer")["size_bytes"].sum()
    out = attributed.copy()
    out["reclaimable_bytes"] = [int(by_writer["reclaimable_bytes"].get(i, 0)) for i in out["layer"]]
    out["reclaimable_files"] = [int(by_writer["reclaimable_files"].get(i, 0)) for i in out["layer"]]
    out["hides_bytes"] = [int(by_hider.get(i, 0)) for i in out["layer"]]
    dive = dive if dive is not None else dive_metrics(files, layers["size_bytes"].tolist() if len(layers) else None)
    paths = set(dive.inefficient["path"].tolist())
    share = files[files["path"].isin(paths) & (files["kind"] != "whiteout")].groupby("layer")["size_bytes"].sum()
    out["dive_wasted_bytes"] = [int(share.get(i, 0)) for i in out["layer"]]
    return out[_WASTE_COLUMNS]


# --- where the bytes are -------------------------------------------------------------------


def final_files(files: pd.DataFrame) -> pd.DataFrame:
    """Each row is one entry of the final merged filesystem (what a container sees)."""
    return files[files["visible"]].reset_index(drop=True)


def largest_files(files: pd.DataFrame, n: int = 20, *, include_hidden: bool = False) -> pd.DataFrame:
    """Each row is one of the ``n`` largest regular files (final filesystem unless ``include_hidden``)."""
    rows = files if include_hidden else files[files["visible"]]
    rows = rows[rows["kind"] == "file"]
    return rows.sort_values(["size_bytes", "path"], ascending=[False, True]).head(n)[
        ["path", "size_bytes", "layer", "visible"]].reset_index(drop=True)


def size_by_directory(files: pd.DataFrame, *, max_depth: int | None = None) -> pd.DataFrame:
    """Each row is one directory of the final filesystem with the bytes of all files below it.

    Treemap-ready: ``path``, ``parent`` (``""`` for ``/``), ``size_bytes``, ``files`` (regular
    files below), ``depth``. ``max_depth`` stops at that many levels below ``/``.
    """
    visible = files[files["visible"] & (files["kind"] != "dir")]
    size: dict[str, int] = {"/": 0}
    count: dict[str, int] = {"/": 0}
    for path, s, k in zip(visible["path"].tolist(), visible["size_bytes"].tolist(), visible["kind"].astype(str).tolist()):
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
    if isinstance(x, pd.DataFrame):
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


# --- Go's sort.Sort (pdqsort), so ties come out in dive's order ------------------------------


def go_sort(data: list[Any], less: Callable[[Any, Any], bool]) -> None:
    """Sort ``data`` in place exactly as Go's ``sort.Sort`` (pattern-defeating quicksort) does.

    Go's sort is not stable: equal elements end in an order that depends on the algorithm, and
    dive's ``fileReference`` list shows it. Porting the algorithm reproduces that order.
    """
    n = len(data)
    if n <= 1:
        return

    def lt(i: int, j: int) -> bool:
        return less(data[i], data[j])

    def swap(i: int, j: int) -> None:
        data[i], data[j] = data[j], data[i]

    def insertion_sort(a: int, b: int) -> None:
        for i in range(a + 1, b):
            j = i
            while j > a and lt(j, j - 1):
                swap(j, j - 1)
                j -= 1

    def sift_down(lo: int, hi: int, first: int) -> None:
        root = lo
        while True:
            child = 2 * root + 1
            if child >= hi:
                return
            if child + 1 < hi and lt(first + child, first + child + 1):
                child += 1
            if not lt(first + root, first + child):
                return
            swap(first + root, first + child)
            root = child

    def heap_sort(a: int, b: int) -> None:
        first, lo, hi = a, 0, b - a
        for i in range((hi - 1) // 2, -1, -1):
            sift_down(i, hi, first)
        for i in range(hi - 1, -1, -1):
            swap(first, first + i)
            sift_down(lo, i, first)

    def order2(a: int, b: int, swaps: list[int]) -> tuple[int, int]:
        if lt(b, a):
            swaps[0] += 1
            return b, a
        return a, b

    def median(a: int, b: int, c: int, swaps: list[int]) -> int:
        a, b = order2(a, b, swaps)
        b, c = order2(b, c, swaps)
        a, b = order2(a, b, swaps)
        return b

    def choose_pivot(a: int, b: int) -> tuple[int, int]:
        length = b - a
        swaps = [0]
        i, j, k = a + length // 4 * 1, a + length // 4 * 2, a + length // 4 * 3
        if length >= 8:
            if length >= 50:
                i = median(i - 1, i, i + 1, swaps)
                j = median(j - 1, j, j + 1, swaps)
                k = median(k - 1, k, k + 1, swaps)
            j = median(i, j, k, swaps)
        if swaps[0] == 0:
            return j, 1  # increasing
        if swaps[0] == 12:
            return j, 2  # decreasing
        return j, 0

    def reverse_range(a: int, b: int) -> None:
        i, j = a, b - 1
        while i < j:
            swap(i, j)
            i += 1
            j -= 1

    def partial_insertion_sort(a: int, b: int) -> bool:
        i = a + 1
        for _ in range(5):
            while i < b and not lt(i, i - 1):
                i += 1
            if i == b:
                return True
            if b - a < 50:
                return False
            swap(i, i - 1)
            if i - a >= 2:
                j = i - 1
                while j >= 1:  # sic: Go's loop runs down to 1, not to a + 1
                    if not lt(j, j - 1):
                        break
                    swap(j, j - 1)
                    j -= 1
            if b - i >= 2:
                j = i + 1
                while j < b:
                    if not lt(j, j - 1):
                        break
                    swap(j, j - 1)
                    j += 1
        return False

    def break_patterns(a: int, b: int) -> None:
        length = b - a
        if length >= 8:
            state = length
            modulus = 1 << length.bit_length()
            idx = a + (length // 4) * 2 - 1
            for i in range(3):
                state ^= (state << 13) & 0xFFFFFFFFFFFFFFFF
                state ^= state >> 17
                state ^= (state << 5) & 0xFFFFFFFFFFFFFFFF
                other = state & (modulus - 1)
                if other >= length:
                    other -= length
                swap(idx + i, a + other)

    def partition_equal(a: int, b: int, pivot: int) -> int:
        swap(a, pivot)
        i, j = a + 1, b - 1
        while True:
            while i <= j and not lt(a, i):
                i += 1
            while i <= j and lt(a, j):
                j -= 1
            if i > j:
                break
            swap(i, j)
            i += 1
            j -= 1
        return i

    def partition(a: int, b: int, pivot: int) -> tuple[int, bool]:
        swap(a, pivot)
        i, j = a + 1, b - 1
        while i <= j and lt(i, a):
            i += 1
        while i <= j and not lt(j, a):
            j -= 1
        if i > j:
            swap(j, a)
            return j, True
        swap(i, j)
        i += 1
        j -= 1
        while True:
            while i <= j and lt(i, a):
                i += 1
            while i <= j and not lt(j, a):
                j -= 1
            if i > j:
                break
            swap(i, j)
            i += 1
            j -= 1
        swap(j, a)
        return j, False

    def pdqsort(a: int, b: int, limit: int) -> None:
        was_balanced, was_partitioned = True, True
        while True:
            length = b - a
            if length <= 12:
                insertion_sort(a, b)
                return
            if limit == 0:
                heap_sort(a, b)
                return
            if not was_balanced:
                break_patterns(a, b)
                limit -= 1
            pivot, hint = choose_pivot(a, b)
            if hint == 2:
                reverse_range(a, b)
                pivot = (b - 1) - (pivot - a)
                hint = 1
            if was_balanced and was_partitioned and hint == 1:
                if partial_insertion_sort(a, b):
                    return
            if a > 0 and not lt(a - 1, pivot):
                a = partition_equal(a, b, pivot)
                continue
            mid, already = partition(a, b, pivot)
            was_partitioned = already
            left, right = mid - a, b - mid
            threshold = length // 8
            if left < right:
                was_balanced = left >= threshold
                pdqsort(a, mid, limit)
                a = mid + 1
            else:
                was_balanced = right >= threshold
                pdqsort(mid + 1, b, limit)
                b = mid

    pdqsort(0, n, n.bit_length())
