"""Dockerfile insight without an engine: steps placed on their instructions (recorded BuildKit progress),
static findings on the samples, rebuild explanations from BuildResults, the secrets session's answers."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import pandas as pd
import pytest

from dockopt import dockerfile, experiments, insight, plots
from dockopt.build import BuildResult, annotate_steps
from dockopt.buildkit import steps_from_messages
from dockopt.errors import DockoptError
from tests.conftest import REPO

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "buildkit"
sys.path.insert(0, str(FIXTURES))
import record  # noqa: E402

SAMPLES = REPO / "sample_apps"


def _recorded(name: str) -> pd.DataFrame:
    return steps_from_messages(json.loads(line) for line in (FIXTURES / f"{name}.jsonl").read_text().splitlines())


def test_recorded_steps_land_on_their_instructions():
    """BuildKit 0.8 numbers a stage's RUN/COPY/ADD/WORKDIR (plus FROM of an image), not ARG or CMD."""
    parsed = dockerfile.parse("Dockerfile", text=record.MULTISTAGE)
    steps = annotate_steps(_recorded("multistage_cold"), parsed)
    placed = steps[steps["dockerfile_step"]]
    assert placed["line"].tolist() == [2, 3, 7, 10, 11]
    assert placed["stage_index"].tolist() == [0, 0, 1, 2, 2]
    local = annotate_steps(_recorded("from_local_cold"), dockerfile.parse("Dockerfile", text=record.FROM_LOCAL))
    assert sorted(local.loc[local["dockerfile_step"], "line"].tolist()) == [1, 2, 3]  # FROM of an image is 1/n


def test_history_keywords_of_both_builders():
    kw = dockerfile.history_keyword
    assert kw("RUN /bin/sh -c npm ci # buildkit") == "RUN"
    assert kw("RUN |2 A=1 B=2 /bin/sh -c make") == "RUN"
    assert kw("/bin/sh -c #(nop)  COPY file:abc in /app ") == "COPY"
    assert kw("/bin/sh -c apt-get update") == "RUN"
    assert kw("EXPOSE map[80/tcp:{}]") == "EXPOSE" and kw("") == ""


@pytest.mark.parametrize("name", ["node-express", "vue-spa", "go-api", "python-fastapi", "java", "monorepo"])
def test_static_lint_flags_the_naive_pitfalls_and_not_the_optimised_file(name):
    naive = insight.lint_files([SAMPLES / name / "Dockerfile.naive"], hadolint=False)
    assert {"broad-context-copy", "runs-as-root", "healthcheck"} <= set(naive["rule"])
    assert not naive["measured"].any() and naive["cost_bytes"].isna().all()
    assert naive["evidence"].str.startswith("static").all()
    opt = insight.lint_files([SAMPLES / name / "Dockerfile"], hadolint=False)
    assert not {"broad-context-copy", "runs-as-root", "healthcheck", "numeric-copy-from"} & set(opt["rule"])


