"""Projects without a manifest: what dockopt detects from the files and the parsed Dockerfile, where each
value came from, the manifest `dockopt init` writes, the one resolver every experiment uses, the edits
a cache experiment makes (valid files, the user's tree untouched), and the base plans (which bases,
how each is selected, why some cannot work). No engine needed."""

from __future__ import annotations

import json
import shutil
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import dockopt
from dockopt import experiments, samples
from dockopt.errors import ContextNotFound, DockerfileError, DockerfileNotFound, ProjectError
from dockopt.project import context_files, edit_file, init, manifest_text, project
from tests.flask_app import APP, write

FLASK_DOCKERFILE = '''\
FROM python:3.11-slim-bookworm AS deps
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --target /deps -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm
WORKDIR /app
ENV PYTHONPATH=/deps
COPY --from=deps /deps /deps
COPY . ./
USER 65532:65532
EXPOSE 5000
ENTRYPOINT ["python3", "/app/app.py"]
'''


@pytest.fixture
def flask_app(tmp_path) -> Path:
    return write(tmp_path / "myapp", {
        "app.py": APP, "requirements.txt": "flask==3.0.3\n", "Dockerfile": FLASK_DOCKERFILE,
        # .dockerignore: the build never sends these, so no experiment may pick them
        ".dockerignore": ".git\n*.md\naaa_ignored.py\n", "aaa_ignored.py": "x = 1\n", "README.md": "# myapp\n",
    })


def test_a_folder_with_only_a_dockerfile_and_sources_is_a_project(flask_app):
    p = dockopt.project(flask_app)
    assert isinstance(p, dockopt.Project)
    assert (p.name, p.context, p.dockerfile) == ("myapp", flask_app.resolve(), flask_app.resolve() / "Dockerfile")
    assert (p.stack, p.port, p.health_path, p.target, p.base_arg) == ("python", 5000, "/healthz", None, None)
    assert p.origin("port").source == "detected" and "EXPOSE 5000 (Dockerfile:11)" in p.origin("port").detail
    assert p.origin("health_path").detail == "route '/healthz' in app.py:13"
    assert p.origin("stack").detail == "requirements.txt (copied by the Dockerfile)"
    assert p.origin("name").source == "default" and p.manifest is None
    # the source file to edit is one the final stage's last context COPY delivers, .dockerignore honoured
    assert p.relative(p.touch) == "app.py"
    assert "COPY . ./" in p.origin("touch").detail
    assert p.relative(p.dependency_file) == "requirements.txt"
    summary = p.summary()
    assert list(summary.columns) == ["setting", "value", "origin", "detail"]
    assert set(summary["origin"]) <= {"given", "manifest", "detected", "default"}


def test_context_files_honour_dockerignore_like_build(flask_app):
    files = context_files(flask_app, "Dockerfile")
    assert "app.py" in files and "Dockerfile" in files and ".dockerignore" in files
    assert "aaa_ignored.py" not in files and "README.md" not in files


def test_values_given_win_over_the_manifest_which_wins_over_detection(flask_app):
    (flask_app / "dockopt.toml").write_text('name = "shop"\nport = 8080\n[cache]\ntouch = "requirements.txt"\n')
    p = project(flask_app, port=9000)
    assert (p.name, p.port) == ("shop", 9000)
    assert p.origin("port").source == "given" and p.origin("name").source == "manifest"
    assert p.relative(p.touch) == "requirements.txt" and p.origin("touch").source == "manifest"
    assert p.health_path == "/healthz" and p.origin("health_path").source == "detected"


def test_healthcheck_url_and_no_expose(tmp_path):
    root = write(tmp_path / "svc", {"main.go": "package main\n", "go.mod": "module x\n\ngo 1.23\n", "Dockerfile": (
        "FROM golang:1.23-bookworm AS build\nWORKDIR /src\nCOPY go.mod ./\nCOPY *.go ./\nRUN go build -o /out/s .\n"
        "FROM scratch\nCOPY --from=build /out/s /s\n"
        "HEALTHCHECK CMD [\"/s\", \"-probe\", \"http://127.0.0.1:8080/readyz\"]\nENTRYPOINT [\"/s\"]\n")})
    p = project(root)
    assert (p.stack, p.port) == ("go", None)
    assert p.health_path == "/readyz" and "HEALTHCHECK" in p.origin("health_path").detail
    # no port: the readiness check cannot be HTTP
    assert p.service().port is None and p.service().health_path is None
    assert "stays up" in p.service().readiness
    # the final stage copies only from a stage: the source file comes from the stage it needs
    assert p.relative(p.touch) == "main.go" and p.relative(p.dependency_file) == "go.mod"


