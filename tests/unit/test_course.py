"""`dockopt course init DIR`: a working copy of the shipped course; never a changed user file."""

from __future__ import annotations

import pytest

from dockopt import content, course
from dockopt.cli import main
from dockopt.errors import DockoptError


def test_init_copies_notebooks_samples_and_exercise_starters_without_solutions(tmp_path, capsys):
    assert main(["course", "init", str(tmp_path / "course")]) == 0
    root = tmp_path / "course"
    assert (root / "notebooks" / "00_quickstart.ipynb").is_file()
    assert sorted(p.name for p in (root / "notebooks" / "guide").glob("*.ipynb")) == \
        sorted(p.name for p in (content.notebooks_dir() / "guide").glob("*.ipynb"))
    assert (root / "sample_apps" / "node-express" / "Dockerfile").is_file()
    assert (root / "sample_apps" / "node-express" / ".dockerignore").is_file()
    assert (root / "exercises" / "01-dockerignore" / "starter" / "Dockerfile").is_file()
    assert (root / "exercises" / "01-dockerignore" / "README.md").is_file()
    assert not list(root.glob("exercises/*/solution")), "solutions are for trainers (--with-solutions)"
    assert not (root / "notebooks" / "conftest.py").exists()
    assert not [p for p in root.rglob("*") if p.name in ("node_modules", "__pycache__", ".ipynb_checkpoints")]
    out = capsys.readouterr().out
    assert f"jupyter lab {root}" in out


def test_a_trainer_copy_has_the_solutions(tmp_path):
    done = course.init(tmp_path / "trainer", with_solutions=True)
    assert (done.root / "exercises" / "07-build-secrets" / "solution" / "Dockerfile").is_file()
    assert "exercises/01-dockerignore/solution/.dockerignore" in done.written


def test_a_folder_with_files_is_refused_and_its_files_never_changed(tmp_path, capsys):
    root = tmp_path / "mine"
    (root / "notebooks").mkdir(parents=True)
    mine = root / "notebooks" / "00_quickstart.ipynb"
    mine.write_text("my own notes")
    with pytest.raises(DockoptError, match="not empty") as err:
        course.init(root)
    assert "--into-existing" in err.value.hint
    assert main(["course", "init", str(root)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in root.rglob("*")) == ["00_quickstart.ipynb", "notebooks"]

    done = course.init(root, into_existing=True)
    assert mine.read_text() == "my own notes" and done.kept == ("notebooks/00_quickstart.ipynb",)
    assert (root / "notebooks" / "05_explore.ipynb").is_file() and done.written


def test_a_file_in_place_of_the_folder_is_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(DockoptError, match="not a folder"):
        course.init(tmp_path / "f")