def test_text_rules_name_docker_build_checks(tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text("FROM alpine:latest as build\nARG GITHUB_TOKEN\nCOPY $SRC /src\n"
                  "FROM build\nCOPY --from=0 /src /src\nUSER app\nHEALTHCHECK CMD [\"true\"]\nCMD echo hi\n")
    table = insight.lint_files([df])
    checks = dict(zip(table["rule"], table["build_check"]))
    assert checks["from-as-casing"] == "FromAsCasing"
    assert checks["secrets-in-arg-env"] == "SecretsUsedInArgOrEnv"
    assert checks["undefined-var"] == "UndefinedVar"
    assert checks["DL3025"] == "JSONArgsRecommended"  # hadolint's code, named after Docker's check
    assert {"unpinned-base", "numeric-copy-from"} <= set(table["rule"])
    assert "DL3007" not in set(table["rule"])  # covered by unpinned-base: shown once
    every = insight.rules()
    assert every["measures"].str.len().gt(0).all() and every["rule"].is_unique


def test_findings_sorted_by_cost_and_drawn():
    F = insight.Finding
    table = insight.frame([F("a", "warning", "D", 1, None, "m", "f"),
                           F("b", "warning", "D", 2, None, "m", "f", cost_s=30.0, measured=True),
                           F("c", "error", "D", 3, None, "m", "f", cost_bytes=5_000_000, measured=True),
                           F("d", "info", "D", 4, None, "m", "f", cost_bytes=9_000_000, measured=True)])
    assert table["rule"].tolist() == ["d", "c", "b", "a"]
    fig = plots.findings(table)
    assert list(fig.data[0].y) == ["d (line 4)", "c (line 3)", "b (line 2)"] and "1 without" in fig.layout.title.text


# --- explain_rebuild from BuildResults ----------------------------------------------------------

TEXT = ("FROM node:24 AS deps\nWORKDIR /app\nCOPY package.json ./\nRUN npm ci\n"
        "FROM deps\nARG MODE=prod\nCOPY src ./src\nRUN npm run build\n")


def _result(cached: dict[int, bool], *, files: dict[str, str], args: dict[str, str] | None = None,
            base: str = "sha256:aaa", text: str = TEXT) -> BuildResult:
    parsed = dockerfile.parse("Dockerfile", text=text)
    rows = []
    for order, (line, hit) in enumerate(cached.items()):
        ins = parsed.instruction_at(line)
        assert ins is not None
        stage = parsed.stages[ins.stage_index]
        position = [i.line_start for i in stage.instructions if i.keyword in ("FROM", "RUN", "COPY", "WORKDIR")
                    and not (i.keyword == "FROM" and stage.base_stage is not None)].index(line) + 1
        rows.append({"order": order, "stage": stage.label, "index": position, "total": 9, "instruction": ins.original,
                     "name": "", "dockerfile_step": True, "cached": hit, "duration_s": 0.0 if hit else 2.0,
                     "stage_index": ins.stage_index, "line": line})
    steps = pd.DataFrame(rows)
    return BuildResult(image_id="sha256:x", tags=(), wall_s=1.0, size_bytes=1, context="/nonexistent",
                       dockerfile="Dockerfile", target=None, steps=steps, build_args=args or {},
                       dockerfile_text=text, context_files=files, base_ids={"node:24": base})


ALL_CACHED = {1: True, 2: True, 3: True, 4: True, 7: True, 8: True}


def test_a_source_edit_is_traced_to_its_copy_and_the_build_that_follows():
    before = _result(ALL_CACHED, files={"package.json": "sha256:1", "src/a.js": "sha256:2"})
    after = _result({**ALL_CACHED, 7: False, 8: False}, files={"package.json": "sha256:1", "src/a.js": "sha256:3"})
    e = experiments.explain_rebuild(before, after)
    assert e.cause == "context" and e.first is not None and e.first["line"] == 7
    assert "src/a.js" in str(e.detail) and e.changed_files == ("src/a.js",)
    assert e.cascaded["line"].tolist() == [8] and "line 7" in e.summary()


def test_a_dependency_bump_starts_at_the_manifest_copy():
    before = _result(ALL_CACHED, files={"package.json": "sha256:1", "src/a.js": "sha256:2"})
    after = _result({1: True, 2: True, 3: False, 4: False, 7: False, 8: False},
                    files={"package.json": "sha256:9", "src/a.js": "sha256:2"})
    e = experiments.explain_rebuild(before, after)
    assert e.first is not None and e.first["line"] == 3 and e.cause == "context"
    assert e.cascaded["line"].tolist() == [4, 7, 8]


def test_build_args_base_moves_and_cache_loss_are_told_apart():
    files = {"package.json": "sha256:1"}
    before = _result(ALL_CACHED, files=files)
    arg = experiments.explain_rebuild(before, _result({**ALL_CACHED, 7: False, 8: False}, files=files,
                                                      args={"MODE": "dev"}))
    assert arg.cause == "build arg" and arg.changed_args == {"MODE": ("prod", "dev")}
    moved = experiments.explain_rebuild(before, _result({**ALL_CACHED, 1: False, 2: False}, files=files,
                                                        base="sha256:bbb"))
    assert moved.cause == "base image" and moved.base_moved == {"node:24": ("sha256:aaa", "sha256:bbb")}
    lost = experiments.explain_rebuild(before, _result({**ALL_CACHED, 4: False}, files=files))
    assert lost.cause == "unexplained"
    same = experiments.explain_rebuild(before, before)
    assert same.first is None and "nothing ran again" in same.summary()
    table = experiments.explain_scenarios({"first": before, "arg": _result({**ALL_CACHED, 7: False}, files=files,
                                                                           args={"MODE": "dev"})})
    assert table["cause"].tolist() == ["build arg"] and table["line"].tolist() == [7]
    builds = {("v", "cold"): before, ("v", "arg"): _result({**ALL_CACHED, 7: False}, files=files, args={"MODE": "dev"}),
              ("w", "cold"): before}
    assert experiments.explain_cache_runs(builds)[["variant", "cause"]].values.tolist() == [["v", "build arg"]]
    with pytest.raises(DockoptError, match="not its runs table"):
        experiments.explain_cache_runs(pd.DataFrame({"variant": ["v"]}))


# --- the secrets session -------------------------------------------------------------------------


def test_session_answers_get_secret_and_health(tmp_path):
    from dockopt.errors import SecretSourceMissing
    from dockopt.session import GET_SECRET, HEALTH_CHECK, SecretSession, _messages, check_sources

    (tmp_path / "t").write_bytes(b"s3cret")
    session = SecretSession(check_sources({"tok": tmp_path / "t"}))
    m = _messages()
    frame, status, _ = session._answer(GET_SECRET, m["GetSecretRequest"](ID="tok").SerializeToString())
    assert status == 0 and frame is not None
    flag, length = struct.unpack(">BI", frame[:5])
    reply = m["GetSecretResponse"]()
    reply.ParseFromString(frame[5:5 + length])
    assert flag == 0 and reply.data == b"s3cret" and session.requested == ["tok"]
    assert session._answer(GET_SECRET, m["GetSecretRequest"](ID="other").SerializeToString())[1] == 5  # NOT_FOUND
    health, status, _ = session._answer(HEALTH_CHECK, b"")
    assert status == 0 and health is not None and health[5:] == m["HealthCheckResponse"](status=1).SerializeToString()
    assert session._answer("/some.Other/Method", b"")[1] == 12  # UNIMPLEMENTED
    with pytest.raises(SecretSourceMissing):
        check_sources({"tok": tmp_path / "absent"})


def test_lint_command_static_and_json(tmp_path, capsys):
    from dockopt.cli import main

    out = tmp_path / "f.json"
    assert main(["lint", str(SAMPLES / "go-api" / "Dockerfile.naive"), "--json-file", str(out)]) == 0
    assert "broad-context-copy" in capsys.readouterr().out
    rows = json.loads(out.read_text())
    assert {r["rule"] for r in rows} >= {"broad-context-copy", "runs-as-root"} and rows[0]["cost_bytes"] is None
    assert main(["lint", "--json", str(SAMPLES / "go-api" / "Dockerfile.naive")]) == 0
    assert json.loads(capsys.readouterr().out) == rows  # --json: the same records on stdout, no table
    assert main(["lint", "--measure", "a", "b"]) == 2
