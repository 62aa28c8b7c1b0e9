"""Exercises without an engine: every exercise folder is complete and its spec valid, bad specs are
refused with the field named, the measurements' pure parts, and scorecards / the class scoreboard
rendered from scorecards recorded on real checks (tests/fixtures/exercises, see record.py there)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from dockopt import exercises, secrets
from dockopt.errors import ExerciseError
from dockopt.exercises import grade
from dockopt.exercises.spec import load_spec
from dockopt.image.table import FileTable
from dockopt.report.scoreboard import scoreboard_html
from tests.conftest import FIXTURES, REPO

RECORDED = FIXTURES / "exercises"
ALL = exercises.all_exercises()


def recorded(name: str) -> exercises.Scorecard:
    return exercises.Scorecard.from_record(json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8")))


# --- the exercise folders ----------------------------------------------------------------------------------


def test_at_least_eight_exercises_numbered_in_order_from_easy_to_hard():
    names = [e.name for e in ALL]
    assert len(names) >= 8
    assert [e.number for e in ALL] == list(range(1, len(ALL) + 1))
    levels = [exercises.LEVELS.index(e.level) for e in ALL]
    assert levels == sorted(levels), "the levels must not go down along the numbering"
    assert ALL[0].level == "easy" and ALL[-1].level == "hard"


@pytest.mark.parametrize("ex", ALL, ids=[e.name for e in ALL])
def test_each_exercise_has_a_task_a_starter_and_a_solution(ex):
    assert ex.readme.is_file() and ex.title
    text = ex.readme.read_text(encoding="utf-8")
    for part in ("**Goal.**", "**What to change.**", "**Criteria**", "**Hints"):
        assert part in text, f"{ex.readme} lacks {part}"
    for c in ex.criteria:
        assert f"`{c.id}`" in text, f"{ex.readme} does not describe criterion {c.id}"
    for folder in (ex.starter, ex.solution):
        assert (folder / ex.dockerfile).is_file()
    # the same app on both sides: every source file of the starter is in the solution, unchanged
    for f in ex.starter.rglob("*"):
        rel = f.relative_to(ex.starter)
        if f.is_file() and rel.name not in (ex.dockerfile, ".dockerignore"):
            assert (ex.solution / rel).read_bytes() == f.read_bytes(), f"{rel} differs between starter and solution"
    # health is graded everywhere: a starter must be a working app (tests/integration checks it does)
    assert any(c.kind == "health" for c in ex.criteria)
    for c in ex.criteria:
        if c.kind in ("rebuild_steps", "reused_after_edit"):
            assert (ex.starter / c.edit).is_file() and (ex.solution / c.edit).is_file()


def test_the_set_covers_the_issue_criteria():
    kinds = {c.kind for e in ALL for c in e.criteria}
    assert {"size", "compressed_size", "rebuild_steps", "non_root", "health", "no_secrets", "no_compiler",
            "files_absent", "no_shell", "layers", "healthcheck"} <= kinds
    # what the exercises are for, tried on the running image, not only read off its files
    assert {"ca_bundle", "detects_failure", "reused_after_edit"} <= kinds


@pytest.mark.parametrize("asked", ["01-dockerignore", "01", "1", "dockerignore", "exercises/01-dockerignore/"])
def test_an_exercise_is_found_by_number_topic_or_folder(asked):
    assert exercises.load(asked).name == "01-dockerignore"


def test_an_unknown_exercise_lists_the_known_ones():
    with pytest.raises(ExerciseError) as err:
        exercises.load("kubernetes")
    assert "no exercise called 'kubernetes'" in str(err.value) and "01-dockerignore" in err.value.hint


def test_the_catalog_lists_every_exercise():
    table = exercises.catalog()
    assert list(table["name"]) == exercises.names()
    assert list(table.columns) == ["name", "level", "title", "summary", "criteria"]


# --- spec validation -------------------------------------------------------------------------------------

GOOD = """
title = "t"
level = "easy"
[app]
port = 8080
[[criteria]]
kind = "size"
max_bytes = 1_000
hint = "h"
"""


def write_spec(tmp_path: Path, text: str, name: str = "07-thing") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "exercise.toml").write_text(text, encoding="utf-8")
    return folder / "exercise.toml"


def test_a_minimal_spec_gets_its_defaults(tmp_path):
    ex = load_spec(write_spec(tmp_path, GOOD))
    assert (ex.name, ex.number, ex.topic, ex.health_path, ex.dockerfile) == ("07-thing", 7, "thing", "/health",
                                                                              "Dockerfile")
    (c,) = ex.criteria
    assert (c.id, c.threshold, c.unit, c.title) == ("size", 1000.0, "bytes", "image size")


@pytest.mark.parametrize("change, words", [
    (('kind = "size"', 'kind = "sise"'), "criteria[0].kind: unknown kind 'sise'"),
    (('hint = "h"', ''), "criteria[0].hint: missing"),
    (('max_bytes = 1_000', 'max_steps = 1'), "criteria[0].max_steps: does not apply to kind 'size'"),
    (('max_bytes = 1_000', 'max_bytes = "1 MB"'), "criteria[0].max_bytes: expected an integer"),
    (('max_bytes = 1_000', 'max_bytes = true'), "criteria[0].max_bytes: expected an integer"),
    (('level = "easy"', 'level = "trivial"'), "field level: 'trivial' is not one of easy, medium, hard"),
    (('port = 8080', 'port = 80800'), "field app.port: 80800 is not a TCP port"),
    (('port = 8080', 'port = 8080\ndockerfile = "../Dockerfile"'), "field app.dockerfile: '../Dockerfile' must be"),
    (('title = "t"', 'title = "t"\ncolour = "red"'), "field colour: unknown field"),
    (('kind = "size"\nmax_bytes = 1_000', 'kind = "files_absent"'), "criteria[0].paths: a list of absolute paths"),
    (('kind = "size"\nmax_bytes = 1_000', 'kind = "rebuild_steps"\nmax_steps = 1'), "criteria[0].edit: missing"),
    (('kind = "size"\nmax_bytes = 1_000', 'kind = "reused_after_edit"\nedit = "src/app.js"'),
     "criteria[0].paths: a list of absolute paths"),
    (('kind = "size"\nmax_bytes = 1_000', 'kind = "reused_after_edit"\npaths = ["/app/node_modules"]'),
     "criteria[0].edit: missing"),
    (('kind = "size"\nmax_bytes = 1_000', 'kind = "size"\nmax_bytes = 1_000\nedit = "src/app.js"'),
     "criteria[0].edit: does not apply to kind 'size'"),
    (('kind = "size"\nmax_bytes = 1_000', 'kind = "non_root"\nany_layer = true'),
     "criteria[0].any_layer: applies to files_absent only"),
    (('[[criteria]]', 'x = [\n[[criteria]]'), "not valid TOML"),
])
def test_a_bad_spec_names_the_field_and_what_is_wrong(tmp_path, change, words):
    old, new = change
    assert old in GOOD
    with pytest.raises(ExerciseError) as err:
        load_spec(write_spec(tmp_path, GOOD.replace(old, new, 1)))
    assert words in str(err.value)
    assert "exercise.toml" in str(err.value)


def test_two_criteria_with_one_id_are_refused(tmp_path):
    twice = GOOD + '[[criteria]]\nkind = "size"\nmax_bytes = 5\nhint = "h"\n'
    with pytest.raises(ExerciseError, match="two criteria are called 'size'"):
        load_spec(write_spec(tmp_path, twice))


def test_a_folder_not_named_nn_topic_is_refused(tmp_path):
    with pytest.raises(ExerciseError, match="named NN-topic"):
        load_spec(write_spec(tmp_path, GOOD, name="thing"))


def test_a_token_needs_an_argument_or_a_secret(tmp_path):
    with pytest.raises(ExerciseError, match="token.arg: a token needs"):
        load_spec(write_spec(tmp_path, GOOD + "[token]\n"))
    ex = load_spec(write_spec(tmp_path, GOOD + '[token]\nsecret = "npm_token"\n', name="08-other"))
    assert ex.token == exercises.Token(arg=None, secret="npm_token")


# --- inputs: fake credentials, the private copy -----------------------------------------------------------


def test_a_fake_github_token_is_what_the_secret_scanner_recognises():
    tokens = {exercises.fake_github_token() for _ in range(20)}
    assert len(tokens) == 20
    for token in tokens:
        assert re.fullmatch(r"ghp_[A-Za-z0-9]{36}", token)
        assert secrets._checksum_ok(token)
        assert [rule for rule, _ in secrets.scan_contents("/app/config.txt", f"token={token}\n".encode())]


def test_the_private_copy_plants_fresh_secrets_and_leaves_the_learner_folder_alone(tmp_path):
    ex = exercises.load("01")
    learner = tmp_path / "mine"
    learner.mkdir()
    (learner / "Dockerfile").write_text("FROM scratch\n")
    copies = [grade.private_copy(ex, learner, tmp_path / f"copy{i}") for i in range(2)]
    assert sorted(p.name for p in learner.iterdir()) == ["Dockerfile"]
    envs = [(c / ".env").read_text() for c in copies]
    assert "{random}" not in envs[0] and envs[0] != envs[1]
    values = re.findall(r"=(\S+)", envs[0])
    assert len(set(values)) == len(values), "each {random} gets its own value"
    assert (copies[0] / ".git" / "HEAD").is_file() and (copies[0] / "node_modules" / "nodemon").is_dir()
    found = secrets.scan_contents("/app/.env", envs[0].encode())
    assert len(found) == 2, found  # SESSION_SECRET and DATABASE_PASSWORD; PORT is no secret


def test_a_learner_folder_without_the_dockerfile_says_what_to_do(tmp_path):
    ex = exercises.load("02")
    with pytest.raises(ExerciseError) as err:
        grade.learner_folder(ex, tmp_path)
    assert "has no Dockerfile" in str(err.value) and "cp -r" in err.value.hint and "--path" in err.value.hint


def test_an_edit_is_a_comment_in_the_file_own_syntax(tmp_path):
    for name, prefix in (("app.js", "//"), ("app.py", "#"), ("index.html", "<!--"), ("style.css", "/*")):
        f = tmp_path / name
        f.write_text("x\n")
        grade.append_comment(f, "edited 1234")
        assert f.read_text().splitlines()[-1].startswith(f"{prefix} edited 1234")


def test_secret_mounts_are_read_from_the_dockerfile():
    ex = exercises.load("07")
    assert grade._mounted_secrets(ex.solution / "Dockerfile") == {"api_token"}
    assert grade._mounted_secrets(ex.starter / "Dockerfile") == set()


def test_image_tags_are_valid_whatever_the_folder_is_called(monkeypatch):
    monkeypatch.setenv("DOCKOPT_NAMESPACE", "dockopt-test-x")
    ex = exercises.load("01")
    assert grade.image_tag(ex, "Zoë's copy (v2)") == "dockopt-test-x/exercise-01-dockerignore:Zo-s-copy-v2"
    assert grade.image_tag(ex, "alice", "edited").endswith(":alice-edited")


# --- measurements over recorded or hand-made facts ----------------------------------------------------------


def table(rows: list[tuple[int, str, str, bool]]) -> FileTable:
    """A file table of (layer, path, kind, visible) rows."""
    frame = pd.DataFrame([{"layer": layer, "path": p, "kind": kind, "size_bytes": 1, "mode": 0o644, "uid": 0,
                           "gid": 0, "link_target": "", "change": "added", "visible": visible}
                          for layer, p, kind, visible in rows])
    return FileTable.from_frame(frame)


FILES = table([
    (0, "/usr/local/bin/node", "file", True),
    (1, "/app/.git", "dir", True), (1, "/app/.git/HEAD", "file", True), (1, "/app/.git/config", "file", True),
    (1, "/app/.gitignore", "file", True),
    (1, "/var/lib/apt/lists/x_Packages.lz4", "file", False),
    (2, "/var/lib/apt/lists/x_Packages.lz4", "whiteout", True),
    (2, "/etc/ssl/certs/ca-certificates.crt", "file", True),
])


def criterion(kind: str, **fields: object) -> exercises.Criterion:
    base = {"id": kind, "kind": kind, "title": kind, "threshold": 0.0, "unit": "", "hint": "h"}
    return exercises.Criterion(**{**base, **fields})  # type: ignore[arg-type]


def test_patterns_match_paths_and_everything_under_a_directory():
    assert grade.matches("/usr/local/bin/node", "*/bin/node")
    assert grade.matches("/app/.git/HEAD", "/app/.git")
    assert not grade.matches("/app/.gitignore", "/app/.git")
    assert grade.outermost(["/app/.git", "/app/.git/HEAD", "/app/.git/config", "/app/.env"]) == {
        "/app/.env": 1, "/app/.git": 3}


def test_files_absent_counts_the_outermost_match_and_says_what_a_later_layer_hid():
    m = grade.measure_files_absent(criterion("files_absent", paths=("/app/.git",), any_layer=True), FILES)
    assert (m.value, m.passed, m.shown) == (1, False, "1 path found")
    assert m.detail == "/app/.git (3 entries)"
    lists = criterion("files_absent", paths=("/var/lib/apt/lists/*Packages*",), any_layer=True)
    m = grade.measure_files_absent(lists, FILES)
    assert not m.passed and m.detail.startswith("all deleted by a later layer, still shipped: ")
    final_only = criterion("files_absent", paths=("/var/lib/apt/lists/*Packages*",))
    assert grade.measure_files_absent(final_only, FILES).passed  # hidden, and only the final filesystem asked


def test_files_present_names_what_is_missing():
    c = criterion("files_present", paths=("/etc/ssl/certs/ca-certificates.crt", "/etc/passwd"))
    m = grade.measure_files_present(c, FILES)
    assert (m.value, m.passed, m.detail) == (1, False, "missing: /etc/passwd")


def test_user_and_healthcheck_facts():
    c = criterion("non_root")
    assert grade.measure_user(c, "", True).shown == "root (no USER)"
    assert grade.measure_user(c, "65532:65532", False).passed
    h = criterion("healthcheck")
    assert not grade.measure_healthcheck(h, ()).passed
    assert grade.measure_healthcheck(h, ("NONE",)).shown == "disabled (NONE)"
    assert grade.measure_healthcheck(h, ("CMD", "/linkcheck", "-healthcheck")).passed


def test_rebuild_steps_count_what_was_not_cached():
    steps = pd.DataFrame({"stage": ["", None, "build", "build"], "index": [2, 3, 3, 4], "total": [4, 4, 4, 4],
                          "instruction": ["COPY . .", "RUN npm ci", "RUN go build", "COPY src ./src"],
                          "cached": [False, False, False, True]})
    m = grade.measure_rebuild(criterion("rebuild_steps", threshold=1.0, edit="src/app.js"), steps)
    assert (m.value, m.passed, m.shown) == (3, False, "3 steps")
    assert m.detail == "rerun: [2/4] COPY . .; [3/4] RUN npm ci; [build 3/4] RUN go build"
    steps["stage"] = [float("nan")] * 4  # how an unnamed stage can come back from a step table
    assert grade.measure_rebuild(criterion("rebuild_steps", threshold=3.0, edit="x"), steps).passed


REBUILT = table([
    (0, "/usr/local/bin/node", "file", True),
    (1, "/app/node_modules", "dir", True), (1, "/app/node_modules/express/index.js", "file", True),
    (2, "/app/src", "dir", True), (2, "/app/src/app.js", "file", True),
])


def _rebuilt_image(monkeypatch, layers: tuple[str, ...], app_js: bytes) -> None:
    """``engine`` answering for the rebuilt image: its layer digests, and app.js as ``copy_from_image`` reads it."""
    import io
    import tarfile
    from types import SimpleNamespace

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("app.js")
        info.size = len(app_js)
        tar.addfile(info, io.BytesIO(app_js))
    monkeypatch.setattr(grade.engine, "inspect_image", lambda ref: SimpleNamespace(layers=layers))
    monkeypatch.setattr(grade.engine, "copy_from_image", lambda ref, path: out.getvalue())


@pytest.mark.parametrize("after, app_js, passed, shown", [
    (("l0", "l1", "l2-new"), b"x\n// MARK\n", True, "reused"),      # the solution: only the sources' layer is new
    (("l0", "l1-new"), b"x\n// MARK\n", False, "1 layer rebuilt"),  # one RUN copying the sources, installing
    (("l0", "l1", "l2"), b"x\n", False, "edit not shipped"),         # nothing rerun: the edit is not in the image
])
def test_reused_after_edit_compares_layer_digests_and_reads_the_edit_back(monkeypatch, after, app_js, passed, shown):
    from dockopt.checks.facts import ImageFacts
    from dockopt.checks.packs import exercise as pack

    _rebuilt_image(monkeypatch, after, app_js)
    probe = grade.reuse_probe(REBUILT, ("l0", "l1", "l2"), "img-edited", ("/app/node_modules",), "src/app.js", "MARK")
    assert probe.shown == shown
    c = criterion("reused_after_edit", id="deps", paths=("/app/node_modules",), edit="src/app.js")
    out = pack.measure(c, ImageFacts(image="img", probes={"deps": probe}))
    assert (out.passed, out.message) == (passed, shown)
    assert grade.sc.limit_text(c) == "reused, edit shipped"


def test_reused_after_edit_without_the_paths_or_the_rebuild_does_not_pass(monkeypatch):
    from dockopt.checks.facts import ImageFacts
    from dockopt.checks.packs import exercise as pack

    _rebuilt_image(monkeypatch, ("l0",), b"")
    probe = grade.reuse_probe(REBUILT, ("l0", "l1", "l2"), "img-edited", ("/opt/deps",), "src/app.js", "MARK")
    assert (probe.shown, probe.noticed) == ("not in the image", False)
    c = criterion("reused_after_edit", id="deps", paths=("/app/node_modules",), edit="src/app.js")
    out = pack.measure(c, ImageFacts(image="img", probes={"deps": "the rebuild after editing src/app.js failed"}))
    assert (out.passed, out.message) == (False, "not measured")


# --- scorecards recorded from real checks ----------------------------------------------------------------


def test_a_recorded_scorecard_round_trips_and_keeps_its_numbers():
    card = recorded("05-starter")
    assert card.exercise == "05-apt-hygiene" and not card.passed and card.score == "1/5"
    assert exercises.Scorecard.from_record(card.to_record()).to_record() == card.to_record()
    crit = card.criteria.set_index("criterion")
    assert list(card.criteria.columns) == exercises.SCORE_COLUMNS
    assert crit.loc["layers", "measured"] > crit.loc["layers", "threshold"]
    assert crit.loc["size", "measured"] > crit.loc["size", "threshold"] == 100_000_000
    assert bool(crit.loc["health", "passed"])


def test_the_text_scorecard_shows_measured_values_and_a_hint_per_failed_criterion():
    card = recorded("05-starter")
    text = card.to_text()
    failed = card.failed
    assert text.count("  FAIL  ") == len(failed) == 4 and text.count("  PASS  ") == 1
    assert text.count("hint: ") == 4
    for r in card.criteria.to_dict("records"):
        assert r["shown"][:20] in text and r["limit"] in text
    assert "score: 1/5, not yet: 4 of 5 criteria fail" in text
    assert "hint:" not in recorded("05-solution").to_text()


def test_the_notebook_scorecard_colours_each_row_and_hints_only_failures():
    html = recorded("05-starter")._repr_html_()
    assert html.count("✘ fail") == 4 and html.count("✔ pass") == 1 and html.count("<strong>hint:</strong>") == 4
    assert "#fdecea" in html and "#e6f4ea" in html
    passing = recorded("05-solution")._repr_html_()
    assert "hint:" not in passing and passing.count("✔ pass") == 5


def test_a_dockerfile_that_did_not_build_is_a_scorecard_not_an_exception():
    card = recorded("06-broken")
    assert not card.passed and card.n_passed == 0 and card.image is None
    assert "unknown instruction: COPPY" in card.build_error and "dockopt-exercise-" not in card.build_error
    assert card.verdict() == "not graded: the Dockerfile did not build"
    assert set(card.criteria["shown"]) == {"not measured"} and card.criteria["measured"].isna().all()
    assert "did not build" in card.to_text() and "COPPY" in card._repr_html_()


def test_the_rebuild_detail_names_the_steps_that_ran_again():
    crit = recorded("02-starter").criteria.set_index("criterion")
    assert crit.loc["rebuild-steps", "measured"] == 2
    assert "COPY . ." in crit.loc["rebuild-steps", "detail"] and "npm ci" in crit.loc["rebuild-steps", "detail"]


# --- the class scoreboard -----------------------------------------------------------------------------------


@pytest.mark.browser  # check_html opens the page in chromium
def test_the_scoreboard_is_one_offline_page_with_a_row_per_learner(tmp_path):
    from dockopt.report.check import check_html

    ex = exercises.load("05")
    cards = [recorded("05-starter"), recorded("05-solution")]
    cards = [dataclasses.replace(c, learner=who) for c, who in zip(cards, ("bob", "alice"))]
    html = scoreboard_html(ex, cards, grading_s=42.0, bases={"debian:bookworm-slim": {
        "reference": "debian:bookworm-slim", "standin": True, "recipe": "mmdebstrap minbase"}})
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert html.index(">alice<") < html.index(">bob<"), "ranked by score"
    assert "1/2</b>passed every criterion" in html
    assert "Offline stand-ins" in html and "mmdebstrap minbase" in html
    for c in ex.criteria:
        assert f"<code>{c.id}</code>" in html
    assert html.count('class="fail"') == 4 and html.count('class="pass"') == 6
    page = tmp_path / "scoreboard.html"
    page.write_text(html, encoding="utf-8")
    seen = check_html(page)
    assert seen.external_resources == 0


def test_the_cli_lists_exercises_and_refuses_bad_input(tmp_path, capsys):
    from dockopt.cli import main

    assert main(["exercise", "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in exercises.names())
    assert main(["exercise", "list", "--json"]) == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == exercises.names()
    assert main(["exercise", "check", "nope"]) == 2
    assert "no exercise called 'nope'" in capsys.readouterr().err
    assert main(["exercise", "check", "02", "--path", str(tmp_path)]) == 2
    assert "has no Dockerfile" in capsys.readouterr().err
    assert main(["exercise", "report", "02", "--class", str(tmp_path / "nobody")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_exercises_dir_can_be_moved(tmp_path, monkeypatch):
    target = tmp_path / "01-copy"
    target.mkdir()
    (target / "exercise.toml").write_text((REPO / "exercises/01-dockerignore/exercise.toml").read_text())
    monkeypatch.setenv("DOCKOPT_EXERCISES_DIR", str(tmp_path))
    assert exercises.names() == ["01-copy"]
