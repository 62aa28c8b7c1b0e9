"""What the image explorer shows, computed in plain Python from one read of an image.

No widgets here: ``ExplorerModel`` answers "the layers", "this layer's tree, filtered, with these
folders open" and "the diff against another image" as lists of rows, so the widgets only draw and
the unit tests need no browser. Every answer is bounded (``MAX_ROWS``, ``MAX_CHILDREN``): a tree
is expanded lazily, folder by folder, and never hands more than a few hundred rows to a view.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from ..image.overlay import DELETED_BELOW, parent_of, shown_at
from ..image.table import ADDED, CHANGES, DIR, HARDLINK, KINDS, MODIFIED, SYMLINK, WHITEOUT, FileTable
from ..secrets import redact_text

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..analysis_report import AnalysisReport
    from ..dockerfile import Dockerfile, Instruction

#: "changes": what the selected layer wrote (dive's default); "image": the filesystem as it stands
#: once the layers up to the selected one are stacked (dive's aggregated view).
MODES = ("changes", "image")
SORTS = ("size", "name")
MAX_ROWS = 300        # rows one view gets at most
MAX_CHILDREN = 100    # children of one folder listed before "... N more"
FIRST_VIEW_ROWS = 40  # a fresh tree opens its largest folders until about this many rows show


@dataclass(frozen=True)
class Filters:
    """The file view's filters: ``path`` (case-insensitive substring), ``min_size_bytes``,
    ``only_wasted`` (entries dive counts as inefficient, or copies a later layer hides),
    ``only_changes`` (in "image" mode: entries the selected layer wrote); ``sort``: size or name."""

    path: str = ""
    min_size_bytes: int = 0
    only_wasted: bool = False
    only_changes: bool = False
    sort: str = "size"

    @property
    def narrowing(self) -> bool:
        return bool(self.path.strip() or self.min_size_bytes > 0 or self.only_wasted or self.only_changes)


class LayerRow(NamedTuple):
    """One filesystem layer as the explorer lists it."""

    layer: int
    instruction: str          # redacted: BuildKit records build arguments in full
    line: int | None          # first Dockerfile line of the instruction that made it, when known
    stage: str | None
    size_bytes: int
    files_added: int
    files_modified: int
    files_removed: int
    wasted_bytes: int         # this layer's share of dive's wasted bytes
    reclaimable_bytes: int    # bytes it wrote that a later layer hides
    base: bool                # the layer came with the base image


class TreeRow(NamedTuple):
    """One row of a tree view: a file, a folder, or a "... N more" row (``more`` > 0)."""

    path: str
    name: str
    depth: int
    is_dir: bool
    expanded: bool
    size_bytes: int           # folders: the sum of the files below (as filtered); diff: the delta
    files: int                # folders: files below; files: 1
    kind: str
    change: str               # added / modified / deleted / opaque ("" when not this layer's);
    #                           in a diff: added / removed / changed
    link: str
    wasted: bool
    more: int = 0


class PathIndex:
    """Every path of an image, and every folder above one, numbered once: parents and depths as
    arrays, so that a view's folder sums are a few vector additions per depth, not a walk per file."""

    def __init__(self, paths: Iterable[str]) -> None:
        import numpy as np

        ids: dict[str, int] = {"/": 0}
        names = ["/"]
        parent = [0]
        depth = [0]
        for p in paths:
            if p in ids:
                continue
            chain = []
            q = p
            while q not in ids:
                chain.append(q)
                q = q[:q.rfind("/")] or "/"
            for a in reversed(chain):
                up = ids[a[:a.rfind("/")] or "/"]
                ids[a] = len(names)
                names.append(a)
                parent.append(up)
                depth.append(depth[up] + 1)
        self.ids, self.paths = ids, names
        self.parent = np.array(parent, dtype=np.int64)
        depths = np.array(depth, dtype=np.int64)
        self.levels = [np.flatnonzero(depths == d) for d in range(int(depths.max(initial=0)), 0, -1)]
        kids: list[list[int]] = [[] for _ in names]
        for i in range(1, len(names)):
            kids[parent[i]].append(i)
        self.kids = kids

    def __len__(self) -> int:
        return len(self.paths)


class _ByPath:
    """``tree.size[path]``: an array of the index read by path."""

    def __init__(self, ids: Mapping[str, int], values: Any) -> None:
        self._ids, self._values = ids, values

    def __getitem__(self, path: str) -> int:
        return int(self._values[self._ids[path]])

    def get(self, path: str, default: int = 0) -> int:
        i = self._ids.get(path)
        return default if i is None else int(self._values[i])


