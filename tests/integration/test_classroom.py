"""A live class on the real engine: two learners × two exercises graded in parallel into one page, the
attempt history kept, an unchanged folder not built again, an edited one graded anew; the page opens
offline in headless Chromium. Images are built in the session's namespace and removed by ``check``."""

from __future__ import annotations

import json
import shutil

import pytest

from dockopt import engine, exercises, naming
from dockopt.cli import main
from dockopt.report.check import check_html
from dockopt.report.classroom import ATTEMPTS_FILE, grade_room


def _left_over() -> list[str]:
    images = engine.list_images(label=naming.LABEL_EXERCISE)
    return [t for img in images for t in img.get("RepoTags") or () if t.startswith(f"{naming.namespace()}/")]


def test_a_class_is_graded_in_parallel_with_its_history(docker_engine, tmp_path, capsys):
    e02, e06 = exercises.load("02"), exercises.load("06")
    room_dir, out = tmp_path / "class", tmp_path / "board"
    shutil.copytree(e06.solution, room_dir / "alice" / e06.name)
    shutil.copytree(e02.starter, room_dir / "alice" / e02.topic)
    shutil.copytree(e06.starter, room_dir / "bob" / e06.name)  # bob has not started 02

    first = grade_room(room_dir, out, exercises=[e02, e06], jobs=2)
    assert first.graded_now == 3
    grid = first.grid.set_index(["learner", "exercise"])
    assert grid.loc[("alice", e06.name), "passed"] and not grid.loc[("bob", e06.name), "passed"]
    assert not grid.loc[("alice", e02.name), "passed"], "the starter fails a criterion"
    assert ("bob", e02.name) not in grid.index

    again = grade_room(room_dir, out, exercises=[e02, e06], jobs=2)
    assert again.graded_now == 0, "nothing changed: nothing built"
    shutil.rmtree(room_dir / "bob" / e06.name)
    shutil.copytree(e06.solution, room_dir / "bob" / e06.name)  # bob catches up
    assert main(["class", "grade", str(room_dir), "-o", str(out), "--exercise", "02", "--exercise", "06",
                 "-q"]) == 0
    lines = (out / ATTEMPTS_FILE).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and json.loads(lines[-1])["learner"] == "bob"
    page = (out / "index.html").read_text(encoding="utf-8")
    bob_before = next(json.loads(x)["card"]["score"] for x in lines if json.loads(x)["learner"] == "bob")
    n = len(e06.criteria)
    assert f"2 attempts: {bob_before} → {n}/{n}" in page
    assert "not started" in page  # bob, exercise 02
    assert check_html(out / "index.html").external_resources == 0
    assert "alice" in capsys.readouterr().out
    assert not _left_over()


def test_calibration_sets_the_size_limit_relative_to_the_solution_measured_here(docker_engine, tmp_path,
                                                                                 monkeypatch):
    from dockopt.exercises.calibrate import calibrate

    limits = tmp_path / "limits.toml"
    monkeypatch.setenv("DOCKOPT_EXERCISE_LIMITS", str(limits))
    table = calibrate(["05"], margin=1.1).set_index("criterion")
    measured = table.loc["size", "solution"]
    assert table.loc["size", "limit"] == pytest.approx(measured * 1.1, abs=1)
    assert table.loc["layers", "limit"] >= table.loc["layers", "solution"]
    ex = exercises.load("05")
    assert ex.criterion("size").calibrated and ex.criterion("size").threshold == table.loc["size", "limit"]
    assert "solution" in limits.read_text(encoding="utf-8")
    assert exercises.check(ex, ex.solution, progress=False).passed
    assert not _left_over()
