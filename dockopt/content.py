"""Where the content shipped with dockopt lives: the only module that locates it.

The course (``notebooks/``, ``sample_apps/``, ``exercises/``) sits at the repository root, where people
and tests use it, and ships in the wheel as package data under ``dockopt/_content/`` (in the checkout
those are symlinks to the root folders; the wheel holds copies). Files the package reads itself (the
report template) sit inside the package. Everything is found through ``importlib.resources``, so a
wheel installed anywhere finds it, an editable install and a checkout on ``PYTHONPATH`` find the
checkout's folders, and nothing depends on the current directory.

Three settings point elsewhere (a trainer's own copy, a test's fixture):

| variable | default | what |
|---|---|---|
| ``DOCKOPT_SAMPLES_DIR`` | the installed ``sample_apps/`` | the sample applications |
| ``DOCKOPT_EXERCISES_DIR`` | the installed ``exercises/`` | the exercises |
| ``DOCKOPT_GUIDE_EXAMPLES`` | the installed ``notebooks/guide/examples/`` | the guide's recipes |
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Literal

from . import settings
from .errors import DockoptError

#: The course folders the package ships, by name (the same names as at the repository root).
Course = Literal["notebooks", "sample_apps", "exercises"]
COURSE: tuple[Course, ...] = ("notebooks", "sample_apps", "exercises")


#: What is never part of the shipped content (the wheel excludes it; ``course init`` does not copy it).
JUNK = ("node_modules", "__pycache__", ".ipynb_checkpoints", ".pytest_cache", "*.pyc")


def package_path(*parts: str) -> Path:
    """A file or folder inside the installed ``dockopt`` package, as a real path (builds, notebooks and
    templates need files on disk). ``DockoptError`` when the package is not installed as files."""
    where = resources.files("dockopt").joinpath(*parts)
    path = Path(str(where))
    if not isinstance(where, Path) and not path.exists():
        raise DockoptError(f"dockopt is installed in a form whose files cannot be read from disk ({where})",
                           hint="install dockopt as files: pip install dockopt (not from a zip)")
    return path


def course_dir(name: Course) -> Path:
    """The shipped course folder ``name`` (``notebooks``, ``sample_apps`` or ``exercises``)."""
    if name not in COURSE:
        raise DockoptError(f"no course folder {name!r}", hint="one of: " + ", ".join(COURSE))
    return package_path("_content", name)


def samples_dir() -> Path:
    """Where the samples live: ``$DOCKOPT_SAMPLES_DIR``, else the installed ``sample_apps/``."""
    found = settings.samples_dir()
    return found.expanduser() if found is not None else course_dir("sample_apps")


def exercises_dir() -> Path:
    """Where the exercises live: ``$DOCKOPT_EXERCISES_DIR``, else the installed ``exercises/``."""
    found = settings.exercises_dir()
    return found.expanduser() if found is not None else course_dir("exercises")


def notebooks_dir() -> Path:
    """The installed course notebooks (``notebooks/``, chapters in ``notebooks/guide/``)."""
    return course_dir("notebooks")


def guide_dir(*parts: str) -> Path:
    """A folder of the guide's own files (``ladder``, ``pitfalls``, ...) under ``notebooks/guide/``."""
    return notebooks_dir().joinpath("guide", *parts)


def examples_dir() -> Path:
    """Where the guide's recipes live: ``$DOCKOPT_GUIDE_EXAMPLES``, else ``notebooks/guide/examples/``."""
    found = settings.guide_examples_dir()
    return found.expanduser() if found is not None else guide_dir("examples")


def report_template_dir() -> Path:
    """The nbconvert template and the landing page reports are rendered with."""
    return package_path("report_template")


def notebooks(folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """The notebooks of a course folder (default: the installed one): its own ``*.ipynb``, then the
    chapters in ``guide/``, each in name order."""
    root = Path(folder) if folder is not None else notebooks_dir()
    if not root.is_dir():
        raise DockoptError(f"{root} is not a folder", hint="name a folder of notebooks, or notebooks themselves")
    return [*sorted(root.glob("*.ipynb")), *sorted((root / "guide").glob("*.ipynb"))]
