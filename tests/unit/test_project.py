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


# --- detection that explains itself: shapes found in public Dockerfiles (benchmarks/dockerfile_corpus.py) -----


def test_expose_with_variables_prefers_the_service_port_over_a_debugger(tmp_path):
    root = write(tmp_path / "api", {"server.js": "require('http').createServer().listen(process.env.PORT)\n",
                                    "package.json": "{}\n", "Dockerfile": (
        "FROM node:22-slim\nARG PORT=80\nWORKDIR /code\nCOPY package.json .\nRUN npm install\nCOPY . .\n"
        "EXPOSE $PORT 9229 9230\nCMD [\"node\", \"server.js\"]\n")})
    p = project(root)
    assert p.port == 80 and p.origin("port").confidence == "high"
    assert "EXPOSE 80" in p.origin("port").detail and "9229" in p.origin("port").detail
    # a debugger's port alone is a guess, and says so
    (root / "Dockerfile").write_text("FROM eclipse-temurin:21-jre\nCOPY app.jar /app.jar\nEXPOSE 5005\n"
                                     "CMD [\"java\", \"-jar\", \"/app.jar\"]\n")
    (root / "app.jar").write_bytes(b"PK")
    guessed = project(root)
    assert guessed.port == 5005 and guessed.origin("port").confidence == "low"
    assert "low confidence" in guessed.origin("port").described


def test_docker_init_style_bind_mounts_deliver_the_manifest_and_sources(tmp_path):
    root = write(tmp_path / "svc", {
        "requirements.txt": "fastapi==0.115.0\n", "app/main.py": "@app.get('/healthz')\ndef ok(): ...\n",
        "docs/requirements.txt": "mkdocs\n", "Dockerfile": (
            "# syntax=docker/dockerfile:1\nARG PYTHON_VERSION=3.12\nFROM python:${PYTHON_VERSION}-slim AS base\n"
            "WORKDIR /app\n"
            "RUN --mount=type=cache,target=/root/.cache/pip \\\n"
            "    --mount=type=bind,source=requirements.txt,target=requirements.txt \\\n"
            "    python -m pip install -r requirements.txt\n"
            "RUN --mount=type=bind,source=app,target=/src/app cp -r /src/app /app\n"
            "EXPOSE 8000\nCMD [\"uvicorn\", \"app.main:app\"]\n")})
    p = project(root)
    assert p.stack == "python" and p.relative(p.dependency_file) == "requirements.txt"
    assert "mounted by" in p.origin("dependency_file").detail
    assert p.relative(p.touch) == "app/main.py" and "mounted by" in p.origin("touch").detail
    assert p.health_path == "/healthz"


def test_the_manifest_nearest_the_context_root_wins(tmp_path):
    root = write(tmp_path / "shop", {
        "services/web/package.json": "{}\n", "package.json": "{}\n", "index.js": "1\n",
        "Dockerfile": "FROM node:22\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"index.js\"]\n"})
    p = project(root)
    assert p.relative(p.dependency_file) == "package.json"


@pytest.mark.parametrize("files,expected", [
    ({"logo.svg": "<svg/>", "server.py": "x = 1\n"}, "server.py"),
    ({"api_pb2.py": "x = 1\n", "api_pb2_grpc.py": "x = 1\n", "email_server.py": "x = 1\n"}, "email_server.py"),
    ({"static/app.min.js": "x", "static/app.js": "x", "main.py": "x = 1\n"}, "main.py"),
    ({"karma.conf.js": "x", "src/main.ts": "x", "package.json": "{}"}, "src/main.ts"),
])
def test_the_source_file_is_a_real_one_never_a_picture_or_a_generated_file(tmp_path, files, expected):
    root = write(tmp_path / "app", {**files, "Dockerfile": "FROM python:3.12-slim\nCOPY . /app\n"
                                                           "CMD [\"python\", \"/app/email_server.py\"]\n"})
    p = project(root)
    assert p.relative(p.touch) == expected


def test_the_file_cmd_names_is_the_one_to_edit(tmp_path):
    root = write(tmp_path / "mail", {"logger.py": "x = 1\n", "email_server.py": "x = 1\n",
                                     "requirements.txt": "grpcio\n", "Dockerfile": (
        "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n"
        "ENTRYPOINT [\"python\", \"email_server.py\"]\n")})
    assert project(root).relative(project(root).touch) == "email_server.py"