class _Folders:
    """``path in tree.is_dir``: the folders a tree shows."""

    def __init__(self, ids: Mapping[str, int], mask: Any) -> None:
        self._ids, self._mask = ids, mask

    def __contains__(self, path: object) -> bool:
        i = self._ids.get(path) if isinstance(path, str) else None
        return i is not None and bool(self._mask[i])


class _Tree:
    """Entries of one view over a ``PathIndex``: which paths it shows (``present``: the entries and
    the folders above them), each leaf's value (``own``), and per folder the sum of the values of the
    ``counted`` leaves below it and how many they are. ``rows`` lists it lazily: only children of
    open folders. A leaf that is not counted (a whiteout: the bytes it removed) shows its value but
    adds nothing to its folders."""

    def __init__(self, index: PathIndex, ids: Any, own: Any, counted: Any, dir_ids: Any = ()) -> None:
        import numpy as np

        n = len(index)
        parent = index.parent
        present = np.zeros(n, dtype=bool)
        present[ids] = True
        present[0] = True
        for level in index.levels:  # deepest first: a present node makes its parent present
            shown = level[present[level]]
            present[parent[shown]] = True
        is_dir = np.zeros(n, dtype=bool)
        is_dir[np.asarray(dir_ids, dtype=np.int64)] = True
        is_dir[0] = True
        nodes = np.flatnonzero(present)
        is_dir[parent[nodes[nodes > 0]]] = True
        total = np.where(counted, own, 0).astype(np.float64)
        files = counted.astype(np.float64)
        for level in index.levels:  # deepest first, each node once into its parent
            total += np.bincount(parent[level], weights=total[level], minlength=n)
            files += np.bincount(parent[level], weights=files[level], minlength=n)
        size = np.where(is_dir, total, own).astype(np.int64)
        self.index, self.present = index, present
        self.size = _ByPath(index.ids, size)
        self.files = _ByPath(index.ids, np.where(is_dir, files, counted).astype(np.int64))
        self.is_dir = _Folders(index.ids, is_dir & present)
        self._dir_mask = is_dir & present

    @classmethod
    def of_values(cls, values: Mapping[str, int], dirs: Iterable[str] = ()) -> _Tree:
        """A tree of its own for ``values`` by path (every leaf counted), e.g. size deltas of a diff."""
        import numpy as np

        dirs = list(dirs)
        index = PathIndex([*values, *dirs])
        ids = np.array([index.ids[p] for p in values], dtype=np.int64)
        own = np.zeros(len(index), dtype=np.int64)
        own[ids] = np.fromiter(values.values(), dtype=np.int64, count=len(ids))
        counted = np.zeros(len(index), dtype=bool)
        counted[ids] = True
        dir_ids = np.array([index.ids[p] for p in dirs], dtype=np.int64)
        counted[dir_ids] = False
        return cls(index, ids, own, counted, dir_ids)

    def children(self, folder: str) -> list[str]:
        i = self.index.ids.get(folder)
        if i is None:
            return []
        present, paths = self.present, self.index.paths
        return [paths[c] for c in self.index.kids[i] if present[c]]

    def folders(self) -> set[str]:
        import numpy as np

        paths = self.index.paths
        return {paths[i] for i in np.flatnonzero(self._dir_mask)}

    def ordered(self, folder: str, sort: str) -> list[str]:
        kids = self.children(folder)
        if sort == "name":
            return sorted(kids)
        size = self.size
        return sorted(kids, key=lambda p: (-abs(size[p]), p))

    def largest_open(self, budget: int, sort: str) -> set[str]:
        """Folders to open for a first look: the largest first, while about ``budget`` rows show."""
        opened: set[str] = set()
        shown = len(self.children("/"))
        frontier = [p for p in self.ordered("/", sort) if p in self.is_dir]
        while frontier:
            frontier.sort(key=lambda p: -abs(self.size[p]))
            p = frontier.pop(0)
            kids = self.children(p)
            n = min(len(kids), MAX_CHILDREN)
            if shown + n > budget and opened:
                break
            opened.add(p)
            shown += n
            frontier.extend(c for c in kids if c in self.is_dir)
        return opened

    def rows(self, expanded: set[str], sort: str, describe: Callable[[str, str, int, bool, bool], TreeRow],
             limit: int = MAX_ROWS) -> list[TreeRow]:
        out: list[TreeRow] = []
        stack: list[tuple[str, int]] = [("/", -1)]
        while stack and len(out) < limit:
            folder, depth = stack.pop()
            if folder.startswith("\0more:"):
                _, parent, n = folder.split(":", 2)
                out.append(TreeRow(parent + "/\0more", f"... {n} more (narrow with a filter)", depth, False, False,
                                   0, 0, "", "", "", False, int(n)))
                continue
            if folder != "/":
                out.append(describe(folder, folder.rsplit("/", 1)[-1], depth, folder in self.is_dir,
                                    folder in expanded))
            if folder == "/" or (folder in expanded and folder in self.is_dir):
                kids = self.ordered(folder, sort)
                shown = kids[:MAX_CHILDREN]
                tail = [(f"\0more:{folder}:{len(kids) - len(shown)}", depth + 1)] if len(kids) > len(shown) else []
                stack.extend(tail + [(k, depth + 1) for k in reversed(shown)])
        return out