def test_a_dockerfile_without_a_dependency_manifest_says_why(tmp_path):
    root = write(tmp_path / "static", {"index.html": "<p>hi</p>\n", "Dockerfile": (
        "FROM nginx:1.27-bookworm\nCOPY index.html /usr/share/nginx/html/\nEXPOSE 80\n")})
    p = project(root)
    assert p.dependency_file is None
    assert "copies no dependency manifest" in p.origin("dependency_file").detail
    assert p.relative(p.touch) == "index.html"
    with pytest.raises(ProjectError, match="no dependency manifest to change"):
        experiments.bump_dependency(p, tmp_path / "copy")


def test_clear_errors_for_a_missing_folder_dockerfile_or_stage(tmp_path, flask_app):
    with pytest.raises(ContextNotFound, match="is not a folder"):
        project(tmp_path / "nope")
    with pytest.raises(DockerfileNotFound, match="Dockerfile.prod"):
        project(flask_app, "Dockerfile.prod")
    with pytest.raises(DockerfileError, match="no stage 'runtime'"):
        project(flask_app, target="runtime")
    (flask_app / "dockopt.toml").write_text("port = 70000\n")
    with pytest.raises(ProjectError, match="field port: 70000 is not a TCP port"):
        project(flask_app)
    (flask_app / "dockopt.toml").write_text('colour = "blue"\n')
    with pytest.raises(ProjectError, match="field colour: unknown field"):
        project(flask_app)


def test_a_dockerfile_path_names_the_project_too(flask_app):
    (flask_app / "Dockerfile.old").write_text("FROM python:3.11-bookworm\nCOPY . .\nCMD [\"python3\", \"app.py\"]\n")
    p = project(flask_app / "Dockerfile.old")
    assert p.context == flask_app.resolve() and p.dockerfile.name == "Dockerfile.old"
    assert p.origin("dockerfile").source == "given"


def test_init_writes_a_manifest_that_reads_back_the_same_and_never_overwrites(flask_app):
    detected = project(flask_app)
    p, text = init(flask_app)
    assert (flask_app / "dockopt.toml").read_text() == text
    data = tomllib.loads(text)
    assert data["port"] == 5000 and data["health_path"] == "/healthz" and data["cache"]["touch"] == "app.py"
    assert "# detected: EXPOSE 5000 (Dockerfile:11)" in text
    assert "# base_arg = ..." in text  # not found: written commented out for the user to fill in
    for field in ("name", "stack", "port", "health_path", "touch", "dependency_file", "dockerfile"):
        assert getattr(p, field) == getattr(detected, field), field
        assert p.origin(field).source == "manifest"
    before = text
    with pytest.raises(ProjectError, match="exists already"):
        init(flask_app)
    assert (flask_app / "dockopt.toml").read_text() == before


def test_a_sample_is_a_project_with_curated_metadata():
    s = samples.load("python-fastapi")
    assert isinstance(s, dockopt.Project) and isinstance(s, samples.Sample)
    assert s.dockerfile == s.dockerfile_spec("optimised").path.resolve() and s.target == "runtime"
    assert (s.port, s.health_path, s.base_arg) == (8000, "/health", "RUNTIME")
    assert s.origin("port").source == "manifest"
    # the same folder read as a plain project gets the project-level values of its manifest
    p = project(s.root)
    assert (p.dockerfile, p.target, p.port, p.base_arg) == (s.dockerfile, "runtime", 8000, "RUNTIME")
    # another Dockerfile of the folder: the manifest's target and ARG describe its own Dockerfile, not that one
    naive = project(s.root, "Dockerfile.naive")
    assert naive.target is None and naive.origin("base_arg").source == "detected"


