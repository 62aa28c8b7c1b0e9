"""dive's ``--json`` export: ``layer[].fileList[]`` and ``image`` (dive 0.13), so tools that read
dive's output read dockopt's."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from json.encoder import encode_basestring_ascii as _quote
from pathlib import Path
from typing import Any

from ..image.contents import ImageContents
from ..image.table import DIR, KINDS, WHITEOUT, FileTable
from .metrics import DiveMetrics, dive_metrics

# Go's os.FileMode bits, as dive's JSON stores ``fileMode``.
_GO_DIR = 1 << 31
_GO_SYMLINK = 1 << 27
_GO_DEVICE = 1 << 26
_GO_PIPE = 1 << 25
_GO_SETUID = 1 << 23
_GO_SETGID = 1 << 22
_GO_CHARDEV = 1 << 21
_GO_STICKY = 1 << 20
_TYPE_BITS = {"dir": _GO_DIR, "symlink": _GO_SYMLINK, "char": _GO_DEVICE | _GO_CHARDEV, "block": _GO_DEVICE,
              "fifo": _GO_PIPE}
_TYPEFLAG = {"file": 48, "hardlink": 49, "symlink": 50, "char": 51, "block": 52, "dir": 53, "fifo": 54,
             "whiteout": 48, "other": 48}
_TYPEFLAG_OF_CODE = [_TYPEFLAG[k] for k in KINDS]

INFO_KEYS = ("path", "typeFlag", "linkName", "size", "fileMode", "uid", "gid", "isDir")
_EMPTY_INFO = ("", 0, "", 0, 0, 0, 0, False)  # an intermediate node without a tar entry of its own


def go_file_mode(kind: str, mode: int) -> int:
    """Go's ``tar.Header.FileInfo().Mode()`` for an entry of ``kind`` with permission ``mode``."""
    m = mode & 0o777
    if mode & 0o4000:
        m |= _GO_SETUID
    if mode & 0o2000:
        m |= _GO_SETGID
    if mode & 0o1000:
        m |= _GO_STICKY
    return m | _TYPE_BITS.get(kind, 0)


def file_infos(table: FileTable, layer: int) -> list[tuple]:
    """One layer's tree as dive exports it: every node, children first, names in sorted order.

    Each item is a tuple in ``INFO_KEYS`` order (dicts only when a caller asks, to keep memory low).
    """
    a, b = table.bounds[layer], table.bounds[layer + 1]
    kinds = table.kind[a:b]
    paths = [p[1:] for p in table.path[a:b]]
    if WHITEOUT in kinds:
        for i, k in enumerate(kinds):
            if k == WHITEOUT:
                head, _, tail = paths[i].rpartition("/")
                paths[i] = f"{head}/.wh.{tail}" if head else f".wh.{tail}"
    go_modes: dict[tuple[int, int], int] = {}  # few distinct (kind, mode) pairs in a layer
    modes = []
    for k, m in zip(kinds, table.mode[a:b]):
        gm = go_modes.get((k, m))
        if gm is None:
            gm = go_modes[(k, m)] = go_file_mode(KINDS[k], m)
        modes.append(gm)
    infos: dict[str, tuple] = dict(zip(paths, zip(
        paths, [_TYPEFLAG_OF_CODE[k] for k in kinds], table.link[a:b], table.size[a:b], modes, table.uid[a:b],
        table.gid[a:b], [k == DIR for k in kinds])))
    for p in list(infos):
        parent = p[:p.rfind("/")] if "/" in p else ""
        while parent and parent not in infos:
            infos[parent] = _EMPTY_INFO
            parent = parent[:parent.rfind("/")] if "/" in parent else ""
    # "\0" sorts below every character a name can hold, so this is component-wise order.
    keys = sorted(infos, key=lambda p: p.replace("/", "\0"))
    ordered: list[tuple] = []
    stack: list[str] = []
    for key in keys:
        while stack and not key.startswith(stack[-1] + "/"):
            ordered.append(infos[stack.pop()])
        stack.append(key)
    ordered.extend(infos[k] for k in reversed(stack))
    return ordered


def _layer_docs(image: ImageContents) -> Iterator[tuple[dict[str, Any], list[tuple]]]:
    history = image.history
    table = image.entries
    for info in image.layer_info:
        hi = info.history_index
        created_by = history[hi].get("created_by", "") if hi is not None else "(missing)"
        head = {"index": info.layer, "id": str(info.tar_path).split("/")[0], "digestId": info.digest or "",
                "sizeBytes": int(info.size_bytes), "command": created_by.removeprefix("/bin/sh -c ")}
        yield head, (file_infos(table, info.layer) if info.layer < table.n_layers else [])


def _image_doc(m: DiveMetrics) -> dict[str, Any]:
    return {"sizeBytes": m.size_bytes, "inefficientBytes": m.wasted_bytes, "efficiencyScore": m.efficiency,
            "fileReference": [{"count": int(c), "sizeBytes": int(s), "file": p} for p, c, s in m.references]}


def _metrics(image: ImageContents, metrics: DiveMetrics | None) -> DiveMetrics:
    return metrics or dive_metrics(image.entries, [info.size_bytes for info in image.layer_info])


def dive_export(image: ImageContents, metrics: DiveMetrics | None = None) -> dict[str, Any]:
    """The document ``dive IMAGE --json FILE`` writes for this image."""
    m = _metrics(image, metrics)
    layers = [{**head, "fileList": [dict(zip(INFO_KEYS, info)) for info in infos]}
              for head, infos in _layer_docs(image)]
    return {"layer": layers, "image": _image_doc(m)}


_ENTRY = ('        {\n          "path": %s,\n          "typeFlag": %d,\n          "linkName": %s,\n'
          '          "size": %d,\n          "fileMode": %d,\n          "uid": %d,\n          "gid": %d,\n'
          '          "isDir": %s\n        }')


def write_dive_json(image: ImageContents, path: str | os.PathLike[str], metrics: DiveMetrics | None = None) -> Path:
    """Write ``dive_export`` to ``path`` as dive indents it, streaming (no whole document in memory)."""
    m = _metrics(image, metrics)
    dumps = json.dumps
    out = Path(path)
    with out.open("w", encoding="utf-8") as f:
        f.write('{\n  "layer": [')
        for n, (head, infos) in enumerate(_layer_docs(image)):
            f.write(",\n    {\n" if n else "\n    {\n")
            for key, value in head.items():
                f.write(f'      {dumps(key)}: {dumps(value)},\n')
            if not infos:
                f.write('      "fileList": []\n    }')
                continue
            f.write('      "fileList": [\n')
            # Written in slices: one layer's list can hold 100k+ entries.
            for start in range(0, len(infos), 2000):
                if start:
                    f.write(",\n")
                f.write(",\n".join(
                    _ENTRY % (_quote(p), t, _quote(ln), s, fm, u, g, "true" if d else "false")
                    for p, t, ln, s, fm, u, g, d in infos[start:start + 2000]))
            f.write("\n      ]\n    }")
        f.write("\n  ],\n  \"image\": ")
        f.write(dumps(_image_doc(m), indent=2).replace("\n", "\n  "))
        f.write("\n}")
    return out
