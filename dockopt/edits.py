"""Edits that keep a file valid: the one comment-syntax table, used by the workspace and by detection.

A comment line in the file's own syntax (``COMMENT_SYNTAX``), or, for JSON which has no comments,
trailing whitespace. BuildKit keys its cache by content, so a marker no earlier run wrote
(``unique_marker``) makes the steps that read the file miss for sure. ``dockopt.workspace`` is where these
edits are made, on a private copy; this module imports nothing of dockopt but its errors, so that
``dockopt.project`` can ask ``editable`` without an import cycle.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from .errors import ProjectError


@dataclass(frozen=True)
class FileEdit:
    """One file an experiment changed (in its private copy of the context)."""

    path: str          # relative to the context, POSIX
    how: str           # what was changed, in words
    bytes_before: int
    bytes_after: int


# --- the one comment-syntax table ---------------------------------------------------------------------

_HASH = ("#", "")
_SLASHES = ("//", "")
_MARKUP = ("<!--", " -->")
_BLOCK = ("/*", " */")
#: JSON has no comments: whitespace keeps it valid.
WHITESPACE = ("", "")

_BY_SUFFIX: dict[str, tuple[str, str]] = {
    **dict.fromkeys((".py", ".rb", ".sh", ".toml", ".txt", ".yaml", ".yml", ".cfg", ".ini", ".conf", ".r", ".pl",
                     ".properties", ".dockerignore", ".env"), _HASH),
    **dict.fromkeys((".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".java", ".kt", ".scala", ".groovy", ".cs",
                     ".fs", ".c", ".h", ".cc", ".cpp", ".hpp", ".rs", ".swift", ".gradle", ".kts", ".php", ".dart",
                     ".svelte", ".mod"), _SLASHES),
    **dict.fromkeys((".html", ".htm", ".vue", ".xml", ".csproj", ".fsproj", ".vbproj", ".svg", ".md", ".razor",
                     ".cshtml", ".xhtml"), _MARKUP),
    **dict.fromkeys((".css", ".scss", ".less"), _BLOCK),
    ".json": WHITESPACE,
}
_BY_NAME: dict[str, tuple[str, str]] = dict.fromkeys(("Pipfile", "Gemfile", "Makefile", "requirements.txt",
                                                      ".dockerignore", ".env"), _HASH)

#: How a comment line is written in each kind of file, by file name, then by suffix: (opening, closing).
COMMENT_SYNTAX: Mapping[str, tuple[str, str]] = MappingProxyType({**_BY_SUFFIX, **_BY_NAME})


def comment_syntax(path: str | os.PathLike[str]) -> tuple[str, str] | None:
    """(opening, closing) of a comment line in ``path``'s own syntax; ``WHITESPACE`` for JSON; None when
    dockopt does not know how to change that kind of file safely."""
    name = Path(path).name
    if name in _BY_NAME:
        return _BY_NAME[name]
    return next((syntax for suffix, syntax in _BY_SUFFIX.items() if name.endswith(suffix)), None)


def editable(path: str | os.PathLike[str]) -> bool:
    """Whether dockopt knows how to change ``path`` without breaking it (a comment, or whitespace for JSON)."""
    return comment_syntax(path) is not None


def unique_marker(what: str) -> str:
    """``what`` and a value no earlier run wrote: BuildKit keys its cache by content, so an edit an earlier
    run made once would be a cache hit."""
    return f"{what} {uuid.uuid4().hex[:12]}"


def edit_file(path: Path, *, relative: str, marker: str = "dockopt cache experiment") -> FileEdit:
    """Change ``path`` by a few bytes that keep it valid: a comment line in its own syntax holding
    ``marker``, or (JSON, which has no comments) trailing whitespace that spells ``marker`` in spaces and
    tabs. ``ProjectError`` for a kind of file dockopt cannot change safely."""
    syntax = comment_syntax(path)
    if syntax is None:
        raise ProjectError(f"{relative}: dockopt does not know how to change this kind of file safely",
                           hint="name a source file in dockopt.toml ([cache] touch = ...)")
    before = path.read_bytes()
    if syntax == WHITESPACE:
        bits = "".join(f"{byte:08b}" for byte in marker.encode()[-8:])
        added = "\n" + bits.replace("0", " ").replace("1", "\t") + "\n"
        how = "appended whitespace (JSON has no comments; whitespace keeps it valid)"
    else:
        opening, closing = syntax
        added = f"\n{opening} {marker}{closing}\n"
        how = f"appended a {opening}{closing and ' ' + closing.strip()} comment line"
    path.write_bytes(before + added.encode())
    return FileEdit(path=relative, how=how, bytes_before=len(before), bytes_after=len(before) + len(added.encode()))


def replace_file(root: Path, relative: str, source: Path, how: str) -> FileEdit:
    """Put ``source``'s bytes in place of ``root/relative`` (e.g. a curated dependency bump)."""
    target = root / relative
    before = target.stat().st_size if target.exists() else 0
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return FileEdit(path=relative, how=how, bytes_before=before, bytes_after=target.stat().st_size)
