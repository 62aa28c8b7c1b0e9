"""The fleet audit against the real local registry holding a fleet of small real images (tests/fleet_images.py).

--jobs 2 and a local Dask cluster of two worker processes give the same tables; a killed audit
resumes without redoing finished digests; the fleet report opens offline and draws its charts
in headless Chromium. The images are pushed under a session-unique prefix and deleted at the end
(when the registry allows deletion; otherwise the unique prefix keeps them apart).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from dockopt.fleet import audit
from dockopt.fleet.discover import repositories, tags
from dockopt.fleet.store import digest_path
from dockopt.registry import Registry
from tests.fleet_images import FAKE_AWS_KEY, PushedFleet, push_fleet, remove_fleet

REPO_ROOT = Path(__file__).resolve().parents[2]
# timing and the age counted to "now" differ between two runs; every other column must agree
VARYING = ["duration_s", "base_age_days"]


@pytest.fixture(scope="module")
def fleet(registry: str):
    pushed = push_fleet(registry, repos=9, versions=6)
    assert len(pushed.digests) >= 50
    yield pushed
    remove_fleet(pushed)


@pytest.fixture(scope="module")
def by_processes(fleet: PushedFleet, tmp_path_factory):
    out = tmp_path_factory.mktemp("fleet-jobs")
    return audit(fleet.host, repo=f"{fleet.prefix}/*", tags="all", output=out, jobs=2)


def test_the_audit_covers_the_fleet_and_a_failure_is_a_row(fleet: PushedFleet, by_processes):
    done = by_processes
    images = done.images
    assert done.targets == len(images) == fleet.tags
    assert done.digests == done.analysed == len(fleet.digests) and done.skipped == 0
    assert done.failed == 1
    broken = images[images["repository"] == f"{fleet.prefix}/broken"].iloc[0]
    assert "not a tar archive" in broken["error"]
    ok = images[images["error"].isna()]
    # latest is the same digest as the last version: same facts, analysed once
    for repo, part in ok.groupby("repository"):
        assert part.set_index("tag").loc["latest", "digest"] == part.set_index("tag").loc["1.5.0", "digest"], repo
    distinct = ok.drop_duplicates("digest")
    assert set(distinct["base_family"].dropna()) == {"debian", "alpine"}
    assert set(distinct.loc[distinct["base_family"] == "alpine", "base_version"]) == {"3.20.3"}
    assert distinct["has_shell"].all()
    # odd repositories set no User
    root = distinct.set_index("repository")["runs_as_root"].groupby(level=0).first()
    assert all(root[f"{fleet.prefix}/app-{r}"] == (r % 2 == 1) for r in range(9))
    assert (distinct["secrets_count"] > 0).sum() == 54 // 3
    assert (distinct["reclaimable_bytes"] > 0).sum() == 54 - 54 // 4
    assert set(distinct["reclaimable_bytes"]) == {0, 100_000, 200_000, 300_000}
    assert (distinct["compressed_bytes"] < distinct["size_bytes"]).all()
    # the layers table makes sharing a group-by: the busybox layer is in every image of every repository
    shared = done.layers.groupby("layer_digest")["digest"].nunique()
    assert shared.max() == 54
    assert FAKE_AWS_KEY not in done.findings.to_json() + images.to_json()
    assert {"secrets-in-image", "runs-as-root"} <= set(done.findings["rule"])
    for name in ("images", "layers", "findings"):
        assert (Path(done.output) / f"{name}.parquet").is_file()


def test_jobs_and_a_local_dask_cluster_give_the_same_tables(fleet: PushedFleet, by_processes, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  worker_dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        pids = set(client.run(os.getpid).values())  # real worker processes, none of them this one
        assert len(pids) == 2 and os.getpid() not in pids
        by_dask = audit(fleet.host, repo=f"{fleet.prefix}/*", tags="all", output=tmp_path / "dask", dask=client)
        # the command line's --dask ADDRESS: its own client to the same scheduler, one repository
        from dockopt.cli import main
        from dockopt.fleet import read_tables

        one_repo = f"{fleet.prefix}/app-0"
        assert main(["audit", fleet.host, "--repo", one_repo, "--tags", "all", "-o", str(tmp_path / "cli"),
                     "--dask", cluster.scheduler_address]) == 0
    from_cli = read_tables(tmp_path / "cli")[0].drop(columns=VARYING)
    expected = by_processes.images[by_processes.images["repository"] == one_repo].drop(columns=VARYING)
    pd.testing.assert_frame_equal(from_cli, expected.reset_index(drop=True))
    assert by_dask.analysed == by_processes.analysed
    pd.testing.assert_frame_equal(by_dask.images.drop(columns=VARYING), by_processes.images.drop(columns=VARYING))
    pd.testing.assert_frame_equal(by_dask.layers, by_processes.layers)
    pd.testing.assert_frame_equal(by_dask.findings, by_processes.findings)


def test_a_killed_audit_resumes_without_redoing_finished_digests(fleet: PushedFleet, tmp_path):
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "dockopt.cli", "audit", fleet.host, "--repo", f"{fleet.prefix}/*", "--tags", "all",
           "-o", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    folder = out / "digests"
    deadline = time.monotonic() + 120
    try:
        while len(list(folder.glob("*.json"))) < 5:
            assert proc.poll() is None, f"the audit ended before it could be killed: {proc.stderr.read().decode()}"
            assert time.monotonic() < deadline, "the audit wrote no results in 120 s"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole process group this test started
        proc.wait(timeout=30)
        proc.stderr.close()
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("*.json")}
    assert 5 <= len(before) < len(fleet.digests), "the kill came after the audit finished"
    resumed = audit(fleet.host, repo=f"{fleet.prefix}/*", tags="all", output=out, jobs=2)
    assert resumed.skipped == len(before)
    assert resumed.analysed == len(fleet.digests) - len(before)
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("*.json")}
    assert {k: after[k] for k in before} == before  # not rewritten
    assert len(after) == len(fleet.digests)
    assert resumed.images["error"].notna().sum() == 1  # only the broken image; nothing left "not analysed"
    assert not list(folder.glob(".tmp-*"))


def test_results_of_a_digest_are_stored_whole(by_processes):
    digest = by_processes.images["digest"].dropna().iloc[0]
    assert digest_path(Path(by_processes.output), digest).is_file()


def test_pagination_follows_the_link_header(fleet: PushedFleet):
    reg = Registry(fleet.host)
    everything = repositories(reg, f"{fleet.prefix}/*")
    assert everything == sorted(fleet.repositories)
    assert repositories(reg, f"{fleet.prefix}/*", page=2) == everything
    repo = f"{fleet.prefix}/app-0"
    assert tags(reg, repo, page=2) == tags(reg, repo) == sorted(
        ["latest", *(f"1.{v}.0" for v in range(6))])


def test_the_fleet_report_opens_offline_and_draws_its_charts(by_processes, tmp_path):
    from dockopt.report.check import check_html
    from dockopt.report.fleet import render_fleet_report

    chromium = Path("/usr/bin/chromium")
    done = render_fleet_report(by_processes.output, tmp_path / "fleet.html")
    page = Path(done.html_path).read_text()
    assert "Worst offenders" in page and "dockopt report --image" in page
    assert Path(done.notebook_path).is_file()
    if not chromium.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI checks the fleet report in Chromium: apt-get install chromium")
        pytest.skip("no /usr/bin/chromium to open the report (apt-get install chromium)")
    seen = check_html(done.html_path, browser=str(chromium))
    assert seen.external_resources == 0 and seen.plotly_inline
    assert seen.charts_drawn == done.charts == 4


def test_the_fleet_notebook_template_runs_on_the_tables(by_processes, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    from dockopt.report.fleet import fleet_notebook

    path = fleet_notebook(by_processes.output, tmp_path / "fleet.ipynb")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum(o.output_type == "display_data" for o in outputs) >= 4  # the four charts
