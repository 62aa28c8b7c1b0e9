"""A learner's (or trainer's) working copy of the course: ``init(DIR)`` → ``jupyter lab DIR``.

The course ships with the package (``dockopt.content``); ``init`` copies it into a folder the user
owns: the notebooks (chapters in ``notebooks/guide/``), the sample applications and the exercises
(their README, ``exercise.toml`` and starter; the solutions only for a trainer, ``with_solutions``).
It never changes a file that is already there: into a non-empty folder it copies only when told
(``into_existing``), and then only the files that are missing.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import content
from .errors import DockoptError

#: Files of the shipped tree that are the repository's, not the learner's (nbval's notebook setup).
NOT_FOR_LEARNERS = ("notebooks/conftest.py",)


@dataclass(frozen=True)
class CourseCopy:
    """What ``init`` did: the folder, the files it wrote and those it left as they were (relative paths)."""

    root: Path
    written: tuple[str, ...]
    kept: tuple[str, ...]
    with_solutions: bool

    @property
    def next_step(self) -> str:
        return f"jupyter lab {self.root}"


def _junk(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in content.JUNK)


def course_files(*, with_solutions: bool = False) -> list[tuple[Path, str]]:
    """Each shipped file of the course as (where it is, its path in a copy), in a stable order."""
    found: list[tuple[Path, str]] = []
    for name in content.COURSE:
        root = content.course_dir(name)
        for folder, dirs, files in os.walk(root, followlinks=True):
            here = Path(folder)
            rel_dir = here.relative_to(root)
            dirs[:] = sorted(d for d in dirs if not _junk(d)
                             and not (name == "exercises" and d == "solution" and not with_solutions
                                      and len(rel_dir.parts) == 1))
            for f in sorted(files):
                rel = (Path(name) / rel_dir / f).as_posix()
                if not _junk(f) and rel not in NOT_FOR_LEARNERS:
                    found.append((here / f, rel))
    return found


def init(directory: str | os.PathLike[str], *, with_solutions: bool = False,
         into_existing: bool = False) -> CourseCopy:
    """Copy the course into ``directory`` (created if needed) and return what was written.

    A non-empty ``directory`` is refused unless ``into_existing``; then only missing files are
    written and every file already there is kept byte for byte. ``with_solutions``: also the
    exercises' ``solution/`` folders (for a trainer; learners grade their own copy of the starter).
    """
    root = Path(directory).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise DockoptError(f"{root} exists and is not a folder", hint="name a new or empty folder")
    if root.is_dir() and any(root.iterdir()) and not into_existing:
        raise DockoptError(f"{root} is not empty: dockopt course init does not write into a folder with files",
                           hint="name a new folder, or add --into-existing to copy only the files that are "
                                "missing there (nothing that exists is changed)")
    written, kept = [], []
    for src, rel in course_files(with_solutions=with_solutions):
        dest = root / rel
        if dest.exists() or dest.is_symlink():
            kept.append(rel)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        shutil.copymode(src, dest)  # scripts stay executable
        written.append(rel)
    return CourseCopy(root=root, written=tuple(written), kept=tuple(kept), with_solutions=with_solutions)