def test_a_folder_holding_only_a_dockerfile_says_why_for_each_value(tmp_path):
    root = write(tmp_path / "tool", {"Dockerfile": "FROM alpine:3.20\nRUN apk add --no-cache curl\n"
                                                   "ENTRYPOINT [\"curl\"]\n"})
    p = project(root)
    assert (p.stack, p.port, p.health_path, p.touch, p.dependency_file) == (None, None, None, None, None)
    assert "reads nothing from the context" in p.origin("touch").detail
    assert "copies no dependency manifest" in p.origin("dependency_file").detail


@pytest.mark.parametrize("base,stack", [
    ("python", "python"), ("docker.io/library/python:3.12-slim", "python"), ("cgr.dev/chainguard/node:latest", "node"),
    ("golang@sha256:" + "a" * 64, "go"), ("mcr.microsoft.com/dotnet/sdk:8.0", "dotnet"),
    ("gcr.io/distroless/java21-debian12:nonroot", "java"), ("public.ecr.aws/docker/library/node:22", "node"),
    ("alpine:3.20", None), ("${BASE}", "python"),
])
def test_the_stack_from_bases_however_they_are_written(tmp_path, base, stack):
    root = write(tmp_path / "b", {"Dockerfile": f"ARG BASE=python:3.12\nFROM {base}\nRUN true\n"})
    p = project(root)
    assert p.stack == stack
    if stack is not None:
        assert p.origin("stack").confidence == "medium"


@pytest.mark.parametrize("source,route", [
    ("@GetMapping(\"/actuator/health\")", "/actuator/health"),
    ("router.get('/api/health', ok)", "/api/health"),
    ("r.HandleFunc(\"/livez\", live)\nr.HandleFunc(\"/readyz\", ready)", "/livez"),
    ("app.get(`/ping`, pong)", "/ping"),
])
def test_health_routes_of_the_shapes_real_services_use(tmp_path, source, route):
    root = write(tmp_path / "h", {"main.go": source + "\n", "Dockerfile": "FROM golang:1.23\nCOPY . .\n"})
    assert project(root).health_path == route


def test_spring_boot_actuator_gives_its_health_path(tmp_path):
    root = write(tmp_path / "spring", {
        "pom.xml": "<project><dependency><artifactId>spring-boot-starter-actuator</artifactId></dependency>"
                   "</project>\n",
        "src/main/java/App.java": "class App {}\n",
        "Dockerfile": "FROM maven:3.9-eclipse-temurin-21\nCOPY pom.xml .\nCOPY src src\nRUN mvn package\n"})
    p = project(root)
    assert p.health_path == "/actuator/health" and p.origin("health_path").confidence == "medium"


def test_init_writes_a_low_confidence_value_commented_out(tmp_path):
    root = write(tmp_path / "web", {"site.conf": "server {}\n", "Dockerfile": (
        "FROM nginx:1.27\nCOPY site.conf /etc/nginx/conf.d/default.conf\nEXPOSE 80\n")})
    p, text = init(root)
    # read back: the commented guess is not a value of the manifest; it is detected again, and still a guess
    assert p.origin("touch").source == "detected" and p.origin("touch").confidence == "low"
    assert p.port == 80 and p.origin("port").source == "manifest"
    assert '# touch = "site.conf"  # detected: low confidence: not a source file' in text
    assert 'port = 80  # detected' in text


