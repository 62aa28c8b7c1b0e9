"""One workspace for "copy what the build sends, edit a file in its own comment syntax, rebuild".

Cache scenarios, measured findings (``insight.measure``), exercise grading, the conversion ladder and
the chapters' rebuild experiments all work on a private copy, so the user's tree is never modified::

    with Workspace(context, dockerfiles=[dockerfile]) as ws:      # a temporary copy
        first = ws.build(dockerfile, tag=tag, temporary=True)
        ws.edit_source("src/app.js")                             # one comment line, unique to the call
        again = ws.build(dockerfile, tag=tag, temporary=True)
    # the copy and the temporary images are gone

The copy holds what a build sends (``.dockerignore`` honoured by the docker SDK's own matcher, as
``dockopt.build`` does) plus the Dockerfiles and their ignore files; ``whole=True`` copies the folder as
it is instead (a learner's folder, a cluttered working copy: what the ignore file is meant to keep out).

Edits keep the file valid: a comment line in the file's own syntax (``COMMENT_SYNTAX``, the one table,
in ``dockopt.edits``), or, for JSON which has no comments, trailing whitespace, with a marker no earlier
run wrote (``unique_marker``), so that the steps reading the file miss BuildKit's cache for sure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .edits import (
    COMMENT_SYNTAX,
    WHITESPACE,
    FileEdit,
    comment_syntax,
    edit_file,
    editable,
    replace_file,
    unique_marker,
)
from .errors import DockoptError

if TYPE_CHECKING:  # pragma: no cover
    from .build import BuildResult

__all__ = ["COMMENT_SYNTAX", "WHITESPACE", "FileEdit", "Workspace", "comment_syntax", "copy_sent", "copy_whole",
           "edit_file", "editable", "replace_file", "sent_files", "unique_marker"]


# --- the copy ---------------------------------------------------------------------------------------------


def sent_files(context: Path, dockerfiles: Iterable[Path]) -> set[str]:
    """What builds of ``dockerfiles`` send from ``context`` (``.dockerignore`` honoured), plus the
    Dockerfiles and ignore files that sit inside it: relative POSIX paths."""
    from .project import context_files

    context = context.resolve()
    wanted: set[str] = set()
    for df in dockerfiles:
        df = df if df.is_absolute() else context / df
        wanted |= context_files(context, df)
        for extra in (df, df.with_name(df.name + ".dockerignore")):
            if extra.is_file() and extra.resolve().is_relative_to(context):
                wanted.add(extra.resolve().relative_to(context).as_posix())
    if (context / ".dockerignore").is_file():
        wanted.add(".dockerignore")
    return wanted


def copy_sent(context: Path, dest: Path, dockerfiles: Iterable[Path]) -> Path:
    """Copy what builds of ``dockerfiles`` send from ``context`` (see ``sent_files``) to ``dest``; returns ``dest``."""
    context = context.resolve()
    for rel in sorted(sent_files(context, dockerfiles)):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(context / rel, target, follow_symlinks=False)
    dest.mkdir(parents=True, exist_ok=True)
    return dest


def copy_whole(folder: Path, dest: Path, *, ignore: Sequence[str] = ()) -> Path:
    """Copy ``folder`` as it is (symlinks kept), but for names matching ``ignore``; returns ``dest``."""
    shutil.copytree(folder, dest, symlinks=True, ignore=shutil.ignore_patterns(*ignore) if ignore else None,
                    dirs_exist_ok=True)
    return dest


class Workspace:
    """A private, temporary copy of a build context to edit and rebuild; removed on exit with the images
    built in it as ``temporary``.

    ``dockerfiles``: the builds whose context is copied (default: ``context/Dockerfile``). ``whole``: copy
    the folder as it is (minus ``ignore``) instead of what the builds send. ``name``: the copy's folder name
    (default: the context's). ``ws.root`` is the copy; ``ws.outside(name)`` a folder beside it, not in the
    build context (build secrets)."""

    def __init__(self, context: str | os.PathLike[str], *, dockerfiles: Sequence[str | os.PathLike[str]] = (),
                 whole: bool = False, ignore: Sequence[str] = (), name: str | None = None,
                 prefix: str = "dockopt-workspace-") -> None:
        self.context = Path(context).resolve()
        if not self.context.is_dir():
            raise DockoptError(f"{self.context} is not a folder", hint="a workspace copies a build context folder")
        given = [Path(d) for d in dockerfiles] or [Path("Dockerfile")]
        self.dockerfiles = [d if d.is_absolute() else self.context / d for d in given]
        self.whole, self.ignore, self.prefix = whole, tuple(ignore), prefix
        self.name = name or self.context.name or "context"
        self._base: Path | None = None
        self._temporary: list[str] = []

    def __enter__(self) -> Workspace:
        self._base = Path(tempfile.mkdtemp(prefix=self.prefix))
        try:
            if self.whole:
                copy_whole(self.context, self.root, ignore=self.ignore)
            else:
                copy_sent(self.context, self.root, self.dockerfiles)
        except BaseException:
            shutil.rmtree(self._base, ignore_errors=True)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Remove the temporary images and the copy (best effort: an image in use stays, labelled as the run's)."""
        if self._temporary:
            from . import engine

            for tag in dict.fromkeys(self._temporary):
                try:
                    if engine.image_exists(tag):
                        engine.remove_image(tag, force=True)
                except DockoptError:
                    pass
            self._temporary.clear()
        if self._base is not None:
            shutil.rmtree(self._base, ignore_errors=True)
            self._base = None

    @property
    def root(self) -> Path:
        """The copy of the context."""
        if self._base is None:
            raise DockoptError("the workspace is not open", hint="use it in a `with Workspace(...) as ws:` block")
        return self._base / self.name

    def outside(self, name: str) -> Path:
        """A folder beside the copy, outside the build context (e.g. build secrets); created."""
        folder = self.root.parent / name
        folder.mkdir(exist_ok=True)
        return folder

    def path(self, relative: str | os.PathLike[str]) -> Path:
        """``relative`` (to the context) inside the copy."""
        return self.root / relative

    def dockerfile(self, dockerfile: str | os.PathLike[str]) -> Path:
        """The copy's Dockerfile for one of the context's (absolute or relative to it); a Dockerfile
        outside the context is read where it is."""
        df = Path(dockerfile)
        df = df if df.is_absolute() else self.context / df
        return self.root / df.relative_to(self.context) if df.is_relative_to(self.context) else df

    def edit_source(self, relative: str, marker: str | None = None) -> FileEdit:
        """Append one comment line to a source file of the copy, in its own syntax (unique to this call
        unless ``marker`` is given)."""
        return edit_file(self.path(relative), relative=relative, marker=marker or unique_marker("dockopt source edit"))

    def touch_manifest(self, relative: str, marker: str | None = None) -> FileEdit:
        """Change a dependency manifest of the copy by bytes that keep it valid (a comment, whitespace for JSON)."""
        return edit_file(self.path(relative), relative=relative,
                         marker=marker or unique_marker("dockopt dependency change"))

    def replace_file(self, relative: str, source: Path, how: str) -> FileEdit:
        """Put ``source``'s bytes in place of a file of the copy (e.g. a curated dependency bump)."""
        return replace_file(self.root, relative, source, how)

    def build(self, dockerfile: str | os.PathLike[str] = "Dockerfile", *, temporary: bool = False,
              **options: Any) -> BuildResult:
        """Build the copy with ``dockerfile`` (one of the context's, mapped into the copy); ``options`` go to
        ``dockopt.build.build`` (tag, target, build_args, labels, progress, no_cache...). ``temporary``:
        remove the tag when the workspace closes."""
        from .build import build

        tag = options.get("tag")
        if temporary and tag:
            self._temporary.append(str(tag))
        return build(self.root, self.dockerfile(dockerfile), **options)

    def rebuild_after_edit(self, dockerfile: str | os.PathLike[str], relative: str, *, marker: str | None = None,
                           temporary: bool = True, **options: Any) -> tuple[BuildResult, BuildResult]:
        """Build, append one comment line to ``relative`` (unique unless ``marker``), build again:
        (the build before, the build after), whose steps say what the edit reran."""
        before = self.build(dockerfile, temporary=temporary, **options)
        self.edit_source(relative, marker=marker)
        return before, self.build(dockerfile, temporary=temporary, **options)
