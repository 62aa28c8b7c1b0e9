"""The CLI prints DockoptErrors as one clear message with a hint, never a traceback; exit codes by meaning:
0 ok, 1 checks failed, 2 usage, 3 could not run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockopt.cli import main


def test_missing_context_is_a_clear_error(tmp_path, capsys):
    assert main(["build", str(tmp_path / "nope"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: build context") and "hint:" in err and "Traceback" not in err


def test_malformed_label_is_named(tmp_path, capsys):
    assert main(["build", str(tmp_path), "--label", "NOVALUE"]) == 2
    assert "label 'NOVALUE' is not KEY=VALUE" in capsys.readouterr().err


def test_a_bare_build_arg_takes_its_value_from_the_environment_as_docker_does(monkeypatch):
    from dockopt.cli._common import build_args

    monkeypatch.setenv("DOCKOPT_TEST_VERSION", "1.2.3")
    monkeypatch.delenv("DOCKOPT_TEST_UNSET", raising=False)
    assert build_args(["DOCKOPT_TEST_VERSION", "DOCKOPT_TEST_UNSET", "A=b=c"]) == {
        "DOCKOPT_TEST_VERSION": "1.2.3", "A": "b=c"}  # unset in the environment: not passed, as docker does


def test_lint_reports_hadolint_findings_and_fails_on_errors(tmp_path, capsys):
    good = tmp_path / "Dockerfile"
    good.write_text("FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\n")
    assert main(["lint", str(good)]) == 0
    assert "DL3008" in capsys.readouterr().out
    bad = tmp_path / "Dockerfile.bad"
    bad.write_text("FROM scratch\nRUNN x\n")
    assert main(["lint", str(bad)]) == 1
    assert "DL1000" in capsys.readouterr().out


def test_console_script_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "dockopt.cli", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for command in ("build", "layers", "bases", "samples", "report", "analyze", "lint"):
        assert command in done.stdout


@pytest.mark.parametrize("argv", [["samples", "frobnicate"], ["bases"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


def test_unreachable_engine_says_how_to_start_one(tmp_path):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    done = subprocess.run([sys.executable, "-m", "dockopt.cli", "engine"], capture_output=True, text=True, env=env)
    assert done.returncode == 3  # could not run: not a usage error
    assert "no Docker Engine answers" in done.stderr and "make engine" in done.stderr
    assert "Traceback" not in done.stderr


def test_samples_build_reports_what_cannot_be_built_here_as_skipped(capsys):
    """A registry-only sample never reaches the engine: every image is a skip with its reason."""
    assert main(["samples", "build", "dotnet-webapi", "-q"]) == 0
    out = capsys.readouterr().out
    assert out.count("skipped") >= 2 and "needs registry access for mcr.microsoft.com/dotnet/sdk" in out
    assert "0 built, 0 healthy" in out and "0 failed" in out


# --- printing: human units, --json, --version, closed pipes -------------------------------------

PAYLOADS = os.path.join(os.path.dirname(__file__), "..", "fixtures", "analysis", "payloads.tar")


def test_tables_show_sizes_and_times_in_human_units_aligned():
    from dockopt.cli._common import format_table

    rows = [{"reference": "node:24-bookworm", "size_bytes": 1_080_000_000, "duration_s": 83.2, "cached": True},
            {"reference": "scratch", "size_bytes": None, "duration_s": 0.42, "cached": False}]
    lines = format_table(rows).splitlines()
    assert lines[0].split() == ["reference", "size", "duration", "cached"]
    assert "1.08 GB" in lines[1] and "1 min 23 s" in lines[1] and "yes" in lines[1]
    assert "–" in lines[2] and "0.42 s" in lines[2] and "no" in lines[2]
    # text left-aligned, numbers right-aligned: every size ends in the same column
    assert lines[1].index("node") == lines[2].index("scratch") == 0
    ends = {line.index(cell) + len(cell) for line, cell in zip(lines, ("size", "1.08 GB", "–"), strict=True)}
    assert len(ends) == 1


def test_a_column_whose_bare_name_is_taken_keeps_its_unit_word():
    from dockopt.cli._common import format_table

    head = format_table([{"build": "naive", "build_s": 3.0, "size_bytes": 5}]).splitlines()[0].split("  ")
    assert [h.strip() for h in head if h.strip()] == ["build", "build time", "size"]


def test_long_text_is_cut_to_the_terminal_width_but_never_numbers():
    from dockopt.cli._common import format_table

    rows = [{"note": "x" * 200, "size_bytes": 1_500_000}]
    cut = format_table(rows, width=60).splitlines()
    assert max(len(line) for line in cut) <= 60 and cut[1].endswith("1.5 MB") and "…" in cut[1]
    assert "x" * 200 in format_table(rows)  # into a pipe nothing is cut


def test_json_keeps_raw_numbers(capsys):
    assert main(["samples", "build", "dotnet-webapi", "-q", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in rows] == ["skipped", "skipped"]
    assert rows[0]["size_bytes"] is None and "mcr.microsoft.com/dotnet/sdk" in rows[0]["note"]
    assert main(["samples", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in listed} >= {"node-express", "go-api"} and isinstance(listed[0]["port"], int)


@pytest.mark.parametrize("command", [["engine"], ["layers", "x"], ["build", "."], ["bases", "catalog"],
                                     ["samples", "list"], ["doctor"]])
def test_every_table_command_of_this_area_takes_json(command):
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0


def test_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"dockopt {version('dockopt')}"


@pytest.mark.parametrize("argv", [["analyze", PAYLOADS, "--no-scanners"], ["samples", "list"],
                                  ["samples", "build", "dotnet-webapi", "-q"]])
def test_a_closed_pipe_ends_quietly_like_a_unix_tool(argv):
    """`dockopt analyze IMG | head`: the reader is gone before dockopt writes; no traceback, status 141."""
    child = subprocess.Popen([sys.executable, "-m", "dockopt.cli", *argv], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # like `head` exiting before the first line arrives
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err and err == ""


def test_a_broken_pipe_elsewhere_is_not_hidden(monkeypatch):
    """Only a closed stdout ends quietly: a BrokenPipeError from, say, a socket still surfaces."""
    import dockopt.cli as cli

    def boom(argv):
        raise BrokenPipeError("socket")

    monkeypatch.setattr(cli, "_run", boom)
    monkeypatch.setattr(cli, "_stdout_closed", lambda: False)
    with pytest.raises(BrokenPipeError):
        cli.main([])


def test_doctor_without_an_engine_says_what_to_do_and_exits_1(tmp_path):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    done = subprocess.run([sys.executable, "-m", "dockopt.cli", "doctor", "--offline"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "make engine" in done.stdout and "not ready: fix engine" in done.stdout
    assert "Traceback" not in done.stderr
    as_json = subprocess.run([sys.executable, "-m", "dockopt.cli", "doctor", "--offline", "--json"],
                             capture_output=True, text=True, env=env, timeout=120)
    report = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and report["ready"] is False
    engine = next(c for c in report["checks"] if c["name"] == "engine")
    assert engine["status"] == "fail" and engine["blocking"] and "make engine" in engine["fix"]
    # the programs are still checked without an engine: the venv has hadolint and dive
    tools = {c["name"]: c["status"] for c in report["checks"]}
    assert tools["hadolint"] == "ok" and tools["dive"] == "ok"


def test_doctor_names_a_registry_that_does_not_answer(monkeypatch):
    from dockopt import doctor

    monkeypatch.setenv(doctor.REGISTRY_ENV, "127.0.0.1:9")  # discard port: nothing listens there
    status, found, fix = doctor._local_registry()
    assert status == "warn" and found.startswith("127.0.0.1:9: ") and doctor.REGISTRY_ENV in fix


def test_build_samples_tells_its_progress_through_a_callback():
    """What cannot be built here still moves the count: one `skipped` event per image, with the reason."""
    from dockopt import experiments

    events: list = []
    table = experiments.build_samples(["dotnet-webapi"], on_progress=events.append, progress=False)
    assert [(e.index, e.total, e.phase) for e in events] == [(1, 2, "skipped"), (2, 2, "skipped")]
    assert events[0].build == "naive" and "mcr.microsoft.com/dotnet/sdk" in events[0].note
    assert list(table["status"]) == ["skipped", "skipped"] and table["healthy_s"].isna().all()


def test_report_renders_the_course_too_and_whatever_prunes_last(tmp_path, monkeypatch):
    from dockopt.cli.report import _notebooks

    (tmp_path / "notebooks" / "guide").mkdir(parents=True)
    meta = {"a_ship": {"dockopt": {"prunes_build_cache": True}}, "b_stack": {}, "guide/01_intro": {}}
    for name, metadata in meta.items():
        (tmp_path / "notebooks" / f"{name}.ipynb").write_text(json.dumps({"cells": [], "metadata": metadata}))
    monkeypatch.chdir(tmp_path)
    assert _notebooks(["notebooks"]) == ["notebooks/b_stack.ipynb", "notebooks/guide/01_intro.ipynb",
                                         "notebooks/a_ship.ipynb"]
    assert _notebooks(["notebooks/b_stack.ipynb"]) == ["notebooks/b_stack.ipynb"]


def test_report_without_arguments_renders_the_installed_course_whatever_the_current_folder(tmp_path, monkeypatch):
    from dockopt import content
    from dockopt.cli.report import _notebooks

    monkeypatch.chdir(tmp_path)  # no notebooks/ here
    found = [Path(p) for p in _notebooks([])]
    assert found and all(p.is_relative_to(content.notebooks_dir()) for p in found)
    assert {p.parent.name for p in found} == {"notebooks", "guide"}


# --- conventions: exit codes, --format and -o, stderr for status, -v ---------------------------------


def test_one_mapping_of_errors_to_exit_codes():
    from dockopt import errors
    from dockopt.cli import EXIT_CHECKS_FAILED, EXIT_COULD_NOT_RUN, EXIT_USAGE, exit_code

    assert exit_code(errors.CheckFailed("efficiency")) == EXIT_CHECKS_FAILED == 1
    assert exit_code(errors.DockerfileNotFound("x")) == exit_code(errors.BadReference("x")) == EXIT_USAGE == 2
    assert exit_code(errors.EngineUnavailable("x")) == exit_code(errors.ToolMissing("x")) == EXIT_COULD_NOT_RUN == 3
    assert exit_code(errors.BuildFailed("step failed")) == 3 and exit_code(errors.RegistryAuthError("x")) == 2


def test_format_json_is_json_and_o_writes_the_report_not_the_status(tmp_path, capsys):
    df = tmp_path / "Dockerfile"
    df.write_text("FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\n")
    assert main(["lint", str(df), "--format", "json"]) == 0
    as_format = json.loads(capsys.readouterr().out)
    assert main(["lint", str(df), "--json"]) == 0  # --json kept: the same as --format json
    assert json.loads(capsys.readouterr().out) == as_format and {r["rule"] for r in as_format} >= {"DL3008"}
    out = tmp_path / "findings.json"
    assert main(["lint", str(df), "--format", "json", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and f"wrote {out}" in captured.err
    assert json.loads(out.read_text()) == as_format


def test_table_commands_take_format_and_o(tmp_path, capsys):
    out = tmp_path / "samples.json"
    assert main(["samples", "list", "--format", "json", "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert {r["name"] for r in json.loads(out.read_text())} >= {"node-express"}
    assert main(["samples", "list", "--format", "table"]) == 0
    assert "node-express" in capsys.readouterr().out


def test_lint_json_file_still_works_with_a_deprecation_note(tmp_path, capsys):
    df = tmp_path / "Dockerfile"
    df.write_text("FROM alpine:3.20\nCMD [\"sh\"]\n")
    out = tmp_path / "f.json"
    with pytest.warns(DeprecationWarning, match="--format json -o FILE"):
        assert main(["lint", str(df), "--json-file", str(out)]) == 0
    assert isinstance(json.loads(out.read_text()), list) and "deprecated" in capsys.readouterr().err


def test_verbose_wires_logging_before_or_after_the_command(capsys):
    import logging

    assert main(["-v", "samples", "list", "--json"]) == 0
    assert logging.getLogger("dockopt").level == logging.INFO
    assert main(["samples", "list", "--json", "-vv"]) == 0
    assert logging.getLogger("dockopt").level == logging.DEBUG
    assert main(["exercise", "list", "-v"]) == 0  # a command's own subcommands take it too
    assert logging.getLogger("dockopt").level == logging.INFO
    main(["samples", "list", "--json"])
    assert logging.getLogger("dockopt").level == logging.WARNING
