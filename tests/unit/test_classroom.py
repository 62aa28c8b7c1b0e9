"""The classroom without an engine: hints open one at a time and are kept outside the learner's folder,
every exercise carries tiered hints (none left in its README), and the class page (learners × exercises,
attempt history, bases per learner) rendered from scorecards recorded on real checks
(tests/fixtures/exercises, see record.py there)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from dockopt import exercises
from dockopt.cli import main
from dockopt.errors import ExerciseError
from dockopt.exercises.hints import hint, state_file
from dockopt.report.classroom import Attempt, ClassRoom, classroom_html, exercise_folder, folder_digest
from tests.conftest import FIXTURES

RECORDED = FIXTURES / "exercises"


def recorded(name: str, learner: str) -> exercises.Scorecard:
    card = exercises.Scorecard.from_record(json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8")))
    return dataclasses.replace(card, learner=learner)


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.mark.parametrize("ex", exercises.all_exercises(), ids=lambda e: e.name)
def test_every_exercise_has_tiered_hints_and_its_readme_gives_none_away(ex):
    assert len(ex.hints) >= 2
    readme = ex.readme.read_text(encoding="utf-8")
    assert "dockopt exercise hint" in readme
    for h in ex.hints:
        assert h not in readme


def test_hints_open_one_at_a_time_per_folder_and_never_write_there(tmp_path):
    ex = exercises.load("03")
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    mine.mkdir()
    theirs.mkdir()
    first = hint(ex, mine)
    assert first.opened == ex.hints[:1] and first.newly_opened
    assert hint(ex, mine).opened == ex.hints[:2]
    assert hint(ex, mine, show_opened=True).opened == ex.hints[:2], "--all opens nothing new"
    assert hint(ex, theirs).opened == ex.hints[:1], "another folder starts over"
    for _ in range(len(ex.hints) + 2):
        last = hint(ex, mine)
    assert last.exhausted and last.opened == ex.hints and "last hint" in last.to_text()
    assert hint(ex, mine, reset=True).opened == ()
    assert list(mine.iterdir()) == [] and state_file().is_file()


def test_the_hint_command_prints_the_next_hint(tmp_path, capsys):
    assert main(["exercise", "hint", "09", "--path", str(tmp_path)]) == 0
    assert "hint 1 of" in capsys.readouterr().out


def test_hints_must_be_a_list_of_strings(tmp_path):
    folder = tmp_path / "01-x"
    folder.mkdir()
    (folder / "exercise.toml").write_text('title = "t"\nlevel = "easy"\nhints = ["a", 3]\n[app]\nport = 80\n'
                                          '[[criteria]]\nkind = "non_root"\nhint = "h"\n')
    with pytest.raises(ExerciseError, match="hints"):
        exercises.load_spec(folder / "exercise.toml")


def test_a_folder_digest_changes_with_content_not_with_build_outputs(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    before = folder_digest(tmp_path)
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.js").write_text("1")
    assert folder_digest(tmp_path) == before
    (tmp_path / "Dockerfile").write_text("FROM scratch\nUSER 1\n")
    assert folder_digest(tmp_path) != before


def test_a_learner_exercise_folder_is_found_in_each_layout(tmp_path):
    ex = exercises.load("05")
    for rel in (ex.name, ex.topic, f"exercises/{ex.name}/starter"):
        learner = tmp_path / rel.replace("/", "_")
        (learner / rel).mkdir(parents=True)
        (learner / rel / "Dockerfile").write_text("FROM scratch\n")
        assert exercise_folder(learner, ex) == learner / rel
    assert exercise_folder(tmp_path / "nobody", ex) is None


def test_the_class_page_is_learners_by_exercises_with_history_and_bases(tmp_path):
    from dockopt.report.check import external_resources

    attempts = (
        Attempt("bob", "05-apt-hygiene", "d1", "2026-12-07T10:00:00+00:00", recorded("05-starter", "bob")),
        Attempt("bob", "05-apt-hygiene", "d2", "2026-12-07T10:05:00+00:00", recorded("05-solution", "bob")),
        Attempt("alice", "02-layer-order", "d3", "2026-12-07T10:01:00+00:00", recorded("02-starter", "alice")),
        Attempt("carol", "06-nonroot-healthcheck", "d4", "2026-12-07T10:02:00+00:00",
                recorded("06-broken", "carol")),
    )
    room = ClassRoom(class_dir=str(tmp_path), html_path="", attempts=attempts, graded_now=4, grading_s=1.0)
    grid = room.grid.set_index(["learner", "exercise"])
    assert grid.loc[("bob", "05-apt-hygiene"), "attempts"] == 2 and grid.loc[("bob", "05-apt-hygiene"), "passed"]
    assert not grid.loc[("alice", "02-layer-order"), "passed"]
    names = ["02-layer-order", "05-apt-hygiene", "06-nonroot-healthcheck"]
    page = classroom_html(room, names, ["alice", "bob", "carol"], refresh_s=10)
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "http-equiv='refresh' content='10'" in page
    starter, solution = recorded("05-starter", "bob"), recorded("05-solution", "bob")
    assert f"2 attempts: {starter.score} → {solution.score}" in page
    assert page.count("not started") == 6, "3 learners × 3 exercises, 3 cells attempted"
    assert "did not build" in page or "not graded" in page or "Dockerfile" in page
    for base in solution.bases:
        assert base in page
    # the page opens offline: nothing fetched from another host (drawn in Chromium by the browser tier)
    assert external_resources(classroom_html(room, names, ["alice", "bob", "carol"])) == 0


def test_calibrated_limits_replace_base_dependent_ones_and_say_so(tmp_path, monkeypatch):
    from dockopt.exercises.limits import apply_limits, read_limits
    from dockopt.exercises.scorecard import limit_text

    limits = tmp_path / "limits.toml"
    limits.write_text('["04-spa-nginx"]\nsize = 230000000\nhealth = 1\n', encoding="utf-8")
    monkeypatch.setenv("DOCKOPT_EXERCISE_LIMITS", str(limits))
    ex = exercises.load("04")
    size = ex.criterion("size")
    assert size.threshold == 230_000_000 and size.calibrated and "calibrated here" in limit_text(size)
    assert not ex.criterion("health").calibrated, "only base-dependent kinds are calibrated"
    assert read_limits(limits)["04-spa-nginx"]["size"] == 230_000_000
    assert apply_limits(exercises.load_spec(ex.root / "exercise.toml"), {}).criterion("size").threshold < 230e6
    limits.write_text("not toml [", encoding="utf-8")
    with pytest.raises(ExerciseError, match="calibrated exercise limits"):
        exercises.load("04")


def _executed_chapter(folder, name, title, duration_s, outputs):
    """A rendered chapter as ``dockopt report`` leaves it: HTML beside its executed notebook, whose outputs
    hold the story records the notebook's ``report.headline``/``claim``/``conclusion`` calls displayed."""
    import nbformat

    from dockopt.report.story import STORY_MIME

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\n**Question.** Does it hold?\n"),
                nbformat.v4.new_code_cell("...", outputs=[nbformat.v4.new_output(
                    "display_data", data={STORY_MIME: r.record(), "text/plain": "x"}) for r in outputs])]
    nb.metadata["papermill"] = {"duration": duration_s, "parameters": {}}
    (folder / "_executed").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "_executed" / f"{name}.ipynb")
    (folder / f"{name}.html").write_text("<html></html>", encoding="utf-8")


