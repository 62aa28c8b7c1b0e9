"""The exercises stay honest, on real builds: every solution passes its check, and every starter is a
working app (it builds, it answers its health check) that fails at least one criterion. A class of
two learners makes one offline scoreboard; a half-done attempt fails for the reason its hint names.

Images are built in the test session's namespace with its label and removed by ``check`` itself."""

from __future__ import annotations

import shutil

import pytest

from dockopt import engine, exercises, naming
from dockopt.cli import main
from dockopt.report.check import check_html
from dockopt.report.scoreboard import class_report

ALL = exercises.all_exercises()


def _left_over(ex: exercises.Exercise) -> list[str]:
    """Tags of this exercise's images still in the engine (check removes what it built)."""
    images = engine.list_images(label=f"{naming.LABEL_EXERCISE}={ex.name}")
    return [t for img in images for t in img.get("RepoTags") or () if t.startswith(f"{naming.namespace()}/")]


@pytest.mark.parametrize("ex", ALL, ids=[e.name for e in ALL])
def test_the_solution_passes_every_criterion(docker_engine, ex):
    card = exercises.check(ex, ex.solution, progress=False)
    assert card.passed, card.to_text()
    assert card.criteria["measured"].notna().all()
    assert not _left_over(ex)


@pytest.mark.parametrize("ex", ALL, ids=[e.name for e in ALL])
def test_the_starter_works_and_fails_at_least_one_criterion(docker_engine, ex):
    card = exercises.check(ex, ex.starter, progress=False)
    assert card.build_error is None, card.build_error
    rows = card.criteria.set_index("kind")
    assert bool(rows.loc["health", "passed"]), f"the starter must be a working app:\n{card.to_text()}"
    assert not card.passed and card.n_passed < card.n_criteria, card.to_text()
    assert card.criteria["measured"].notna().all(), card.to_text()
    assert not _left_over(ex)


def test_a_venv_python_on_distroless_fails_health_as_the_hint_says(docker_engine, tmp_path):
    """The trap of exercise 08: the venv's python links to the builder's interpreter, absent on distroless."""
    ex = exercises.load("08")
    attempt = tmp_path / "attempt"
    shutil.copytree(ex.solution, attempt)
    dockerfile = attempt / "Dockerfile"
    text = dockerfile.read_text()
    text = text.replace("RUN python3 -m venv --without-pip /venv", "RUN python3 -m venv /venv")
    text = text.replace("COPY --from=venv /venv/lib/python3.11/site-packages /venv/lib/python3.11/site-packages",
                        "COPY --from=venv /venv /venv")
    text = text.replace('ENTRYPOINT ["python3", "/app/app.py"]', 'ENTRYPOINT ["/venv/bin/python", "/app/app.py"]')
    dockerfile.write_text(text)
    card = exercises.check(ex, attempt, progress=False)
    rows = card.criteria.set_index("criterion")
    assert not rows.loc["health", "passed"]
    assert rows.loc["health", "shown"] == "did not start"
    assert '"/venv/bin/python": stat /venv/bin/python: no such file' in rows.loc["health", "detail"]
    assert "/usr/local/bin/python3" in rows.loc["health", "hint"]
    assert rows.loc["no-shell", "passed"] and rows.loc["non-root", "passed"]
    # the refused start left a created container behind before engine.running created and started apart
    left = [c for c in engine.client().containers.list(all=True, ignore_removed=True)
            if c.attrs["Config"]["Image"] == card.image]
    assert not left, [c.status for c in left]


def test_a_class_report_grades_each_learner_into_one_offline_page(docker_engine, tmp_path, capsys):
    ex = exercises.load("06")
    learners = tmp_path / "class"
    shutil.copytree(ex.solution, learners / "alice")
    shutil.copytree(ex.starter, learners / "bob")
    (learners / "carol").mkdir()  # submitted nothing
    out = tmp_path / "scoreboard.html"
    assert main(["exercise", "report", "06", "--class", str(learners), "-o", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "1/3 learners passed every criterion" in printed and str(out) in printed
    html = out.read_text(encoding="utf-8")
    assert ">alice<" in html and ">bob<" in html and "no Dockerfile in the folder" in html
    assert "Offline stand-ins" in html or "Base images:" in html
    seen = check_html(out)
    assert seen.external_resources == 0
    report = class_report(ex, learners, tmp_path / "again.html", progress=False)
    table = report.learners.set_index("learner")
    assert table.loc["alice", "passed"] and not table.loc["bob", "passed"] and not table.loc["carol", "passed"]
    assert set(report.criteria["learner"]) == {"alice", "bob", "carol"}
    assert not _left_over(ex)


def test_check_exits_0_on_a_pass_and_1_on_a_fail(docker_engine, capsys):
    assert main(["exercise", "check", "06", "--solution", "-q"]) == 0
    n = len(exercises.load("06").criteria)
    assert f"score: {n}/{n}, passed" in capsys.readouterr().out
    assert main(["exercise", "check", "06", "--starter", "-q"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  non-root" in out and "hint: " in out
