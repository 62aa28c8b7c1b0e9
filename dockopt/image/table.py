"""The entries of an image, column by column: what the reader produces and every analysis reads.

A ``FileTable`` holds one row per entry per layer in compact columns (``array``, ``bytearray``,
lists of ``str``), rows grouped by layer in layer order. It is the form the command line works
on (no pandas loaded); ``to_frame`` turns it into the tidy DataFrame of ``dockopt.image.files``
and ``from_frame`` takes such a frame back, so the analysis functions accept either.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# Kinds of entries, as stored in ``files()["kind"]`` (codes are positions in this tuple).
KINDS = ("file", "dir", "symlink", "hardlink", "char", "block", "fifo", "whiteout", "other")
FILE, DIR, SYMLINK, HARDLINK, CHAR, BLOCK, FIFO, WHITEOUT, OTHER = range(len(KINDS))
# What an entry does to the merged filesystem, ``files()["change"]``.
CHANGES = ("added", "modified", "deleted", "opaque")
ADDED, MODIFIED, DELETED, OPAQUE = range(len(CHANGES))

FILE_COLUMNS = ["layer", "path", "kind", "size_bytes", "mode", "uid", "gid", "link_target", "change", "visible"]


@dataclass(frozen=True, eq=False)
class FileTable:
    """One row per entry per layer, rows of layer ``i`` at ``bounds[i]:bounds[i + 1]``.

    ``kind`` and ``change`` hold codes into ``KINDS`` and ``CHANGES``; ``visible`` is 1 where the
    entry is what the final merged filesystem shows at its path.
    """

    layer: array          # int32
    path: list[str]
    kind: bytes | bytearray
    size: array           # int64, tar header size
    mode: array           # int32, permission bits incl. setuid/setgid/sticky
    uid: array            # int64
    gid: array            # int64
    link: list[str]
    change: bytes | bytearray
    visible: bytes | bytearray
    bounds: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.path)

    @property
    def n_layers(self) -> int:
        return len(self.bounds) - 1

    def rows(self, layer: int) -> range:
        return range(self.bounds[layer], self.bounds[layer + 1])

    def visible_rows(self) -> list[int]:
        return [i for i, v in enumerate(self.visible) if v]

    def take(self, rows: Sequence[int]) -> FileTable:
        """The given rows (in layer order), as a table of their own."""
        layer = [self.layer[r] for r in rows]
        n_layers = layer[-1] + 1 if layer else 0
        return FileTable(layer=array("i", layer), path=[self.path[r] for r in rows],
                         kind=bytes(self.kind[r] for r in rows), size=array("q", (self.size[r] for r in rows)),
                         mode=array("i", (self.mode[r] for r in rows)), uid=array("q", (self.uid[r] for r in rows)),
                         gid=array("q", (self.gid[r] for r in rows)), link=[self.link[r] for r in rows],
                         change=bytes(self.change[r] for r in rows), visible=bytes(self.visible[r] for r in rows),
                         bounds=tuple(bisect_left(layer, i) for i in range(n_layers + 1)))

    def to_frame(self) -> pd.DataFrame:
        """The tidy DataFrame of ``dockopt.image.files`` (categoricals for kind and change)."""
        import numpy as np
        import pandas as pd

        return pd.DataFrame({
            "layer": np.frombuffer(self.layer, dtype=np.int32).astype(np.int64),
            "path": pd.array(self.path, dtype="str"),
            "kind": pd.Categorical.from_codes(np.frombuffer(bytes(self.kind), dtype=np.int8),
                                              categories=pd.Index(KINDS)),
            "size_bytes": np.frombuffer(self.size, dtype=np.int64).copy(),
            "mode": np.frombuffer(self.mode, dtype=np.int32).astype(np.int64),
            "uid": np.frombuffer(self.uid, dtype=np.int64).copy(),
            "gid": np.frombuffer(self.gid, dtype=np.int64).copy(),
            "link_target": pd.array(self.link, dtype="str"),
            "change": pd.Categorical.from_codes(np.frombuffer(bytes(self.change), dtype=np.int8),
                                                categories=pd.Index(CHANGES)),
            "visible": np.frombuffer(bytes(self.visible), dtype=np.bool_).copy(),
        }, columns=FILE_COLUMNS)

    @classmethod
    def from_frame(cls, files: pd.DataFrame) -> FileTable:
        """A table from a ``files`` frame (or a selection of its rows), ordered by layer."""
        import numpy as np

        if len(files) and not files["layer"].is_monotonic_increasing:
            files = files.sort_values("layer", kind="stable")
        layer = [int(x) for x in files["layer"].tolist()]
        n_layers = layer[-1] + 1 if layer else 0
        bounds = tuple(bisect_left(layer, i) for i in range(n_layers + 1))
        return cls(
            layer=array("i", layer),
            path=[str(p) for p in files["path"].tolist()],
            kind=bytes(_codes(files["kind"], KINDS, np)),
            size=array("q", files["size_bytes"].astype("int64").tolist()),
            mode=array("i", files["mode"].astype("int64").tolist()),
            uid=array("q", files["uid"].astype("int64").tolist()),
            gid=array("q", files["gid"].astype("int64").tolist()),
            link=[str(x) for x in files["link_target"].tolist()],
            change=bytes(_codes(files["change"], CHANGES, np)),
            visible=bytes(files["visible"].astype(bool).to_numpy(dtype=np.uint8)),
            bounds=bounds,
        )


def _codes(column: Any, categories: Sequence[str], np: Any) -> Any:
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype) and list(column.cat.categories) == list(categories):
        return column.cat.codes.to_numpy(dtype=np.int8)
    return pd.Categorical(column.astype(str), categories=list(categories)).codes.astype(np.int8)


def as_table(files: Any) -> FileTable:
    """``files`` as a ``FileTable``: a table, an ``ImageContents``, or a ``files`` DataFrame."""
    if isinstance(files, FileTable):
        return files
    entries = getattr(files, "entries", None)
    if isinstance(entries, FileTable):
        return entries
    return FileTable.from_frame(files)