@dataclass
class _LayerView:
    """One (layer, mode): the rows it shows and their tree."""

    rows: dict[str, int]          # path -> row in the image's table (-1: a whiteout's removed bytes only)
    removed: dict[str, int]       # path of a whiteout -> bytes it removed
    tree: _Tree


@dataclass
class ExplorerModel:
    """The data behind ``dockopt.explore``: the layers of one image, its trees, its diffs.

    ``dockerfile``: the Dockerfile that built the image (``dockopt.dockerfile.parse``), used to name
    each layer's instruction line and stage; ``base_layers``: how many of the lowest layers came
    with the base image (``base_ref``).
    """

    report: AnalysisReport
    dockerfile: Dockerfile | None = None
    target: str | None = None
    base_layers: int = 0
    base_ref: str | None = None
    lines: Sequence[Instruction | None] = ()
    _views: dict[tuple[int, str], _LayerView] = field(default_factory=dict, repr=False)

    @property
    def table(self) -> FileTable:
        return self.report.contents.entries

    @property
    def name(self) -> str:
        return self.report.image

    @functools.cached_property
    def layers(self) -> list[LayerRow]:
        t = self.table
        infos = self.report.contents.layer_info
        waste = {w.layer: w for w in self.report.waste_rows}
        stage_labels = {s.index: s.label for s in self.dockerfile.stages} if self.dockerfile else {}
        out = []
        for info in infos:
            rows = t.rows(info.layer) if info.layer < t.n_layers else range(0)
            counts = [0] * len(CHANGES)
            for r in rows:
                if t.kind[r] != DIR or t.change[r] != MODIFIED:  # a directory's mtime bump is not news
                    counts[t.change[r]] += 1
            w = waste.get(info.layer)
            ins = self.lines[info.layer] if info.layer < len(self.lines) else None
            stage = stage_labels.get(ins.stage_index) if ins is not None and ins.stage_index is not None else None
            is_base = info.layer < self.base_layers
            out.append(LayerRow(
                layer=info.layer, instruction=redact_text(info.instruction) or "(no history)",
                line=ins.line_start if ins is not None else None,
                stage="base" if is_base else (stage or (w.stage if w else None)),
                size_bytes=info.size_bytes, files_added=counts[ADDED], files_modified=counts[MODIFIED],
                files_removed=counts[CHANGES.index("deleted")], wasted_bytes=w.dive_wasted_bytes if w else 0,
                reclaimable_bytes=w.reclaimable_bytes if w else 0, base=is_base))
        return out

    @functools.cached_property
    def layers_df(self) -> pd.DataFrame:
        """Each row is one filesystem layer with its instruction, Dockerfile line, stage, size in
        bytes, files added / modified / removed, wasted and reclaimable bytes."""
        import pandas as pd

        return pd.DataFrame(self.layers, columns=list(LayerRow._fields))

    @functools.cached_property
    def _inefficient(self) -> frozenset[str]:
        return frozenset(r[0] for r in self.report.dive.references)

    def wasted(self, row: int) -> bool:
        """A copy a later layer hides, or a path dive counts as inefficient."""
        return row in self.report.contents.hidden_rows or self.table.path[row] in self._inefficient

    @functools.cached_property
    def _removed_by_layer(self) -> dict[int, list[tuple[str, int]]]:
        """Per layer: (path, size) of the lower entries it deleted (whiteouts), for "removed" sizes."""
        t = self.table
        out: dict[int, list[tuple[str, int]]] = {}
        for row, (by, why) in self.report.contents.hidden_rows.items():
            if why == DELETED_BELOW and t.kind[row] != DIR:
                out.setdefault(by, []).append((t.path[row], t.size[row]))
        return out

    def view(self, layer: int, mode: str) -> _LayerView:
        """The rows and tree of ``layer`` in ``mode`` (cached: switching back is free)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        key = (layer, mode)
        if key in self._views:
            return self._views[key]
        t = self.table
        picked = t.rows(layer) if mode == "changes" else shown_at(t.bounds, self.report.contents.hidden_rows,
                                                                  t.kind, layer)
        path, kind = t.path, t.kind
        rows: dict[str, int] = {path[r]: r for r in picked}
        removed: dict[str, int] = {}
        if mode == "changes":
            whiteouts = [p for p, r in rows.items() if kind[r] == WHITEOUT]
            if whiteouts:
                gone = self._removed_by_layer.get(layer, [])
                for w in whiteouts:
                    prefix = w + "/"
                    removed[w] = sum(s for p, s in gone if p == w or p.startswith(prefix))
        tree = self._tree(list(rows.values()), removed)
        view = _LayerView(rows=rows, removed=removed, tree=tree)
        self._views[key] = view
        return view

    def first_expanded(self, layer: int, mode: str, sort: str = "size") -> set[str]:
        return self.view(layer, mode).tree.largest_open(FIRST_VIEW_ROWS, sort)

    def tree_rows(self, layer: int, mode: str, expanded: set[str], filters: Filters = Filters(), *,
                  collapsed: set[str] | frozenset[str] = frozenset(), limit: int = MAX_ROWS) -> list[TreeRow]:
        """The rows the file view shows: the ``expanded`` folders' children, or with narrowing
        filters the matching entries and their folders (all open but ``collapsed``), at most ``limit``."""
        view = self.view(layer, mode)
        t = self.table
        kind, change, link, tlayer = t.kind, t.change, t.link, t.layer
        tree = view.tree
        if filters.narrowing:
            tree, opened = self._filtered(view, layer, filters)
            expanded = opened - set(collapsed)

        def describe(p: str, name: str, depth: int, is_dir: bool, opened: bool) -> TreeRow:
            r = view.rows.get(p, -1)
            if r < 0:  # a folder the layer has no entry of its own for
                return TreeRow(p, name, depth, True, opened, tree.size.get(p, 0), tree.files.get(p, 0), "dir", "",
                               "", False)
            ch = CHANGES[change[r]] if mode == "changes" or tlayer[r] == layer else ""
            if kind[r] == DIR and ch == "modified":
                ch = ""
            k = KINDS[kind[r]]
            return TreeRow(p, name, depth, is_dir, opened, tree.size.get(p, 0), tree.files.get(p, 0), k, ch,
                           link[r] if kind[r] in (SYMLINK, HARDLINK) else "", kind[r] != DIR and self.wasted(r))

        return tree.rows(expanded, filters.sort, describe, limit)

    def _filtered(self, view: _LayerView, layer: int, f: Filters) -> tuple[_Tree, set[str]]:
        t = self.table
        kind, size, tlayer = t.kind, t.size, t.layer
        lowered = self._lowered
        needle = f.path.strip().lower()
        matches = []
        for p, r in view.rows.items():
            k = kind[r]
            if k == DIR or needle and needle not in lowered[r]:
                continue
            s = view.removed.get(p, 0) if k == WHITEOUT else size[r]
            if s < f.min_size_bytes or f.only_wasted and not self.wasted(r) or f.only_changes and tlayer[r] != layer:
                continue
            matches.append(r)
        tree = self._tree(matches, view.removed, dirs=False)
        return tree, tree.folders()

    @functools.cached_property
    def _index(self) -> tuple[PathIndex, Any, Any, Any]:
        """The image's ``PathIndex``, and per row: its path's id, its kind and its size, as arrays."""
        import numpy as np

        t = self.table
        index = PathIndex(t.path)
        ids = np.fromiter((index.ids[p] for p in t.path), dtype=np.int64, count=len(t.path))
        return index, ids, np.frombuffer(bytes(t.kind), dtype=np.uint8), np.frombuffer(t.size, dtype=np.int64)

    @functools.cached_property
    def _lowered(self) -> list[str]:
        return [p.lower() for p in self.table.path]

    def _tree(self, rows: Sequence[int], removed: Mapping[str, int], *, dirs: bool = True) -> _Tree:
        """The tree of these rows of the image's table (``removed``: bytes each whiteout removed)."""
        import numpy as np

        index, row_ids, kinds, sizes = self._index
        picked = np.asarray(rows, dtype=np.int64)
        ids, k = row_ids[picked], kinds[picked]
        leaf = k != DIR
        own = np.zeros(len(index), dtype=np.int64)
        own[ids[leaf]] = sizes[picked][leaf]
        counted = np.zeros(len(index), dtype=bool)
        counted[ids[leaf & (k != WHITEOUT)]] = True
        for p, gone in removed.items():
            if p in index.ids:
                own[index.ids[p]] = gone
        return _Tree(index, ids, own, counted, ids[~leaf] if dirs else ())

    # --- the static twin ------------------------------------------------------------------------

    def twin_frames(self, max_nodes: int = 120, top: int = 15) -> tuple[pd.DataFrame, pd.DataFrame]:
        """What a report shows instead of the widgets, per layer's changes: (treemap nodes, top files).

        Treemap: each row is one folder or file (``layer``, ``path``, ``parent``, ``size_bytes``,
        ``files``), the largest folders opened first until ``max_nodes``; top files: each row is one
        of the layer's ``top`` largest entries (``layer``, ``path``, ``size_bytes``, ``change``,
        ``wasted``). Whiteouts appear in the table (bytes they removed), not in the treemap.
        """
        import pandas as pd

        t = self.table
        nodes: list[tuple[int, str, str, int, int]] = []
        tops: list[tuple[int, str, int, str, bool]] = []
        for info in self.report.contents.layer_info:
            layer = info.layer
            view = self.view(layer, "changes")
            tree = view.tree
            keep = ["/"]
            frontier = ["/"]
            while frontier and len(keep) < max_nodes:
                frontier.sort(key=lambda p: -tree.size[p])
                folder = frontier.pop(0)
                kids = [k for k in tree.ordered(folder, "size") if k not in view.removed]
                if len(keep) + len(kids) > max_nodes and folder != "/":
                    continue
                kids = kids[:max_nodes]
                keep.extend(kids)
                frontier.extend(k for k in kids if k in tree.is_dir and tree.children(k))
            for p in keep:
                nodes.append((layer, p, "" if p == "/" else parent_of(p), tree.size[p], tree.files[p]))
            leaves = [(tree.size[p], p) for p, r in view.rows.items() if t.kind[r] != DIR]
            for size, p in sorted(leaves, key=lambda x: (-x[0], x[1]))[:top]:
                r = view.rows[p]
                tops.append((layer, p, size, CHANGES[t.change[r]], self.wasted(r)))
        treemap = pd.DataFrame(nodes, columns=["layer", "path", "parent", "size_bytes", "files"])
        top_files = pd.DataFrame(tops, columns=["layer", "path", "size_bytes", "change", "wasted"])
        return treemap, top_files

    # --- compare --------------------------------------------------------------------------------

    def diff_tree(self, changes: pd.DataFrame) -> _Tree:
        """A folder tree of ``analysis.diff(this image, other)`` rows; values are size deltas."""
        leaves = dict(zip(changes["path"].tolist(), changes["delta_bytes"].tolist()))
        dirs = [p for p, k in zip(changes["path"].tolist(), changes["kind"].tolist()) if k == "dir"]
        return _Tree.of_values(leaves, dirs)

    @staticmethod
    def diff_rows(tree: _Tree, changes: pd.DataFrame, expanded: set[str], limit: int = MAX_ROWS) -> list[TreeRow]:
        change_of = dict(zip(changes["path"].tolist(), changes["change"].tolist()))
        kind_of = dict(zip(changes["path"].tolist(), changes["kind"].tolist()))

        def describe(p: str, name: str, depth: int, is_dir: bool, opened: bool) -> TreeRow:
            return TreeRow(p, name, depth, is_dir, opened, tree.size.get(p, 0), tree.files.get(p, 0),
                           kind_of.get(p, "dir"), change_of.get(p, ""), "", False)

        return tree.rows(expanded, "size", describe, limit)


def common_prefix(a: Sequence[Any], b: Sequence[Any]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