@pytest.mark.parametrize("files,dockerfile,stack,dep,touch", [
    ({"Cargo.toml": "[package]\n", "Cargo.lock": "", "src/main.rs": "fn main() {}\n"},
     "FROM rust:1.82-slim\nWORKDIR /app\nRUN --mount=type=bind,source=src,target=src "
     "--mount=type=bind,source=Cargo.toml,target=Cargo.toml --mount=type=bind,source=Cargo.lock,target=Cargo.lock "
     "cargo build --locked --release\n", "rust", "Cargo.toml", "src/main.rs"),
    ({"Gemfile": "source 'https://rubygems.org'\n", "app.rb": "puts 1\n"},
     "FROM ruby:3.3\nCOPY Gemfile ./\nRUN bundle install\nCOPY . .\n", "ruby", "Gemfile", "app.rb"),
    ({"composer.json": "{}\n", "public/index.php": "<?php\n"},
     "FROM php:8.3-fpm\nCOPY composer.json ./\nCOPY . /var/www\n", "php", "composer.json", "public/index.php"),
])
def test_other_languages_get_a_manifest_and_a_real_source_file(tmp_path, files, dockerfile, stack, dep, touch):
    p = project(write(tmp_path / stack, {**files, "Dockerfile": dockerfile}))
    assert (p.stack, p.relative(p.dependency_file), p.relative(p.touch)) == (stack, dep, touch)
    assert p.origin("touch").confidence == "high"


def test_the_manifest_of_the_stages_the_image_is_built_from_wins_a_tie(tmp_path):
    root = write(tmp_path / "todo", {"client/package.json": "{}\n", "client/src/App.js": "1\n",
                                     "backend/package.json": "{}\n", "backend/src/index.js": "1\n", "Dockerfile": (
        "FROM node:22 AS client\nWORKDIR /c\nCOPY client/package.json ./\nRUN npm i\nCOPY client/src ./src\n"
        "RUN npm run build\nFROM node:22\nWORKDIR /app\nCOPY backend/package.json ./\nRUN npm i\n"
        "COPY backend/src ./src\nCOPY --from=client /c/dist ./static\nCMD [\"node\", \"src/index.js\"]\n")})
    p = project(root)
    assert p.relative(p.dependency_file) == "backend/package.json"
    assert p.relative(p.touch) == "backend/src/index.js"


@pytest.mark.parametrize("final,arg,confidence", [
    ("FROM ${RUNTIME}", "RUNTIME", "high"), ("FROM runtime-${RUNTIME}", "RUNTIME", "high"),
    ("FROM golang:${GO_VERSION}-alpine", "GO_VERSION", "medium"),
    ("FROM runtime-slim${DEBUG:+-debug}", "DEBUG", "low"),
    ("FROM runtime-${TARGETARCH}", None, "high"),   # BuildKit sets it: nothing a base comparison can vary
])
def test_the_runtime_base_arg_and_how_sure_it_is(tmp_path, final, arg, confidence):
    root = write(tmp_path / "b", {"Dockerfile": (
        "ARG RUNTIME=runtime-slim\nARG GO_VERSION=1.23\nARG DEBUG\nFROM debian:bookworm-slim AS runtime-slim\n"
        "FROM debian:bookworm-slim AS runtime-slim-debug\nFROM debian:bookworm-slim AS runtime-amd64\n"
        "FROM debian:bookworm-slim AS runtime-arm64\n" + final + "\n")})
    p = project(root)
    assert p.base_arg == arg
    if arg is not None:
        assert p.origin("base_arg").confidence == confidence


def test_a_copy_source_from_a_base_image_variable_is_not_guessed(tmp_path):
    # $APP_SRC comes from the base image's ENV, which the parser cannot see: the word keeps its `$`
    root = write(tmp_path / "onb", {"main.py": "x = 1\n", "tools/gen.py": "x = 1\n", "Dockerfile": (
        "FROM python:3.12-slim\nCOPY tools/ /tools/\nCOPY $APP_SRC/ /app/\n")})
    p = project(root)
    copy = p.parsed().final.instructions[2]
    assert copy.values == ("$APP_SRC/", "/app/") and copy.unmatched == {"APP_SRC"}
    # read as "/" (the whole context) it would pick main.py from a line that may copy something else
    assert p.relative(p.touch) == "tools/gen.py"


def test_a_spring_class_mapping_prefixes_its_routes(tmp_path):
    controller = ('package x;\n@RestController\n@RequestMapping("/utility/")\npublic class Util {\n'
                  '  @RequestMapping(value="/healthcheck/", method = RequestMethod.GET)\n  public String ok() {}\n}\n')
    root = write(tmp_path / "spring", {"pom.xml": "<project/>\n", "src/main/java/x/Util.java": controller,
                                       "Dockerfile": "FROM maven:3.9\nCOPY pom.xml .\nCOPY src src\n"})
    assert project(root).health_path == "/utility/healthcheck"
