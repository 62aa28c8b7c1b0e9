"""The CI jobs in docs/ci/ run here as written: their build, gate and publish commands, in a copy of
a sample (the gate passes) and in a context whose image runs as root (the gate fails the job).
Only the install steps are left out: this venv's dockopt is on PATH instead."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from dockopt import engine, naming
from tests.conftest import REPO

DOCS = REPO / "docs" / "ci"
# the .dive-ci a repository would carry (the values the docs show): dockopt's own rules switched on
DIVE_CI = "rules:\n  lowestEfficiency: 0.95\n  highestImageSize: 200MB\n  nonRoot: true\n"
GITHUB_STEPS = ("Build image", "dockopt CI gate", "Publish report")


def _github_steps() -> tuple[dict, list[str]]:
    job = yaml.safe_load((DOCS / "github-actions.yml").read_text())["jobs"]["image-gate"]
    steps = {s.get("name"): s["run"] for s in job["steps"] if "run" in s}
    assert set(GITHUB_STEPS) <= set(steps), f"docs/ci/github-actions.yml lost a step: {sorted(steps)}"
    return job["env"], [steps[name] for name in GITHUB_STEPS]


def _gitlab_script() -> tuple[dict, list[str]]:
    job = yaml.safe_load((DOCS / "gitlab-ci.yml").read_text())["image-gate"]
    return job["variables"], list(job["script"])


def _run(commands: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    # CI runners' docker CLIs build with BuildKit by default; here that is Debian's CLI, which comes
    # with the engine (/usr/bin/docker), told to use BuildKit: a newer CLI elsewhere on PATH may lack buildx.
    path = os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", os.environ["PATH"]])
    env = {**env, "DOCKER_BUILDKIT": "1"}
    script = "\n".join(["set -e", *commands])
    return subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=1200,
                          env={**os.environ, **env, "PATH": path}, check=False)


@pytest.fixture
def image_tag(docker_engine):
    tags: list[str] = []

    def make(name: str) -> str:
        tags.append(f"{naming.namespace()}/ci-docs-{name}:ci")
        return tags[-1]

    yield make
    for tag in tags:
        engine.remove_image(tag, force=True)


def test_github_actions_job_as_documented(tmp_path, image_tag):
    env, steps = _github_steps()
    ctx = shutil.copytree(REPO / "sample_apps" / "go-api", tmp_path / "repo")
    (ctx / ".dive-ci").write_text(DIVE_CI)
    summary = tmp_path / "step-summary.md"
    vars_ = {"IMAGE": image_tag("github"), "DOCKOPT_REPORT_DIR": env["DOCKOPT_REPORT_DIR"],
             "GITHUB_STEP_SUMMARY": str(summary)}
    # each step is its own shell, as on a runner; a failing step stops the job
    for step in steps:
        done = _run([step], ctx, vars_)
        assert done.returncode == 0, f"{step}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    report = ctx / env["DOCKOPT_REPORT_DIR"]
    cases = ET.parse(report / "junit.xml").getroot().iter("testcase")
    assert {c.get("name") for c in cases} >= {"lowestEfficiency", "noSecrets", "nonRoot"}
    assert (report / "dive.json").stat().st_size > 0 and (report / "sbom.cdx.json").stat().st_size > 0
    text = (report / "report.txt").read_text()
    assert "efficiency:" in summary.read_text() and "Using CI config: .dive-ci" in text
    assert "PASS: nonRoot" in text and "PASS: highestImageSize" in text


def test_gitlab_job_as_documented_fails_an_image_that_runs_as_root(tmp_path, image_tag, busybox_context):
    variables, script = _gitlab_script()
    (busybox_context / ".dive-ci").write_text(DIVE_CI)
    (busybox_context / "Dockerfile").write_text("FROM scratch\nCOPY busybox /bin/busybox\nCMD [\"/bin/busybox\"]\n")
    vars_ = {"IMAGE": image_tag("gitlab"), "DOCKOPT_REPORT_DIR": variables["DOCKOPT_REPORT_DIR"]}
    done = _run(script, busybox_context, vars_)
    assert done.returncode == 1, f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    assert "nonRoot" in done.stdout and "FAIL" in done.stdout, "the job log shows the report and the failed rule"
    failed = [c.get("name") for c in ET.parse(busybox_context / "dockopt-report" / "junit.xml").getroot()
              .iter("testcase") if c.find("failure") is not None]
    assert failed == ["nonRoot"]
