"""The conversion ladder without an engine: rungs read in order, the working copy's clutter, the waterfall."""

from __future__ import annotations

import pandas as pd
import pytest

from dockopt.errors import SampleError
from dockopt.experiments.ladder import LADDER_DIR, cluttered_copy, fake_secret_env, load_ladder
from dockopt.plots import ladder_waterfall
from dockopt.secrets import scan_contents


def test_the_guide_ladder_has_eight_rungs_in_order_each_saying_its_change():
    ladder = load_ladder()
    assert [r.index for r in ladder.rungs] == list(range(8))
    assert ladder.rungs[0].name == "naive" and ladder.rungs[-1].name == "nonroot-healthcheck"
    assert all(r.change and not r.change.startswith("Rung") for r in ladder.rungs)
    assert "manifests" in ladder.rungs[2].change
    for rung in ladder.rungs:  # each rung keeps its own ignore file: that is how rung 0 ships everything
        assert rung.dockerfile.with_name(rung.dockerfile.name + ".dockerignore").is_file()


def test_a_directory_without_rungs_or_with_two_rungs_numbered_alike_is_refused(tmp_path):
    with pytest.raises(SampleError, match="no ladder Dockerfiles"):
        load_ladder(tmp_path)
    (tmp_path / "0-a.Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "0-b.Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(SampleError, match="two rungs numbered 0"):
        load_ladder(tmp_path)


def test_the_fake_secret_is_what_the_scanner_finds():
    rules = {rule for rule, _ in scan_contents("/app/.env", fake_secret_env().encode())}
    assert {"stripe-live-key", "dotenv-secret", "url-credentials"} <= rules


def test_the_working_copy_has_the_clutter_and_is_the_same_bytes_every_time(tmp_path):
    a = cluttered_copy(tmp_path / "a")
    b = cluttered_copy(tmp_path / "b")
    added = dict(a.added)
    assert {".env", ".git", "npm-debug.log", "node_modules/fsevents/fsevents.node"} <= set(added)
    assert added["node_modules/fsevents/fsevents.node"] == 4 << 20
    assert (a.root / "src" / "server.js").is_file() and (a.root / ".git" / "HEAD").is_file()
    # fixed author and dates: the same commit, so a rung that ships .git stays cacheable between runs
    head_a = (a.root / ".git" / "refs" / "heads" / "main").read_text()
    head_b = (b.root / ".git" / "refs" / "heads" / "main").read_text()
    assert head_a == head_b
    assert (a.root / ".env").read_bytes() == (b.root / ".env").read_bytes()


def test_a_directory_that_is_no_node_project_is_refused(tmp_path):
    with pytest.raises(SampleError, match="no package.json"):
        cluttered_copy(tmp_path / "out", source=tmp_path)


def test_the_waterfall_starts_at_rung_zero_and_its_steps_add_up_to_the_last_rung():
    table = pd.DataFrame({"rung": [1, 0, 2], "name": ["b", "a", "c"],
                          "size_bytes": [800_000_000, 1_000_000_000, 150_000_000]})
    trace = ladder_waterfall(table).data[0]
    assert list(trace.measure) == ["absolute", "relative", "relative", "total"]
    assert list(trace.x) == ["0. a", "1. b", "2. c", "final image"]
    assert list(trace.y[:3]) == [1000.0, -200.0, -650.0]
    assert sum(trace.y[:3]) == pytest.approx(trace.y[3])
    assert LADDER_DIR.name == "ladder"


def test_the_fake_deploy_key_is_found_by_the_scanner_as_a_private_key():
    from dockopt.experiments.pitfalls import fake_private_key

    assert [rule for rule, _ in scan_contents("/root/.ssh/id_deploy", fake_private_key())] == ["private-key"]


def test_dev_packages_reads_npm_dev_flags_from_the_sample_lockfile():
    from dockopt.experiments.traditional import dev_packages
    from dockopt.samples import samples_dir

    dev = dev_packages(samples_dir() / "node-express" / "package-lock.json")
    assert dev["node_modules/nodemon"] is True and dev["node_modules/express"] is False


def test_every_sample_dockerfile_gets_a_row_and_a_multi_service_sample_one_per_service():
    from dockopt import samples
    from dockopt.experiments.multistage import _jobs

    assert ("java", "spring-boot", None) in _jobs(samples.load("java"))
    mono = _jobs(samples.load("monorepo"))
    assert {("monorepo api", "naive", "api"), ("monorepo api", "optimised", "api")} <= set(mono)


def test_dev_dependency_routes_each_change_one_install_line():
    """Every route replaces the naive install line and nothing else, and the naive route is the file as it is."""
    from dockopt.experiments import DEV_DEPENDENCY_ROUTES

    assert next(iter(DEV_DEPENDENCY_ROUTES.values()))[0] == "RUN npm install"
    assert all("npm install" in lines for lines, _ in DEV_DEPENDENCY_ROUTES.values())


def test_dev_dependency_routes_refuse_a_dockerfile_without_npm_install():
    from dockopt.errors import SampleError
    from dockopt.experiments import dev_dependency_routes

    with pytest.raises(SampleError, match="no `RUN npm install` line"):
        dev_dependency_routes("python-fastapi", "naive")


def test_the_script_only_pair_differs_in_its_stages_only():
    """Both variants ship the same script at the same path, as the same user: only the second stage differs."""
    from dockopt.experiments.multistage import _SCRIPT_DOCKERFILES

    single, multi = (_SCRIPT_DOCKERFILES[v].format(base="alpine:3.20") for v in ("single-stage", "multi-stage"))
    assert single.count("FROM ") == 1 and multi.count("FROM ") == 2
    for text in (single, multi):
        assert "/usr/local/bin/job.sh" in text and text.endswith('USER 65532:65532\nCMD ["job.sh"]\n')
