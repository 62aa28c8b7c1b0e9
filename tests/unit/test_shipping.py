"""Shipping without an engine: where images go in the registry, and the charts drawn from tables
recorded from a real run (notebooks/70_shipping, monorepo and go-api on Engine 20.10, Debian's
docker-registry 2.8 on 127.0.0.1:5000)."""

from __future__ import annotations

import pandas as pd
import pytest

from dockopt import plots
from dockopt.experiments import COLD_RUNNER_SCENARIOS, pushed_name

# experiments.transfer("monorepo").images, recorded (the columns the chart reads)
IMAGES = pd.DataFrame({
    "image": ["ns/monorepo:optimised-frontend", "ns/monorepo:optimised-api", "ns/monorepo:optimised-worker"],
    "size_bytes": [27755521, 5873816, 54191385], "compressed_bytes": [11108578, 2561303, 19767482],
    "new_bytes": [11108578, 2561303, 11877394], "shared_bytes": [0, 0, 7890088],
    "push_s": [0.10, 0.22, 0.16], "pull_s": [0.28, 0.15, 0.33], "fetch_s": [0.32, 0.04, 0.36]})
# experiments.ci_cold_runner("go-api"), recorded
RUNS = pd.DataFrame({
    "scenario": list(COLD_RUNNER_SCENARIOS), "status": ["measured", "measured", "skipped"],
    "wall_s": [82.71, 123.56, None], "steps_executed": pd.array([6, 6, None], dtype="Int64"),
    "steps_cached": pd.array([1, 1, None], dtype="Int64"),
    "note": [None, "cache from 127.0.0.1:5000/ns/go-api:ci-cache",
             "Engine 20.10.24+dfsg1 (API 1.41): the build API has cachefrom but no cache export; "
             "`type=registry,mode=max` needs buildx or buildctl with a BuildKit session"]})


def test_pushed_names_keep_the_repository_path_under_the_registry():
    assert pushed_name("dockopt-sample/go-api:optimised", "127.0.0.1:5000") == \
        "127.0.0.1:5000/dockopt-sample/go-api:optimised"
    assert pushed_name("node", "reg:5000") == "reg:5000/node:latest"
    assert pushed_name("127.0.0.1:5000/team/app:1", "other:5000") == "other:5000/team/app:1"
    assert pushed_name("gcr.io/distroless/static-debian12:nonroot", "r:1") == "r:1/distroless/static-debian12:nonroot"


def test_transfer_chart_stacks_new_and_reused_bytes():
    fig = plots.transfer(IMAGES)
    names = [t.name for t in fig.data]
    assert names[:3] == ["in the engine (uncompressed)", "pushed: new layers", "pushed: reused from an earlier image"]
    reused = fig.data[2]
    assert list(reused.base) == list(IMAGES["new_bytes"] / 1e6)  # stacked on the new bytes
    assert {"push", "pull (bases present)", "download all layers"} <= set(names)


def test_cold_runner_chart_shows_skipped_scenarios_with_their_reason():
    fig = plots.cold_runner(RUNS)
    measured = fig.data[0]
    assert list(measured.x) == ["no cache", "cache_from (inline cache)"]
    assert "6 ran, 1 cached" in measured.text[0]
    assert any("no cache export" in a.text.replace("<br>", " ") for a in fig.layout.annotations)


# --- a shared engine's build cache is pruned only when asked, never in classroom mode -------------------------


def test_pruning_the_whole_build_cache_needs_asking(monkeypatch):
    from dockopt import engine
    from dockopt.errors import PruneRefused

    def no_engine(*a, **kw):
        raise AssertionError("refused before the engine is asked anything")

    monkeypatch.setattr(engine, "api", no_engine)
    monkeypatch.delenv("DOCKOPT_CLASSROOM", raising=False)
    with pytest.raises(PruneRefused, match="without being asked") as refused:
        engine.prune_build_cache()
    assert "prune_before_pull=True" in str(refused.value)  # the hint names the flags that ask for it
    assert engine.prune_build_cache(ids=()) == 0  # nothing of its own to prune: nothing asked of the engine


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_classroom_mode_refuses_every_prune(monkeypatch, value):
    from dockopt import engine, settings
    from dockopt.errors import PruneRefused

    monkeypatch.setattr(engine, "api", lambda: pytest.fail("refused before the engine is asked anything"))
    monkeypatch.setenv(settings.CLASSROOM, value)
    assert settings.classroom()
    for kwargs in ({"confirm": True}, {"ids": ["abc"]}):
        with pytest.raises(PruneRefused, match="DOCKOPT_CLASSROOM=1"):
            engine.prune_build_cache(**kwargs)


def test_the_cold_runner_gives_every_run_step_a_cache_key_of_its_own(tmp_path):
    from dockopt.experiments.shipping import RUNNER_ARG, _own_steps

    df = tmp_path / "Dockerfile"
    df.write_text("ARG RUNTIME=scratch\nFROM golang:1.23 AS build\nRUN go build\n"
                  "from scratch AS runtime-scratch\nFROM runtime-${RUNTIME}\nCOPY --from=build /out /out\n")
    _own_steps(df)
    lines = df.read_text().splitlines()
    froms = [i for i, line in enumerate(lines) if line.lower().startswith("from ")]
    assert len(froms) == 3 and all(lines[i + 1] == f"ARG {RUNNER_ARG}" for i in froms)
    assert lines[0] == "ARG RUNTIME=scratch"  # the global ARG before the first FROM is left alone
