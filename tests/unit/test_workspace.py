"""The one workspace: a private copy of what a build sends, edits in each file's own comment syntax,
removed on exit; the user's tree is never touched."""

from __future__ import annotations

import json

import pytest

from dockopt import edits, workspace
from dockopt.errors import DockoptError, ProjectError
from dockopt.workspace import Workspace


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def app(tmp_path):
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "Dockerfile").write_text("FROM scratch\nCOPY src /src\n")
    (root / ".dockerignore").write_text("*.log\nsecret.env\n")
    (root / "src" / "app.js").write_text("console.log(1)\n")
    (root / "package.json").write_text('{"name": "x"}\n')
    (root / "debug.log").write_text("noise\n")
    (root / "secret.env").write_text("TOKEN=1\n")
    return root


def test_the_copy_holds_what_the_build_sends_and_goes_away(app):
    before = _tree(app)
    with Workspace(app) as ws:
        copied = set(_tree(ws.root))
        assert copied == {"Dockerfile", ".dockerignore", "src/app.js", "package.json"}
        edit = ws.edit_source("src/app.js")
        assert edit.bytes_after > edit.bytes_before
        assert (ws.root / "src" / "app.js").read_text().splitlines()[-1].startswith("// dockopt source edit ")
        manifest = ws.touch_manifest("package.json")
        json.loads((ws.root / "package.json").read_text())  # still valid
        assert "whitespace" in manifest.how
        secrets = ws.outside("secrets")
        assert not secrets.is_relative_to(ws.root)
        root = ws.root
    assert not root.exists() and not secrets.exists()
    assert _tree(app) == before


def test_a_whole_copy_keeps_what_the_ignore_file_is_meant_to_keep_out(app):
    with Workspace(app, whole=True, ignore=("*.log",), name="context") as ws:
        assert ws.root.name == "context"
        assert set(_tree(ws.root)) == {"Dockerfile", ".dockerignore", "src/app.js", "package.json", "secret.env"}


def test_each_edit_is_unique_so_the_cache_misses(app):
    with Workspace(app) as ws:
        ws.edit_source("src/app.js")
        first = ws.path("src/app.js").read_text()
        ws.edit_source("src/app.js")
        second = ws.path("src/app.js").read_text()
    assert first.splitlines()[-1] != second.splitlines()[-1]


def test_the_dockerfile_maps_into_the_copy_unless_it_lies_outside(app, tmp_path):
    outside = tmp_path / "other.Dockerfile"
    outside.write_text("FROM scratch\n")
    with Workspace(app, dockerfiles=["Dockerfile", outside]) as ws:
        assert ws.dockerfile("Dockerfile") == ws.root / "Dockerfile"
        assert ws.dockerfile(app / "Dockerfile") == ws.root / "Dockerfile"
        assert ws.dockerfile(outside) == outside


def test_one_comment_syntax_table_for_every_caller():
    assert edits.comment_syntax("a/b/app.py") == ("#", "")
    assert edits.comment_syntax("main.go") == ("//", "")
    assert edits.comment_syntax("index.html") == ("<!--", " -->")
    assert edits.comment_syntax("style.css") == ("/*", " */")
    assert edits.comment_syntax("requirements.txt") == ("#", "")
    assert edits.comment_syntax("package.json") == edits.WHITESPACE
    assert edits.comment_syntax("blob.bin") is None and not workspace.editable("blob.bin")
    import importlib

    from dockopt.exercises import grade
    from dockopt.experiments import cache

    project = importlib.import_module("dockopt.project")  # `dockopt.project` the attribute is the function
    assert project.edit_file is edits.edit_file and cache.edit_file is edits.edit_file
    assert grade.edit_file is edits.edit_file


def test_a_file_it_cannot_edit_safely_is_refused(app):
    (app / "blob.bin").write_bytes(b"\0")
    with Workspace(app, whole=True) as ws, pytest.raises(ProjectError, match="does not know how"):
        ws.edit_source("blob.bin")


def test_outside_its_block_the_workspace_says_how_to_use_it(app):
    ws = Workspace(app)
    with pytest.raises(DockoptError, match="not open"):
        _ = ws.root
    with pytest.raises(DockoptError, match="not a folder"):
        Workspace(app / "nope")
