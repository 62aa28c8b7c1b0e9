"""``ImageContents``: one image's config, layers and entries, as read - and its DataFrames on demand."""

from __future__ import annotations

import functools
import re
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from .layer import CaptureBudget, LayerEntries
from .overlay import HIDDEN_REASONS, stack
from .table import FileTable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

IMAGE_LAYER_COLUMNS = ["layer", "digest", "size_bytes", "entries", "history_index", "created_by",
                       "instruction", "tar_path"]
HIDDEN_COLUMNS = ["layer", "path", "kind", "size_bytes", "hidden_by_layer", "reason"]

# BuildKit and the classic builder both record the instruction in `created_by`, in two forms:
# "RUN /bin/sh -c apt-get ... # buildkit" and "/bin/sh -c #(nop)  COPY file:... in /app".
_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s+")
_SHELL = re.compile(r"^/bin/sh -c ")
_BUILDKIT_SUFFIX = re.compile(r"\s+# buildkit$")


def instruction_of(created_by: str) -> str:
    """Short Dockerfile-style form of a history ``created_by`` line."""
    text = _BUILDKIT_SUFFIX.sub("", (created_by or "").strip())
    if _NOP.match(text):
        return _NOP.sub("", text).strip()
    if _SHELL.match(text):
        return "RUN " + _SHELL.sub("", text).strip()
    return text


class LayerInfo(NamedTuple):
    """One filesystem layer: a row of ``ImageContents.layers``."""

    layer: int
    digest: str | None
    size_bytes: int  # the sum of its entries' sizes, as dive counts it
    entries: int
    history_index: int | None
    created_by: str
    instruction: str
    tar_path: str


@dataclass(frozen=True)
class ImageContents:
    """What one image holds: its config, its filesystem layers and every entry of every layer.

    ``entries`` is the column store the reader fills (``dockopt.image.table.FileTable``);
    ``layer_info`` one record per filesystem layer; ``contents`` maps ``(layer, path)`` to the
    captured bytes of files a capture policy asked for; ``hidden_rows`` maps an entry's row to
    (the layer that hid it, a code into ``HIDDEN_REASONS``). The DataFrames - ``files``,
    ``layers``, ``hidden`` - are built from these on first use.
    """

    source: str
    config: Mapping[str, Any] = field(repr=False)
    entries: FileTable = field(repr=False)
    layer_info: tuple[LayerInfo, ...] = field(repr=False)
    contents: Mapping[tuple[int, str], bytes] = field(repr=False, default_factory=dict)
    warnings: tuple[str, ...] = ()
    hidden_rows: Mapping[int, tuple[int, int]] = field(repr=False, default_factory=dict)

    @functools.cached_property
    def files(self) -> pd.DataFrame:
        """Each row is one entry in one layer; see ``dockopt.image.files``."""
        return self.entries.to_frame()

    @functools.cached_property
    def layers(self) -> pd.DataFrame:
        """Each row is one filesystem layer: ``layer``, ``digest``, ``size_bytes`` (the sum of its
        entries' sizes, as dive counts it), ``entries``, ``history_index``, ``created_by``,
        ``instruction``, ``tar_path``."""
        import pandas as pd

        return pd.DataFrame(list(self.layer_info), columns=IMAGE_LAYER_COLUMNS)

    @functools.cached_property
    def hidden(self) -> pd.DataFrame:
        """Each row is one entry the final filesystem does not show, as
        ``dockopt.analysis.hidden_entries`` returns them (recorded while the layers were stacked)."""
        return hidden_frame(self.entries, self.hidden_rows)

    @property
    def history(self) -> list[dict[str, Any]]:
        return list(self.config.get("history") or [])

    @property
    def image_config(self) -> Mapping[str, Any]:
        """The runtime part of the config (User, ExposedPorts, Healthcheck, Env, ...)."""
        return self.config.get("config") or {}


def hidden_frame(table: FileTable, hidden: Mapping[int, tuple[int, int]]) -> pd.DataFrame:
    """The ``hidden_entries`` DataFrame for ``hidden`` rows of ``table``."""
    rows = sorted(hidden)
    out = table.take(rows).to_frame()[["layer", "path", "kind", "size_bytes"]]
    out["hidden_by_layer"] = [hidden[r][0] for r in rows]
    out["reason"] = [HIDDEN_REASONS[hidden[r][1]] for r in rows]
    return out[HIDDEN_COLUMNS]


def history_map(config: Mapping[str, Any], n_layers: int) -> list[int | None]:
    """History index of each filesystem layer, matching non-empty history entries in order (as dive)."""
    history = config.get("history") or []
    out: list[int | None] = []
    h = 0
    for _ in range(n_layers):
        while h < len(history) and history[h].get("empty_layer"):
            h += 1
        if h < len(history):
            out.append(h)
            h += 1
        else:
            out.append(None)
    return out


def build_contents(what: str, config: Mapping[str, Any], ordered: Sequence[tuple[str, LayerEntries]],
                   diff_ids: Sequence[str], budget: CaptureBudget) -> ImageContents:
    """Stack the layers (in image order, each with its member name) into ``ImageContents``."""
    layer, path, kind, size, mode, uid, gid, link = (array("i"), [], bytearray(), array("q"), array("i"),
                                                     array("q"), array("q"), [])
    opaque = bytearray()
    bounds = [0]
    contents: dict[tuple[int, str], bytes] = {}
    history_of = history_map(config, len(ordered))
    history = config.get("history") or []
    infos = []
    suspicious = 0
    for li, (name, entries) in enumerate(ordered):
        n = len(entries)
        layer.extend(array("i", [li]) * n)
        path.extend(entries.paths)
        kind.extend(entries.kinds)
        size.extend(entries.sizes)
        mode.extend(entries.modes)
        uid.extend(entries.uids)
        gid.extend(entries.gids)
        link.extend(entries.links)
        opaque.extend(entries.opaque)
        bounds.append(bounds[-1] + n)
        suspicious += entries.suspicious
        for p, blob in entries.contents.items():
            contents[(li, p)] = blob
        hi = history_of[li]
        created_by = (history[hi].get("created_by") or "") if hi is not None else ""
        infos.append(LayerInfo(layer=li, digest=diff_ids[li] if li < len(diff_ids) else None,
                               size_bytes=sum(entries.sizes), entries=entries.tar_entries, history_index=hi,
                               created_by=created_by,
                               instruction=instruction_of(created_by), tar_path=name))
    stacked = stack(bounds, path, kind, opaque)
    warnings = []
    if suspicious:
        warnings.append(f"{suspicious} entries had absolute paths or '..'; they were read as paths under /")
    if budget.dropped:
        warnings.append(f"{budget.dropped} small files were not captured (capture budget exhausted)")
    table = FileTable(layer=layer, path=path, kind=kind, size=size, mode=mode, uid=uid, gid=gid, link=link,
                      change=stacked.change, visible=stacked.visible, bounds=tuple(bounds))
    return ImageContents(source=what, config=config, entries=table, layer_info=tuple(infos), contents=contents,
                         warnings=tuple(warnings), hidden_rows=stacked.hidden)