def test_without_its_manifest_a_sample_is_detected_alike(tmp_path):
    shutil.copytree(samples.load("node-express").root, tmp_path / "node-express")
    (tmp_path / "node-express" / "dockopt.toml").unlink()
    p = project(tmp_path / "node-express")
    assert (p.stack, p.port, p.health_path, p.base_arg) == ("node", 3000, "/health", "RUNTIME")
    assert p.relative(p.touch).startswith("src/") and p.relative(p.dependency_file) == "package.json"


def test_one_resolver_for_projects_sample_names_and_folders(flask_app, monkeypatch):
    p = project(flask_app)
    assert experiments.resolve(p) is p
    assert isinstance(experiments.resolve("go-api"), samples.Sample)
    assert isinstance(experiments.resolve(samples.samples_dir() / "go-api"), samples.Sample)
    assert experiments.resolve(str(flask_app)).context == flask_app.resolve()
    monkeypatch.chdir(flask_app.parent)
    assert experiments.resolve("myapp").name == "myapp"  # a folder here wins over sample names
    with pytest.raises(ProjectError, match="neither a project folder nor a sample") as err:
        experiments.resolve("/path/to/app")
    assert "dockopt.toml does not exist" not in str(err.value)
    with pytest.raises(ProjectError, match="needs the naive and optimised Dockerfiles of a sample"):
        experiments.naive_vs_optimised(p)


@pytest.mark.parametrize("name, text, check", [
    ("package.json", '{"name": "x", "version": "1.0.0"}\n', json.loads),
    ("pyproject.toml", '[project]\nname = "x"\n', tomllib.loads),
    ("pom.xml", "<project><modelVersion>4.0.0</modelVersion></project>\n", ET.fromstring),
    ("app.csproj", '<Project Sdk="Microsoft.NET.Sdk"></Project>\n', ET.fromstring),
    ("requirements.txt", "flask==3.0.3\n", lambda t: [line for line in t.splitlines() if not line.startswith("#")]),
    ("go.mod", "module x\n\ngo 1.23\n", lambda t: t),
    ("style.css", "p { color: red; }\n", lambda t: t),
])
def test_cache_edits_change_the_bytes_and_keep_the_file_valid(tmp_path, name, text, check):
    path = tmp_path / name
    path.write_text(text)
    first = edit_file(path, relative=name, marker="run 1")
    after_first = path.read_text()
    check(after_first)
    assert after_first != text and first.bytes_after > first.bytes_before
    edit_file(path, relative=name, marker="run 2")
    after_second = path.read_text()
    check(after_second)
    assert after_second[len(after_first):] != after_first[len(text):]  # another run writes other bytes


def test_a_file_dockopt_cannot_edit_safely_is_refused(tmp_path):
    (tmp_path / "blob.bin").write_bytes(b"\0\1")
    with pytest.raises(ProjectError, match="does not know how to change"):
        edit_file(tmp_path / "blob.bin", relative="blob.bin")


def test_experiments_edit_a_copy_never_the_users_tree(flask_app, tmp_path):
    before = {p.name: p.read_bytes() for p in flask_app.iterdir() if p.is_file()}
    tree = experiments.copy_tree(project(flask_app), tmp_path / "copy")
    assert not (tree / "aaa_ignored.py").exists() and not (tree / "README.md").exists()
    assert (tree / "Dockerfile").is_file() and (tree / ".dockerignore").is_file()
    touched = experiments.touch_source(flask_app, tree)
    changed = experiments.bump_dependency(flask_app, tree)
    assert touched == tree / "app.py" and changed == (tree / "requirements.txt",)
    assert "dockopt cache experiment" in touched.read_text()
    assert {p.name: p.read_bytes() for p in flask_app.iterdir() if p.is_file()} == before


