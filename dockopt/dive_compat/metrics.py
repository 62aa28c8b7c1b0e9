"""dive 0.13's image figures - efficiency, wasted bytes, user-wasted percent, inefficient files -
computed the way dive computes them, including what dive gets wrong, so they equal ``dive --json``.

Reproduced from dive's ``filetree.Efficiency`` and ``image.Analyze``: only *leaf* nodes of each
layer's tree are visited; a whiteout counts 0 bytes unless it deletes a directory (then the
whole subtree's size below it, looked up in the layers stacked so far); opaque directories are
ignored; every path seen more than once counts *all* its copies as wasted (dive issue #684) -
``dockopt.analysis.reclaimable_bytes`` is the corrected figure.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..image.overlay import Overlay
from ..image.table import DIR, WHITEOUT, FileTable, as_table
from ._gosort import go_sort

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_WH = ".wh."
Node = tuple[int, bool]  # dive's node payload: (size, isDir)


@dataclass(frozen=True)
class DiveMetrics:
    """dive's image-level figures (``dive --json`` → ``image``), computed the way dive computes them.

    ``references``: each path seen in two or more layers (dive's ``fileReference``) as
    ``(path, count, size_bytes)``, in dive's order; ``inefficient`` is the same as a DataFrame.
    """

    size_bytes: int
    user_size_bytes: int
    wasted_bytes: int
    efficiency: float
    user_wasted_percent: float
    layer_sizes_bytes: tuple[int, ...]
    references: tuple[tuple[str, int, int], ...] = field(repr=False, compare=False, default=())

    @functools.cached_property
    def inefficient(self) -> pd.DataFrame:
        """Each row is one path seen in two or more layers (dive's ``fileReference``): ``path``,
        ``count`` (tree nodes), ``size_bytes`` (dive's cumulative size), in dive's order."""
        import pandas as pd

        return pd.DataFrame({"path": pd.array([r[0] for r in self.references], dtype="str"),
                             "count": [r[1] for r in self.references],
                             "size_bytes": [r[2] for r in self.references]},
                            columns=["path", "count", "size_bytes"])


def _unwhiteout(path: str) -> str:
    head, _, tail = path.rpartition("/")
    return f"{head}/{tail[len(_WH):]}"


def dive_layers(table: FileTable, n_layers: int) -> list[dict[str, Node]]:
    """Per layer, dive's explicit tree entries: path as dive names the node -> (size, isDir).

    A whiteout is named ``.wh.<name>`` as in the tar; a later entry for the same path wins.
    """
    out: list[dict[str, Node]] = []
    for li in range(n_layers):
        if li >= table.n_layers:
            out.append({})
            continue
        a, b = table.bounds[li], table.bounds[li + 1]
        paths = table.path[a:b]
        kinds = table.kind[a:b]
        if WHITEOUT in kinds:
            for i, k in enumerate(kinds):
                if k == WHITEOUT:
                    head, _, tail = paths[i].rpartition("/")
                    paths[i] = f"{head}/{_WH}{tail}"
        out.append(dict(zip(paths, zip(table.size[a:b], [k == DIR for k in kinds]))))
    return out


def _ancestors(paths: Any) -> set[str]:
    """Every proper ancestor directory of ``paths`` (without ``/``)."""
    parents = {p[:p.rfind("/")] for p in paths}
    for p in list(parents):
        p = p[:p.rfind("/")]
        while p and p not in parents:
            parents.add(p)
            p = p[:p.rfind("/")]
    parents.discard("")
    return parents


def _tree_nodes(explicit: dict[str, Node], parents: set[str]) -> dict[str, Node]:
    """All nodes of one layer's dive tree: explicit entries plus implicit (empty) ancestors."""
    nodes = dict(explicit)
    for p in parents:
        if p not in nodes:
            nodes[p] = (0, False)
    return nodes


def _stack_tree(merged: Overlay[Node], nodes: dict[str, Node]) -> None:
    """dive's ``StackTreeRange`` step: a tree's whiteouts delete, then its nodes are set."""
    for path in nodes:
        if path[path.rfind("/") + 1:].startswith(_WH):
            merged.remove(_unwhiteout(path))
    for path, info in nodes.items():
        if not path[path.rfind("/") + 1:].startswith(_WH):
            merged.put(path, info)


def dive_metrics(files: Any, layer_sizes_bytes: Sequence[int] | None = None) -> DiveMetrics:
    """dive 0.13's efficiency score, wasted bytes and user-wasted percent for one image.

    ``files``: ``dockopt.image.files`` output (or the ``FileTable`` / ``ImageContents`` it comes
    from). ``layer_sizes_bytes``: each layer's tar-entry size sum (``ImageContents.layers.size_bytes``);
    derived from ``files`` when omitted (equal unless a layer is empty at the end of the stack).
    """
    table = as_table(files)
    n_layers = table.n_layers
    if layer_sizes_bytes is not None:
        n_layers = max(n_layers, len(layer_sizes_bytes))
        sizes = [int(s) for s in layer_sizes_bytes]
    else:
        sizes = [sum(table.size[table.bounds[i]:table.bounds[i + 1]]) for i in range(n_layers)]
    layers = dive_layers(table, n_layers)
    has_whiteout = [any("/.wh." in p for p in entries) for entries in layers]

    cumulative: dict[str, int] = {}
    minimum: dict[str, int] = {}
    count: dict[str, int] = {}
    second_seen: dict[str, tuple[int, str]] = {}  # path -> (layer, sort key) of its second node
    merged: Overlay[Node] | None = None
    last_needed = max((i for i, w in enumerate(has_whiteout) if w), default=-1)
    tree0: dict[str, Node] | None = None
    prev_nodes: dict[str, Node] = {}

    for idx, explicit in enumerate(layers):
        parents = _ancestors(explicit)
        # Implicit nodes are never leaves; they matter only to the stacked tree of whiteout lookups.
        nodes = _tree_nodes(explicit, parents) if idx <= last_needed else explicit
        if idx == 0:
            tree0 = nodes
        if last_needed >= 0 and idx <= last_needed:
            # StackTreeRange(trees, 0, idx-1) starts from a copy of tree 0 and stacks trees 0..idx-1.
            if merged is None:
                merged = Overlay(implicit=(0, False))  # dive creates missing parents with an empty payload
                _stack_tree(merged, tree0 or {})
            if idx == 1:
                _stack_tree(merged, tree0 or {})
            elif idx > 1:
                _stack_tree(merged, prev_nodes)
        prev_nodes = nodes
        leaves = [p for p in explicit if p not in parents]
        if has_whiteout[idx]:
            # Only here does the visiting order matter (dive stops the layer at a failed lookup).
            leaves.sort(key=lambda p: p.replace("/", "\0"))  # component-wise name order
        for path in leaves:
            size = nodes[path][0]
            key = path
            if path[path.rfind("/") + 1:].startswith(_WH):
                key = _unwhiteout(path)
                if key not in count:
                    count[key] = 0
                    cumulative[key] = 0
                    minimum[key] = -1
                assert merged is not None
                if key not in merged:
                    break  # dive's visitor returns an error here, which ends this layer's visit
                size = sum(v[0] for v in merged.subtree(key)) if merged.entries[key][1] else 0
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
    user_pct = (math.nan if wasted == 0 else math.inf) if user == 0 else wasted / user
    # dive sorts ascending with Go's (unstable) sort.Sort and exports in reverse.
    go_sort(order, lambda p, q: cumulative[p] < cumulative[q])
    references = tuple((p, count[p], cumulative[p]) for p in reversed(order))
    return DiveMetrics(size_bytes=total, user_size_bytes=user, wasted_bytes=wasted, efficiency=score,
                       user_wasted_percent=user_pct, layer_sizes_bytes=tuple(sizes), references=references)
