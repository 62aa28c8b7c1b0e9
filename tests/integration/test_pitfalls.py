"""Pitfall pairs and the single-stage breakdown on the real engine (small busybox contexts)."""

from __future__ import annotations

import json

from dockopt import engine
from dockopt.build import build
from dockopt.experiments import byte_breakdown, pitfalls


def test_copy_from_zero_ships_the_inserted_stage_and_a_named_reference_does_not(docker_engine):
    t = pitfalls.numeric_stage_reference().set_index("variant")
    assert t["built"].all()
    assert t.loc["numeric", "correct"] and t.loc["named", "correct"] and t.loc["named-inserted", "correct"]
    assert not t.loc["numeric-inserted", "correct"] and t.loc["numeric-inserted", "shipped"] == "docs preview"
    assert t.loc["numeric", "numeric_refs_flagged"] == 1 and t.loc["named", "numeric_refs_flagged"] == 0


def test_a_key_deleted_by_the_next_run_is_found_and_read_back_whole(docker_engine):
    findings, recovered = pitfalls.deleted_secret()
    row = findings[findings["path"] == "/root/.ssh/id_deploy"].iloc[0]
    assert row["deleted_later"] and not row["visible"] and row["rule"] == "private-key"
    assert recovered["recovered_equal"] and recovered["recovered_bytes"] == recovered["key_bytes"]
    assert not recovered["visible_in_final"]


def test_byte_breakdown_sorts_base_dev_and_production_bytes(docker_engine, tmp_path):
    lock = {"lockfileVersion": 3, "packages": {"": {}, "node_modules/express": {"version": "4"},
                                               "node_modules/nodemon": {"version": "3", "dev": True},
                                               "node_modules/nodemon/node_modules/debug": {"dev": True}}}
    (tmp_path / "package-lock.json").write_text(json.dumps(lock))
    for rel, size in {"node_modules/express/index.js": 3000, "node_modules/nodemon/bin.js": 5000,
                      "node_modules/nodemon/node_modules/debug/x.js": 7000, "src/server.js": 11}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x" * size)
    dockerfile = "FROM busybox:1.35\nWORKDIR /app\nCOPY . .\nRUN echo log > /var/build.log\n"
    (tmp_path / "Dockerfile").write_text(dockerfile)
    result = build(tmp_path, tag=None, progress=False, labels={"io.dockopt.managed": "experiment"})
    try:
        parts = byte_breakdown(result.image_id, "busybox:1.35", lockfile=tmp_path / "package-lock.json")
        got = parts.set_index("part")["size_bytes"]
        assert got["dev dependencies"] == 12000 and got["production dependencies"] == 3000
        lock_bytes = (tmp_path / "package-lock.json").stat().st_size
        assert got["application files"] == 11 + len(dockerfile) + lock_bytes
        assert got["other build output"] == 4 and got["base image"] > 1_000_000
    finally:
        engine.remove_image(result.image_id, force=True)


def test_a_moving_latest_changes_the_app_image_and_a_pinned_tag_does_not(docker_engine):
    t = pitfalls.moving_latest().set_index("reference")
    assert t.loc["latest", "changed"] and t.loc["latest", "base_version_after"] == "v2"
    assert not t.loc["pinned", "changed"] and t.loc["pinned", "base_version_after"] == "v1"
    assert t.loc["latest", "image_before"] == t.loc["pinned", "image_before"]  # the same base, the same app


def test_a_broken_app_is_running_without_a_healthcheck_and_unhealthy_with_one(docker_engine):
    t = pitfalls.silent_unhealthy(watch_s=5.0)
    silent, checked = t[t["variant"] == "no HEALTHCHECK"], t[t["variant"] == "HEALTHCHECK"]
    assert (silent["status"] == "running").all() and silent["health"].isna().all()
    assert (checked["status"] == "running").all() and checked["health"].iloc[-1] == "unhealthy"
    assert checked["health"].iloc[0] == "starting"
    images = set(t["image"])
    left = [c for c in engine.client().containers.list(all=True, ignore_removed=True) if c.attrs["Image"] in images]
    assert len(images) == 2 and not left  # both containers removed