def test_base_plans_rewrite_the_final_from_in_a_copy_and_skip_what_cannot_work(flask_app):
    original = (flask_app / "Dockerfile").read_text()
    plans = {pl.base: pl for pl in experiments.base_plans(flask_app)}
    assert plans["slim"].current and plans["slim"].reference == "python:3.11-slim-bookworm"
    distroless = plans["distroless"]
    assert distroless.reference == "gcr.io/distroless/python3-debian12:nonroot" and distroless.skipped is None
    rewritten = distroless.dockerfile_text.splitlines()
    assert rewritten[0] == "FROM python:3.11-slim-bookworm AS deps"  # the build stage keeps its base
    assert rewritten[4] == "FROM gcr.io/distroless/python3-debian12:nonroot"
    assert "ships no python3" in plans["alpine"].skipped
    assert (flask_app / "Dockerfile").read_text() == original
    table = experiments.base_candidates(flask_app)
    assert list(table.columns) == ["base", "base_image", "current", "how", "skipped"]


def test_a_base_without_a_shell_is_skipped_when_the_stage_runs_shell_commands(tmp_path):
    root = write(tmp_path / "single", {"app.py": "print(1)\n", "requirements.txt": "flask\n", "Dockerfile": (
        "FROM python:3.11-slim-bookworm\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
        "COPY app.py .\nCMD [\"python3\", \"app.py\"]\n")})
    plans = {pl.base: pl for pl in experiments.base_plans(root)}
    assert "has no shell" in plans["distroless"].skipped and "RUN pip install" in plans["distroless"].skipped


def test_base_plans_vary_the_arg_the_final_from_takes(tmp_path):
    root = write(tmp_path / "argimg", {"app.py": "print(1)\n", "requirements.txt": "flask\n", "Dockerfile": (
        "ARG BASE=python:3.11-slim-bookworm\nFROM ${BASE}\nCOPY app.py .\nCMD [\"python3\", \"app.py\"]\n")})
    p = project(root)
    assert p.base_arg == "BASE"
    plans = {pl.base: pl for pl in experiments.base_plans(p)}
    assert dict(plans["distroless"].build_args) == {"BASE": "gcr.io/distroless/python3-debian12:nonroot"}
    assert plans["distroless"].dockerfile_text is None and plans["slim"].current
    # FROM runtime-${RUNTIME}: the ARG selects one of the stages named like that
    selector = {pl.base: pl for pl in experiments.base_plans(project(samples.load("go-api").root, "Dockerfile"))}
    assert set(selector) == {"scratch", "distroless", "alpine", "slim"} and selector["scratch"].current
    assert selector["distroless"].reference == "gcr.io/distroless/static-debian12:nonroot"
    assert dict(selector["slim"].build_args) == {"RUNTIME": "slim"}


def test_a_samples_base_plans_come_from_its_manifest():
    plans = {pl.base: pl for pl in experiments.base_plans("python-fastapi")}
    assert plans["distroless"].current and plans["slim"].skipped is None
    assert "apk add python3" in plans["alpine"].skipped


def test_manifest_text_is_valid_toml_for_every_sample(tmp_path):
    for s in samples.all_samples():
        tomllib.loads(manifest_text(project(s.root)))


def test_compressed_layer_sizes_are_each_layer_gzipped_in_manifest_order():
    """docker-save.tar (tests/fixtures/archives) read two ways: dockopt's streaming count, and the layer
    tars taken out with tarfile and gzipped whole at the same level; equal, layer by layer, in order."""
    import gzip
    import tarfile

    from dockopt.image.compressed import GZIP_LEVEL, compressed_layers
    from tests.conftest import FIXTURES

    archive = FIXTURES / "archives" / "docker-save.tar"
    measured = compressed_layers(archive)
    with tarfile.open(archive) as t:
        manifest = json.load(t.extractfile("manifest.json"))
        layers = [t.extractfile(name).read() for name in manifest[0]["Layers"]]
    assert measured.layer_bytes == tuple(len(raw) for raw in layers)
    # gzip.compress writes a header with a timestamp and no name, as zlib's gzip wrapper does: same length
    assert measured.compressed_bytes == tuple(len(gzip.compress(raw, GZIP_LEVEL, mtime=0)) for raw in layers)
    assert 0 < measured.ratio < 1 and measured.total_bytes == sum(measured.compressed_bytes)
