"""The sample manifests and their one loader (no engine needed)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dockopt import samples
from dockopt.errors import NeedsRegistry, SampleError

EXPECTED = {"node-express", "vue-spa", "go-api", "python-fastapi", "java", "dotnet-webapi", "monorepo"}
# The only base references the samples may use (upstream names; stand-ins are tagged with them).
ALLOWED_BASES = {
    "debian:bookworm-slim", "alpine:3.20", "busybox:1.35", "scratch", "nginx:1.27-bookworm",
    "node:24-bookworm", "node:24-bookworm-slim", "python:3.11-bookworm", "python:3.11-slim-bookworm",
    "golang:1.23-bookworm", "eclipse-temurin:17-jdk", "eclipse-temurin:17-jre",
    "mcr.microsoft.com/dotnet/sdk:8.0", "mcr.microsoft.com/dotnet/aspnet:8.0", "maven:3.9-eclipse-temurin-17",
    *(f"gcr.io/distroless/{v}-debian12{t}" for v in ("static", "base", "cc", "python3", "nodejs24", "java17")
      for t in ("", ":nonroot")),
}


def test_every_stack_has_a_sample():
    assert set(samples.names()) == EXPECTED
    assert {s.stack for s in samples.all_samples()} == set(samples.STACKS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_manifest_loads_and_its_files_exist(name):
    s = samples.load(name)
    assert s.name == name and s.root.is_dir() and s.manifest.is_file()
    assert s.health_path.startswith("/") and 0 < s.port < 65536
    for role in ("naive", "optimised"):
        assert s.dockerfile_spec(role).path.is_file()
    for spec in s.dockerfiles:
        assert spec.path.is_file()
    assert (s.root / ".dockerignore").is_file()
    assert (s.root / "README.md").is_file()
    assert s.cache.touch.is_file()
    if s.cache.dependency:
        for f in s.cache.bump_files:
            assert (s.root / f).is_file() and (s.cache.bump_dir / f).is_file()
            assert (s.root / f).read_text() != (s.cache.bump_dir / f).read_text()
            assert s.cache.bump_to in (s.cache.bump_dir / f).read_text()
    else:
        assert s.cache.reason


def _stages(dockerfile: Path) -> set[str]:
    return set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile.read_text(), re.M | re.I))


def _from_refs(dockerfile: Path) -> set[str]:
    refs = set(re.findall(r"^FROM\s+(\S+)", dockerfile.read_text(), re.M | re.I))
    return refs - _stages(dockerfile) - {r for r in refs if "$" in r}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_dockerfiles_follow_the_rules(name):
    s = samples.load(name)
    for spec in s.dockerfiles:
        text = spec.path.read_text()
        assert not re.search(r"^#\s*syntax\s*=", text, re.M | re.I), f"{spec.path}: no # syntax= line"
        assert "--pull" not in text
        assert _from_refs(spec.path) <= ALLOWED_BASES, f"{spec.path}: {_from_refs(spec.path) - ALLOWED_BASES}"
        for ref in _from_refs(spec.path) - {"scratch"}:
            assert ":" in ref, f"{spec.path}: base {ref} is not pinned to a tag"
        stages = _stages(spec.path)
        if spec.target:
            assert spec.target in stages
        for t in s.targets:
            if spec.role in t.dockerfiles:
                assert t.stage in stages, f"{spec.path}: no stage {t.stage!r}"
    opt = s.dockerfile_spec("optimised").path.read_text()
    healthchecks = re.findall(r"^HEALTHCHECK\b(.*(?:\\\n.*)*)", opt, re.M)
    assert healthchecks and re.search(r"^USER\s+\S+", opt, re.M)
    assert all("curl" not in h for h in healthchecks), "distroless/scratch runtimes have no curl"
    assert not re.search(r"^USER\s+(root|0)\b", opt, re.M)
    naive = s.dockerfile_spec("naive").path.read_text()
    assert re.search(r"^COPY \. \.", naive, re.M) and not re.search(r"^(HEALTHCHECK|USER)\b", naive, re.M)
    if s.bases:
        assert f"ARG {s.base_arg}={s.default_base}\n" in opt, "the manifest default must be the Dockerfile default"
        stages = _stages(s.dockerfile_spec("optimised").path)
        for b in s.bases:
            if b.offline:
                assert f"runtime-{b.name}" in stages, f"no runtime-{b.name} stage for base {b.name}"
            assert b.image in ALLOWED_BASES
            assert b.offline or b.reason


def test_registry_only_samples_say_why_and_refuse_to_build():
    dotnet = samples.load("dotnet-webapi")
    assert dotnet.registry_only
    assert dotnet.registry_reason == "needs registry access for mcr.microsoft.com/dotnet/sdk"
    assert not any(b.buildable for b in dotnet.builds())
    with pytest.raises(NeedsRegistry, match="needs registry access for mcr.microsoft.com/dotnet/sdk"):
        samples.build_request(dotnet, "optimised")
    java = samples.load("java")
    spring = java.dockerfile_spec("spring-boot")
    assert spring.registry_only and "registry" in spring.reason
    with pytest.raises(NeedsRegistry):
        samples.build_request(java, "spring-boot")
    with pytest.raises(NeedsRegistry, match="Alpine"):
        samples.build_request(samples.load("python-fastapi"), "optimised", base="alpine")


def test_build_request_names_dockerfile_target_args_tag_and_labels(monkeypatch):
    monkeypatch.setenv("DOCKOPT_NAMESPACE", "dockopt-sample")
    monkeypatch.delenv("DOCKOPT_LABELS", raising=False)
    mono = samples.load("monorepo")
    req = samples.build_request(mono, "optimised", target="api")
    assert (req.context, req.dockerfile, req.target) == (mono.root, "Dockerfile", mono.target_spec("api").stage)
    assert req.tag == "dockopt-sample/monorepo:optimised-api" and dict(req.build_args) == {}
    assert dict(req.labels) == {"io.dockopt.managed": "sample", "io.dockopt.sample": "monorepo",
                                "io.dockopt.variant": "optimised", "io.dockopt.base": ""}
    go = samples.build_request("go-api", "optimised", "distroless")
    assert dict(go.build_args) == {"RUNTIME": "distroless"} and go.labels["io.dockopt.base"] == "distroless"
    with pytest.raises(SampleError, match="optimised Dockerfile only"):
        samples.build_request("go-api", "naive", "distroless")
    with pytest.raises(SampleError, match="not in Dockerfile.naive"):
        samples.build_request(mono, "naive", target="test")


def test_build_matrix():
    node = samples.load("node-express")
    labels = {b.label for b in node.builds() if b.buildable}
    assert labels == {"naive", "optimised-distroless", "optimised-slim", "optimised-alpine"}
    mono = samples.load("monorepo")
    assert {(b.variant, b.target) for b in mono.builds()} == {
        (v, t) for v in ("naive", "optimised") for t in ("frontend", "api", "worker")}
    assert [s.port for s in mono.services()] == [8080, 8081, 8082]


def test_samples_table():
    df = samples.samples_table()
    assert isinstance(df, pd.DataFrame)
    assert set(df["name"]) == EXPECTED
    assert {"name", "stack", "port", "health_path", "naive", "optimised", "bases", "registry_only"} <= set(df.columns)
    assert df.set_index("name").loc["dotnet-webapi", "buildable_images"] == 0


def test_unknown_sample():
    with pytest.raises(SampleError, match="no sample called 'nope'"):
        samples.load("nope")


# --- bad manifests ------------------------------------------------------------------------------


@pytest.fixture
def copy_of_node(tmp_path, monkeypatch):
    root = tmp_path / "sample_apps"
    shutil.copytree(samples.load("node-express").root, root / "node-express",
                    ignore=shutil.ignore_patterns("node_modules"))
    monkeypatch.setenv("DOCKOPT_SAMPLES_DIR", str(root))
    return root / "node-express" / samples.MANIFEST


@pytest.mark.parametrize("edit, field", [
    (lambda t: t.replace('port = 3000\n', ''), "port"),
    (lambda t: t.replace('port = 3000', 'port = "3000"'), "port"),
    (lambda t: t.replace('port = 3000', 'port = 70000'), "port"),
    (lambda t: t.replace('stack = "node"', 'stack = "cobol"'), "stack"),
    (lambda t: t.replace('name = "node-express"', 'name = "other"'), "name"),
    (lambda t: t.replace('health_path = "/health"', 'health_path = "health"'), "health_path"),
    (lambda t: t.replace('path = "Dockerfile.naive"', 'path = "Dockerfile.missing"'), "dockerfiles.naive.path"),
    (lambda t: t.replace('[dockerfiles.naive]\npath = "Dockerfile.naive"\n', ''), "dockerfiles.naive"),
    (lambda t: t.replace('default = "distroless"', 'default = "gentoo"'), "bases.default"),
    (lambda t: t.replace('[bases.variants.slim]', '[bases.variants.slim]\noffline = false'),
     "bases.variants.slim.reason"),
    (lambda t: t.replace('touch = "src/app.js"', 'touch = "src/gone.js"'), "cache.touch"),
    (lambda t: t.replace('bump_to = "4.21.2"\n', ''), "cache.bump_to"),
    (lambda t: 'colour = "blue"\n' + t, "colour"),
])
def test_bad_manifest_names_file_and_field(copy_of_node, edit, field):
    copy_of_node.write_text(edit(copy_of_node.read_text()))
    with pytest.raises(SampleError) as err:
        samples.load("node-express")
    assert str(copy_of_node) in str(err.value)
    assert f"field {field}" in str(err.value)


def test_manifest_that_is_not_toml(copy_of_node):
    copy_of_node.write_text("name = \n")
    with pytest.raises(SampleError, match="not valid TOML"):
        samples.load("node-express")


def test_cache_helpers(tmp_path):
    from dockopt import experiments

    node = samples.load("node-express")
    tree = experiments.copy_tree(node, tmp_path / "tree")
    assert not (tree / "node_modules").exists()
    touched = experiments.touch_source(node, tree)
    last_line = touched.read_text().splitlines()[-1]
    assert last_line.startswith("// dockopt cache experiment: source edit ")
    assert experiments.touch_source(node, tree).read_text().splitlines()[-1] != last_line  # unique to each run
    (bumped_pkg, bumped_lock) = experiments.bump_dependency(node, tree)
    assert '"express": "4.21.2"' in bumped_pkg.read_text()
    json.loads(bumped_pkg.read_text())  # still valid after the run-unique mark
    assert node.root.joinpath("package.json").read_text() != bumped_pkg.read_text()
    with pytest.raises(SampleError, match="no dependency to bump"):
        experiments.bump_dependency(samples.load("java"), tree)