def test_the_trainer_kit_is_built_from_the_rendered_chapters(tmp_path):
    from dockopt.report import story
    from dockopt.report.trainer import WORK_MIN, trainer_kit

    reports = tmp_path / "reports"
    _executed_chapter(reports, "02_multi_stage", "02 · What a multi-stage build buys", 300.0, [
        story.Headline("all samples (sum)", 4e9, 6e8),
        story.Claim("multi-stage size", "80-90 % smaller", "85-99 % over 8 images", "partly"),
        story.Conclusion("Across 8 images the build is smaller. More.")])
    _executed_chapter(reports, "09_performance_security", "09 Performance and security", 900.0, [
        story.Claim("scanning", "scan images", "no scanner installed", "not measured"),
        story.Claim("minimal runtime base", "alpine is small", "the smallest is alpine", "holds")])
    _executed_chapter(reports, "05_explore", "Explore an image", 30.0, [])  # a themed notebook, not a chapter
    room = tmp_path / "room"
    room.mkdir()
    (room / "room.json").write_text(json.dumps([{"exercise": "03-multistage-node", "solution_s": 30.0,
                                                 "starter_s": 20.0}]), encoding="utf-8")
    kit = trainer_kit(reports, tmp_path / "kit", room_dir=room)
    assert [c["number"] for c in kit.chapters] == ["02", "09"]
    assert {c["topic"] for c in kit.wrong_or_incomplete} == {"multi-stage size", "scanning"}
    two_hours = kit.sessions["two-hour"]
    assert sum(b.minutes for b in two_hours) <= 120
    ex03 = next(b for b in kit.sessions["half-day"] if b.name == "03-multistage-node")
    assert ex03.minutes == pytest.approx(WORK_MIN["medium"] + 3 * 25.0 / 60, abs=0.1)
    assert "a check takes 25" in ex03.basis
    chapter09 = next(b for b in kit.sessions["half-day"] if b.name == "09_performance_security")
    assert "shown from its report" in chapter09.basis  # 15 min is too long to run live
    md = (tmp_path / "kit" / "trainer.md").read_text(encoding="utf-8")
    assert "## Where the guide is wrong or incomplete, measured" in md and "85-99 % over 8 images" in md
    assert "| 03-multistage-node | medium | 02 · What a multi-stage build buys, 04 |" in md
    page = (tmp_path / "kit" / "trainer.html").read_text(encoding="utf-8")
    assert "<script" not in page and "http" not in page and "all samples (sum): 4 GB → 600 MB, 85.0 % smaller" in page


def test_the_kit_needs_rendered_chapters(tmp_path):
    from dockopt.errors import DockoptError
    from dockopt.report.trainer import trainer_kit

    with pytest.raises(DockoptError, match="no rendered course chapters"):
        trainer_kit(tmp_path)
