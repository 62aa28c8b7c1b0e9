"""Layers stacked into one filesystem, the way overlayfs merges them - written once.

``Overlay`` is the merged view while layers stack up: path → a value for the entry that
provides it, and each directory's children, so that deleting a directory (a whiteout) or
replacing it (an opaque directory) takes its whole subtree. The image reader uses it with row
numbers as values (``stack``: which entry each path shows, which entries end up hidden and
why); dive's tree uses it with dive's node payloads (``dockopt.dive_compat.metrics``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from .table import DELETED, MODIFIED, OPAQUE, WHITEOUT

V = TypeVar("V")
_MISSING = object()

# Why an entry is hidden, ``dockopt.analysis.hidden_entries()["reason"]``.
HIDDEN_REASONS = ("overwritten", "deleted", "replaced_dir")
OVERWRITTEN, DELETED_BELOW, REPLACED_DIR = range(len(HIDDEN_REASONS))


def parent_of(path: str) -> str:
    return path[:path.rfind("/")] or "/"


class Overlay(Generic[V]):
    """The merged filesystem: ``entries`` maps a path to its value, ``children`` a directory to the
    paths directly below it.

    ``implicit``: the value given to a directory that has no entry of its own when something is
    put below it (dive's trees create such nodes); None leaves those directories without one.
    """

    def __init__(self, implicit: V | None = None) -> None:
        self.entries: dict[str, V] = {}
        self.children: dict[str, set[str]] = {}
        self._implicit = implicit

    def __contains__(self, path: str) -> bool:
        return path in self.entries

    def put(self, path: str, value: V) -> V | None:
        """Set what ``path`` shows; returns the value it replaced (None if it showed nothing)."""
        entries = self.entries
        old = entries.get(path)
        entries[path] = value
        if old is None:
            self._link(path)
        return old

    def _link(self, path: str) -> None:
        children, entries, implicit = self.children, self.entries, self._implicit
        while path != "/":
            parent = path[:path.rfind("/")] or "/"
            kids = children.get(parent)
            if kids is None:
                children[parent] = {path}
            elif path in kids:
                return
            else:
                kids.add(path)
            if implicit is not None and parent != "/" and parent not in entries:
                entries[parent] = implicit
            path = parent

    def remove(self, path: str) -> list[V]:
        """Delete ``path`` and everything below it; returns the values that were removed."""
        removed = self._drop([path])
        kids = self.children.get(parent_of(path))
        if kids is not None:
            kids.discard(path)
        return removed

    def clear(self, path: str) -> list[V]:
        """Delete everything below ``path`` (an opaque directory); returns the removed values."""
        below = self.children.get(path)
        if not below:
            return []
        self.children[path] = set()
        return self._drop(list(below))

    def _drop(self, stack: list[str]) -> list[V]:
        entries, children = self.entries, self.children
        removed: list[V] = []
        while stack:
            p = stack.pop()
            value = entries.pop(p, _MISSING)
            if value is not _MISSING:
                removed.append(value)  # type: ignore[arg-type]
            kids = children.pop(p, None)
            if kids:
                stack.extend(kids)
        return removed

    def subtree(self, path: str) -> Iterator[V]:
        """The values of ``path`` and of everything below it."""
        entries, children = self.entries, self.children
        stack = [path]
        while stack:
            p = stack.pop()
            value = entries.get(p, _MISSING)
            if value is not _MISSING:
                yield value  # type: ignore[misc]
            stack.extend(children.get(p, ()))


@dataclass(frozen=True)
class Stacked:
    """What stacking an image's layers decides for each entry (row).

    ``change``: codes into ``table.CHANGES``; ``visible``: 1 where the final filesystem shows the
    entry; ``hidden``: row → (layer that hid it, code into ``HIDDEN_REASONS``).
    """

    change: bytearray
    visible: bytearray
    hidden: dict[int, tuple[int, int]]


def stack(bounds: Sequence[int], paths: Sequence[str], kinds: bytes | bytearray,
          opaque: bytes | bytearray) -> Stacked:
    """Stack layers (rows ``bounds[i]:bounds[i + 1]`` of the columns) into the merged filesystem.

    A layer's whiteouts and opaque directories act on the layers below it whatever their
    position in the tar, so each layer removes first, then adds. An entry is hidden when a later
    layer writes the same path (overwritten), deletes it or a directory above it (deleted), or
    makes a directory above it opaque (replaced_dir).
    """
    n = len(paths)
    change = bytearray(n)
    visible = bytearray(n)
    hidden: dict[int, tuple[int, int]] = {}
    merged: Overlay[int] = Overlay()
    put = merged.put
    for layer in range(len(bounds) - 1):
        start, end = bounds[layer], bounds[layer + 1]
        if WHITEOUT in kinds[start:end] or 1 in opaque[start:end]:
            for i in range(start, end):
                if kinds[i] == WHITEOUT:
                    lost, why = merged.remove(paths[i]), DELETED_BELOW
                elif opaque[i]:
                    lost, why = merged.clear(paths[i]), REPLACED_DIR
                else:
                    continue
                for row in lost:
                    if row not in hidden:
                        hidden[row] = (layer, why)
        for i in range(start, end):
            if kinds[i] == WHITEOUT:
                change[i] = DELETED
                continue
            old = put(paths[i], i)
            if old is not None:
                if old not in hidden:
                    hidden[old] = (layer, OVERWRITTEN)
                change[i] = MODIFIED
            if opaque[i]:
                change[i] = OPAQUE
    for row in merged.entries.values():
        visible[row] = 1
    return Stacked(change=change, visible=visible, hidden=hidden)


def shown_at(bounds: Sequence[int], hidden: Mapping[int, tuple[int, int]], kinds: bytes | bytearray,
             upto: int) -> list[int]:
    """Rows the merged filesystem shows once layers ``0..upto`` are stacked (dive's "aggregated" view).

    ``hidden`` is ``Stacked.hidden`` of the whole image: it records the *first* layer that hid each
    entry, so an entry written at or below ``upto`` is shown there unless that layer is at or below
    ``upto`` too. Whiteouts are never shown: they only remove.
    """
    end = bounds[min(upto, len(bounds) - 2) + 1] if len(bounds) > 1 else 0
    out = []
    get = hidden.get
    for row in range(end):
        if kinds[row] == WHITEOUT:
            continue
        by = get(row)
        if by is None or by[0] > upto:
            out.append(row)
    return out
