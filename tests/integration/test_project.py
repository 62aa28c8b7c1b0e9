"""Any project, any image, as a new user would try it: a small Flask app written outside sample_apps/,
with a plain Dockerfile and no dockopt.toml, goes through every experiment and both report commands
on the real engine; the reports open in headless Chromium with their charts drawn. Projects with no
port, with a failing build and with no dependency manifest get a clear answer, a skipped row with its
reason, or a partial report; never a traceback. `dockopt lab` serves the project's notebook.

Bases are the local stand-ins (python:3.11-slim-bookworm and python:3.11-bookworm carry the host CA
bundle, so pip reaches PyPI from inside the build)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import dockopt
from dockopt import engine, experiments, proc, report
from dockopt.cli import main
from dockopt.errors import SmokeFailed
from tests.flask_app import APP, write

# Two stages: dependencies installed where pip lives, the runtime gets them and the app only.
DOCKERFILE = '''\
FROM python:3.11-slim-bookworm AS deps
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --target /deps -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm
WORKDIR /app
ENV PYTHONPATH=/deps PYTHONUNBUFFERED=1
COPY --from=deps /deps /deps
COPY app.py ./
USER 65532:65532
EXPOSE 5000
ENTRYPOINT ["python3", "/app/app.py"]
'''

# What the app looked like before: one stage on the full image, everything copied, root.
DOCKERFILE_OLD = '''\
FROM python:3.11-bookworm
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
EXPOSE 5000
CMD ["python3", "app.py"]
'''


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def flask_app(tmp_path_factory, docker_engine) -> Path:
    return write(tmp_path_factory.mktemp("src") / "myapp", {
        "app.py": APP, "requirements.txt": "flask==3.0.3\n", "Dockerfile": DOCKERFILE,
        "Dockerfile.old": DOCKERFILE_OLD, ".dockerignore": ".git\n__pycache__\n*.md\n", "README.md": "# myapp\n"})


@pytest.fixture(scope="module")
def built(flask_app):
    return experiments.build_project(flask_app, progress=False)


@pytest.fixture(scope="module")
def chromium():
    if proc.which("chromium") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Debian's chromium to check reports (make test installs it)")
        pytest.skip("chromium is not installed")


def test_build_and_run_a_project_without_a_manifest(flask_app, built):
    p = dockopt.project(flask_app)
    assert (p.port, p.health_path, p.manifest) == (5000, "/healthz", None)
    assert built.size_bytes > 0 and built.ref.endswith("/myapp:dockerfile")
    assert engine.inspect_image(built.ref).labels["io.dockopt.project"] == "myapp"
    ran = experiments.smoke_project(p, built.ref)
    assert (ran.readiness, ran.http_status) == ("http", 200) and '"ok"' in ran.body
    assert 0 < ran.ready_s < 60 and ran.memory_bytes and ran.memory_bytes > 1_000_000


def test_cache_scenarios_edit_a_copy_and_keep_every_build(flask_app, built):
    before = _digest(flask_app)
    cache = experiments.cache_scenarios(flask_app, progress=False)
    assert _digest(flask_app) == before, "the user's tree must never be modified"
    runs = cache.runs.set_index("scenario")
    assert list(runs.index) == list(experiments.SCENARIOS) and runs["skipped"].isna().all()
    assert runs.loc["unchanged", "steps_executed"] == 0
    edit = runs.loc["source edit"]
    assert edit["changed_files"] == "app.py" and edit["steps_executed"] >= 1
    assert "COPY app.py" in edit["first_executed"]
    dep = runs.loc["dependency change"]
    assert dep["changed_files"] == "requirements.txt" and "requirements.txt" in dep["first_executed"]
    assert dep["steps_executed"] > edit["steps_executed"]  # the pip install ran again
    assert set(cache.edits["path"]) == {"app.py", "requirements.txt"}
    # every run's BuildResult stays reachable, paired with the build before it (what explains a miss)
    assert cache.build("Dockerfile", "source edit").image_id
    assert [s for _, s, _, _ in cache.rebuilds()] == ["unchanged", "source edit", "dependency change"]


def test_base_matrix_measures_every_cell_and_skips_what_cannot_work(flask_app, built):
    matrix = experiments.base_matrix(flask_app, progress=False).set_index("base")
    slim, distroless = matrix.loc["slim"], matrix.loc["distroless"]
    assert slim["current"] and slim["how"] == "as written"
    assert "FROM rewritten" in distroless["how"]
    for row in (slim, distroless):
        assert row["healthy"] is True and row["readiness"] == "http", row["note"]
        assert 0 < row["compressed_bytes"] < row["size_bytes"]
        assert row["packages"] > 0 and row["memory_bytes"] > 0 and row["ready_s"] > 0
        assert row["user"] == "65532:65532" and not row["runs_as_root"]
    assert slim["shell"] is True and distroless["shell"] is False
    assert distroless["setuid_files"] == 0 < slim["setuid_files"]
    assert distroless["size_bytes"] < slim["size_bytes"]
    assert "ships no python3" in matrix.loc["alpine", "skipped"]
    assert (flask_app / "Dockerfile").read_text() == DOCKERFILE  # rewritten in a temporary copy only


def test_compare_two_dockerfiles_and_two_images(flask_app, built):
    cmp = experiments.compare_dockerfiles(flask_app, "Dockerfile.old", "Dockerfile", progress=False)
    assert cmp.variants == ("Dockerfile.old", "Dockerfile")
    assert cmp.reduction > 0.5 and set(cmp.layers["variant"]) == {"Dockerfile.old", "Dockerfile"}
    images = experiments.compare_images(cmp.builds["Dockerfile.old"].ref, built.ref)
    assert images.variants == ("before", "after") and images.builds == {}
    assert abs(images.reduction - cmp.reduction) < 1e-9


def test_report_project_is_offline_html_with_its_charts(flask_app, built, chromium, tmp_path, capsys):
    assert main(["report", "--project", str(flask_app), "-o", str(tmp_path)]) == 0
    assert "wrote the report:" in capsys.readouterr().err  # status on stderr, as every command
    html_path = tmp_path / "myapp.html"
    check = report.check_html(html_path)
    # build timeline, layer chart, treemap, waste, rebuild chart, base chart, base trade-offs
    assert check.charts_drawn == 7, check
    assert check.external_resources == 0 and check.plotly_inline
    html = html_path.read_text(encoding="utf-8")
    for expected in ("Layer sizes, by Dockerfile line", "line 9: COPY app.py", "Rebuild wall time by change",
                     "Image size by runtime base", "ships no python3",
                     "Everything this report measures was measured"):
        assert expected in html, expected
    assert "Traceback" not in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_executed", "myapp.html"]
    assert not (flask_app / "dockopt-report").exists()


def test_report_image_from_an_archive_without_code(built, chromium, tmp_path):
    archive = tmp_path / "myapp.tar"
    with archive.open("wb") as f:
        for chunk in engine.save_image(built.ref):
            f.write(chunk)
    done = report.render_image(archive, output_dir=tmp_path / "out", no_input=True)
    check = report.check_html(done.html_path)
    assert check.charts_drawn == 3 and check.external_resources == 0  # layers, treemap, waste
    html = Path(done.html_path).read_text(encoding="utf-8")
    assert "A registry would store" in html and "Traceback" not in html
    assert 'measure("' not in html  # --no-input: the story without the code


def test_a_project_without_a_port_is_ready_when_its_process_stays_up(tmp_path, docker_engine):
    root = write(tmp_path / "worker", {"Dockerfile": 'FROM busybox:1.35\nCMD ["sleep", "3600"]\n'})
    p = dockopt.project(root, stay_up_s=2)
    assert p.port is None and "stays up" in p.service().readiness
    image = experiments.build_project(p, progress=False).ref
    ran = experiments.smoke_project(p, image)
    assert ran.readiness == "stays up" and ran.http_status is None and ran.ready_s >= 2
    exits = write(tmp_path / "oneshot", {"Dockerfile": 'FROM busybox:1.35\nCMD ["true"]\n'})
    with pytest.raises(SmokeFailed, match="the container stopped") as err:
        experiments.smoke_project(exits, experiments.build_project(exits, progress=False).ref)
    assert "a service must keep running" in str(err.value)


def test_no_dependency_manifest_skips_that_scenario_with_its_reason(tmp_path, docker_engine):
    root = write(tmp_path / "site", {"index.html": "<p>hi</p>\n",
                                      "Dockerfile": 'FROM busybox:1.35\nCOPY index.html /www/\nCMD ["sleep", "60"]\n'})
    cache = experiments.cache_scenarios(root, progress=False)
    runs = cache.runs.set_index("scenario")
    assert "copies no dependency manifest" in runs.loc["dependency change", "skipped"]
    assert runs.loc["source edit", "changed_files"] == "index.html"
    assert runs.loc["source edit", "steps_executed"] == 1
    assert list(cache.skipped["scenario"]) == ["dependency change"]


def test_a_build_failure_gives_a_partial_report(tmp_path, chromium):
    root = write(tmp_path / "broken", {"Dockerfile": "FROM busybox:1.35\nRUN echo compiling && false\n"})
    done = report.render_project(root, output_dir=tmp_path / "out")
    html = Path(done.html_path).read_text(encoding="utf-8")
    # the first note says what failed and why (the failing step, named); later ones point back to it
    assert "Not shown: the build timeline.</strong> It needs the build, which could not be measured: " in html
    assert "failing step: [2/2] RUN echo compiling &amp;&amp; false" in html
    assert "Not shown: the layer chart.</strong> It needs the build, which could not be measured (see above)" in html
    assert "Not measured: the cache scenarios" in html and "no runtime base was built" in html
    assert "A partial report" in html and "Traceback" not in html  # the conclusion lists what is missing
    assert report.check_html(done.html_path).charts_drawn == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_lab_serves_the_projects_notebook(flask_app, tmp_path):
    port, token = _free_port(), "dockopt-test-token"
    work = tmp_path / "notebooks"
    server = subprocess.Popen([sys.executable, "-m", "dockopt.cli", "lab", str(flask_app), "--dir", str(work),
                               "--no-browser", "--port", str(port)],
                              env={**os.environ, "JUPYTER_TOKEN": token}, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/api/contents/myapp.ipynb?token={token}"
        deadline, answer = time.monotonic() + 90, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - 127.0.0.1
                    answer = json.load(resp)
                    break
            except OSError:
                time.sleep(0.5)
        assert answer is not None, server.stdout.read().decode() if server.poll() is not None else "no answer"
        assert answer["type"] == "notebook" and answer["name"] == "myapp.ipynb"
        sources = ["".join(c["source"]) for c in answer["content"]["cells"]]
        assert any(f'project_path = "{flask_app.resolve()}"' in s for s in sources)
        assert (work / "myapp.ipynb").is_file() and not (flask_app / "myapp.ipynb").exists()
    finally:
        _stop(server)


def _stop(server: subprocess.Popen) -> None:
    """Stop the lab this test started (its own session: the server and its kernels), nothing else."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
