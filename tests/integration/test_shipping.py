"""What images cost to ship, measured through the real registry (tests/registry.py), and a fresh CI runner."""

from __future__ import annotations

from dockopt import engine, experiments, plots
from dockopt.registry import Registry


def test_transfer_of_the_monorepo_services(docker_engine, registry):
    t = experiments.transfer("monorepo", registry=registry, progress=False)
    rows = t.images.set_index(t.images["image"].str.rsplit(":", n=1).str[-1])
    assert list(rows.index) == ["optimised-frontend", "optimised-api", "optimised-worker"]
    reg = Registry(registry)
    for image, row in rows.iterrows():
        manifest = reg.manifest(row["pushed"])
        assert row["compressed_bytes"] == manifest.compressed_bytes == sum(x.size_bytes for x in manifest.layers)
        assert 0 < row["compressed_bytes"] < row["size_bytes"], image
        assert row["new_bytes"] + row["shared_bytes"] == row["compressed_bytes"]
        assert row["layers_sent"] + row["layers_skipped"] == row["layers"]
        assert row["push_s"] > 0 and row["fetch_s"] is not None
        assert row["pull_s"] is not None or row["note"], "a pull is measured, or why not is said"
        # the image is back in the engine under its own name, exactly as before
        assert engine.inspect_image(row["image"]).id == engine.inspect_image(row["pushed"]).id
    # frontend and worker both stand on distroless layers: the worker reuses what the frontend pushed
    assert rows.loc["optimised-worker", "shared_bytes"] > 0
    assert rows.loc["optimised-frontend", "shared_bytes"] == 0
    shared = t.layers[t.layers["shared"]]
    assert set(shared["first_in"]) == {rows.loc["optimised-frontend", "image"]}
    assert t.compressed_bytes == t.layers.drop_duplicates("digest")["compressed_bytes"].sum()
    assert t.compressed_bytes == rows["new_bytes"].sum()
    assert t.base_images and "gcr.io/distroless/base-debian12:nonroot" in t.base_images
    fig = plots.transfer(t.images)
    assert len(fig.data) >= 5


def test_ci_cold_runner(docker_engine, registry, monkeypatch):
    """A fresh runner measured without pruning the engine's build cache: only records it made itself go."""
    before = {r.id for r in engine.build_cache_records()}
    asked: list[set[str] | None] = []
    real_prune = engine.prune_build_cache

    def spy(*, confirm=False, ids=None):
        asked.append(None if ids is None else set(ids))
        return real_prune(confirm=confirm, ids=ids)

    monkeypatch.setattr(engine, "prune_build_cache", spy)
    runs = experiments.ci_cold_runner("go-api", registry=registry, progress=False)
    # never the whole cache, never a record that was there before; on a shared engine other builds'
    # records come and go meanwhile (their own prunes, the engine's GC), so those are not counted here
    assert asked and None not in asked
    pruned = set().union(*asked)
    assert pruned and not pruned & before
    assert len(pruned) <= 30, "the measurement's own RUN results and what stacks on them, not every new record"
    by = runs.set_index("scenario")
    assert list(by.index) == list(experiments.COLD_RUNNER_SCENARIOS)
    cold = by.loc["no cache"]
    # with no cache BuildKit still marks FROM a local image and a WORKDIR as cached; every RUN executes
    assert cold["status"] == "measured" and cold["steps_executed"] >= 4 and cold["steps_cached"] <= 2
    inline = by.loc["cache_from (inline cache)"]
    assert inline["status"] == "measured", inline["note"]
    assert inline["steps_executed"] + inline["steps_cached"] == cold["steps_executed"] + cold["steps_cached"]
    assert inline["steps_cached"] >= cold["steps_cached"]
    export = by.loc["registry cache export"]
    assert export["status"] == "skipped" and "cache export" in export["note"]
    assert "golang:1.23-bookworm" in by.loc["no cache", "bases"]
    fig = plots.cold_runner(runs)
    assert fig.data and fig.layout.annotations
