"""optimise on the real engine, on projects it has never seen (tests/fixtures/optimise), each copied and
cluttered the way a developer's folder is: a git repository, host-installed dependencies, a .env with a
fake credential (generated here), logs. Each project is climbed once (module-scoped) and every test reads
that one proposal: healthy, at most half the original's size, not root, no credentials files in the image,
every rung measured, the user's folder untouched, and --write keeping a backup."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dockopt import files, proc
from dockopt.cli import main
from dockopt.dockerfile import parse
from dockopt.experiments.ladder import _GIT_ENV, fake_secret_env
from dockopt.optimise import RUNGS, Proposal, optimise
from dockopt.project import project

from ..conftest import FIXTURES

PROJECTS = ("go-shortener", "node-todo-api", "flask-notes", "uv-quotes")
_JUNK = {
    "node-todo-api": {"node_modules/left-pad/index.js": b"module.exports = (s) => s;\n",
                      "node_modules/.cache/blob.bin": b"\0" * (4 << 20),
                      "npm-debug.log": b"npm ERR! code E404\n" * 500},
    "flask-notes": {".venv/lib/python3.11/site-packages/junk.bin": b"\0" * (4 << 20),
                    "notes/__pycache__/store.cpython-311.pyc": b"\0" * 2048, "pip-log.txt": b"Collecting\n" * 300},
    "go-shortener": {"shortener": b"\x7fELF" + b"\0" * (4 << 20), "coverage.out": b"mode: set\n" * 200},
    # a host virtualenv made by another Python: `uv sync` in the naive build replaces it
    "uv-quotes": {".venv/pyvenv.cfg": b"home = /home/dev/.pyenv/versions/3.12.1/bin\nversion = 3.12.1\n",
                  ".venv/lib/python3.12/site-packages/junk.bin": b"\0" * (4 << 20),
                  ".pytest_cache/v/cache/lastfailed": b"{}\n"},
}
_LINKS = {"uv-quotes": {".venv/bin/python": "/home/dev/.pyenv/versions/3.12.1/bin/python3.12"}}


def _cluttered(name: str, dest: Path) -> Path:
    root = dest / name
    shutil.copytree(FIXTURES / "optimise" / name, root)
    (root / ".env").write_text(fake_secret_env(f"optimise {name}"), encoding="utf-8")
    for rel, data in _JUNK[name].items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for rel, target in _LINKS.get(name, {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).symlink_to(target)
    proc.run(["git", "init", "-q", "-b", "main", str(root)], env=_GIT_ENV)
    proc.run(["git", "-C", str(root), "add", "-A", "--", ".", ":!.env"], env=_GIT_ENV)
    proc.run(["git", "-C", str(root), "commit", "-q", "-m", "wip"], env=_GIT_ENV)
    return root


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".git/" not in p.as_posix()):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module", params=PROJECTS)
def climbed(request, docker_engine, tmp_path_factory) -> tuple[Path, str, Proposal]:
    root = _cluttered(request.param, tmp_path_factory.mktemp("optimise"))
    before = _tree_digest(root)
    proposal = optimise(project(root))
    return root, before, proposal


def test_proposal_is_healthy_half_the_size_and_not_root(climbed):
    _, _, proposal = climbed
    ladder = proposal.ladder
    original, final = proposal.baseline, proposal.final
    assert bool(final["healthy"]) and final["rung"] == "healthcheck", ladder[["rung", "applied", "reason"]]
    assert int(final["size_bytes"]) <= int(original["size_bytes"]) / 2
    assert original["user"] == "root (unset)" and final["user"] == "65532:65532"
    assert proposal.image is not None and proposal.stopped is None


def test_no_credentials_file_reaches_the_image(climbed):
    _, _, proposal = climbed
    assert proposal.baseline["credential_files"] and ".env" in proposal.baseline["credential_files"]
    assert pd.isna(proposal.final["credential_files"])
    assert proposal.image is not None
    shipped = set(files(proposal.image)["path"])
    assert not any(p.endswith(("/.env", "/.git")) or "/.git/" in p for p in shipped)


def test_every_rung_is_a_measured_row(climbed):
    _, _, proposal = climbed
    ladder = proposal.ladder
    assert list(ladder["rung"]) == list(RUNGS)
    applied = ladder[ladder["applied"]]
    for col in ("size_bytes", "compressed_bytes", "rebuild_s", "packages", "user"):
        assert applied[col].notna().all(), col
    assert (applied["compressed_bytes"] < applied["size_bytes"]).all()
    assert ladder[~ladder["applied"]]["reason"].notna().all()
    # the source-edit rebuild of the final image is no slower than the original's (which reinstalls)
    assert float(proposal.final["rebuild_s"]) <= float(proposal.baseline["rebuild_s"]) * 1.5
    # the base was chosen by measurement: the chosen one is the smallest healthy candidate
    healthy = proposal.bases[proposal.bases["healthy"].fillna(False).astype(bool)]
    chosen = proposal.bases[proposal.bases["chosen"]]
    assert len(chosen) == 1 and int(chosen["size_bytes"].iloc[0]) == int(healthy["size_bytes"].min())


def test_the_proposal_reads_well_and_the_users_folder_is_untouched(climbed):
    root, before, proposal = climbed
    assert _tree_digest(root) == before
    df = parse("Dockerfile", text=proposal.dockerfile)
    assert len(df.stages) >= 2 and "measured:" in proposal.dockerfile
    assert proposal.diff.startswith("--- Dockerfile")
    assert proposal.dockerignore is not None and ".env" in proposal.dockerignore.splitlines()


def test_write_replaces_with_a_backup(climbed, tmp_path):
    root, _, proposal = climbed
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, symlinks=True)  # a host .venv links to an interpreter that is not here
    moved = Proposal(**{**proposal.__dict__, "context": copy, "original_path": copy / "Dockerfile"})
    written = moved.write()
    assert (copy / "Dockerfile.orig").read_text() == proposal.original
    assert (copy / "Dockerfile").read_text() == proposal.dockerfile
    assert (copy / ".dockerignore").read_text() == proposal.dockerignore
    assert copy / "Dockerfile.orig" in written
    moved.write()  # a second write never overwrites the first backup
    assert (copy / "Dockerfile.orig").read_text() == proposal.original
    assert (copy / "Dockerfile.orig.1").is_file()


def test_cli_prints_the_ladder_and_writes_only_where_told(docker_engine, tmp_path, capsys):
    root = _cluttered("node-todo-api", tmp_path)
    before = _tree_digest(root)
    out = tmp_path / "Dockerfile.proposed"
    assert main(["optimise", str(root), "-o", str(out), "-q"]) == 0
    text = capsys.readouterr().out
    assert "healthcheck" in text and "runtime bases measured" in text
    assert out.read_text().startswith("# Proposed by `dockopt optimise`")
    assert _tree_digest(root) == before


def test_project_report_with_the_proposal(docker_engine, tmp_path):
    """``dockopt report --project --optimise`` on the smallest fixture: the proposal section (headline, ladder,
    chart, diff, both images side by side as a static twin) from the one Proposal the climb returned."""
    from dockopt import report

    root = tmp_path / "node-todo-api"
    shutil.copytree(FIXTURES / "optimise" / "node-todo-api", root)
    before = _tree_digest(root)
    assert main(["report", "--project", str(root), "--optimise", "-o", str(tmp_path / "out")]) == 0
    html_path = tmp_path / "out" / "node-todo-api.html"
    html = html_path.read_text(encoding="utf-8")
    assert "Traceback" not in html and "Not measured: the proposal" not in html
    for expected in ("The proposal: <code>dockopt optimise</code>", "dockerfile_change", "healthcheck",
                     "Each rung: bytes, and seconds to rebuild after a source edit", "dockopt-diff",
                     "Dockerfile (proposed)", "dockopt-proposal-twin", "Largest differences",
                     "proposes a Dockerfile whose image is"):
        assert expected in html, expected
    assert len(re.findall(r"""class=["']dockopt-static-twin["']""", html)) == 2
    assert "application/vnd.jupyter.widget-view+json" not in html
    assert _tree_digest(root) == before
    if proc.which("chromium") is None:
        return
    check = report.check_html(html_path)
    assert check.external_resources == 0 and check.plotly_inline
    # 7 charts of the report, the ladder chart, and a slider figure in each of the two twins
    assert check.charts_drawn == 10, check
    _screenshot(html_path)


def _screenshot(html_path: Path) -> None:
    """The proposal's section as a reader sees it, into tests/artefacts/ (git-ignored), when Playwright is here."""
    try:
        from tests.browser.lab import ARTEFACTS, browser_page
    except ImportError:  # pragma: no cover - the test extra is not installed
        return
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with browser_page(1500, 1100) as page:
        page.goto(html_path.as_uri())
        twin = page.locator(".dockopt-proposal-twin").first
        twin.locator(".slider-rail-touch-rect").first.wait_for(timeout=30_000)
        twin.screenshot(path=str(ARTEFACTS / "report-proposal-twin.png"))
        ladder = page.locator(".dockopt-diff").first
        ladder.screenshot(path=str(ARTEFACTS / "report-proposal-diff.png"))
