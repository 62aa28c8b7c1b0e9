"""The CLI prints DockoptErrors as one clear message with a hint and exit code 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dockopt.cli import main


def test_missing_context_is_a_clear_error(tmp_path, capsys):
    assert main(["build", str(tmp_path / "nope"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: build context") and "hint:" in err and "Traceback" not in err


def test_malformed_build_arg_is_named(tmp_path, capsys):
    assert main(["build", str(tmp_path), "--build-arg", "NOVALUE"]) == 2
    assert "build-arg 'NOVALUE' is not KEY=VALUE" in capsys.readouterr().err


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
    assert done.returncode == 2
    assert "no Docker Engine answers" in done.stderr and "make engine" in done.stderr
    assert "Traceback" not in done.stderr


def test_samples_build_reports_what_cannot_be_built_here_as_skipped(capsys):
    """A registry-only sample never reaches the engine: every image is a skip with its reason."""
    assert main(["samples", "build", "dotnet-webapi", "-q"]) == 0
    out = capsys.readouterr().out
    assert out.count("skipped") >= 2 and "needs registry access for mcr.microsoft.com/dotnet/sdk" in out
    assert "0 built, 0 healthy" in out and "0 failed" in out
