"""BuildKit progress decoding, replayed from real /build?version=2 responses (tests/fixtures/buildkit)."""

from __future__ import annotations

import base64
import json

import pytest

from dockopt import buildkit
from dockopt.build import failure
from dockopt.errors import BuildFailed, DockerfileError, NeedsRegistry
from tests.conftest import FIXTURES


def messages(name: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / "buildkit" / f"{name}.jsonl").read_text().splitlines()]


def test_vertex_names_parse_into_stage_index_and_instruction():
    named = buildkit.parse_vertex_name("[build 2/4] RUN npm ci --omit=dev")
    assert (named.stage, named.index, named.total, named.instruction) == ("build", 2, 4, "RUN npm ci --omit=dev")
    single = buildkit.parse_vertex_name("[1/2] FROM docker.io/library/node:24")
    assert (single.stage, single.index, single.dockerfile_step) == (None, 1, True)
    internal = buildkit.parse_vertex_name("[internal] load build definition from Dockerfile")
    assert internal.dockerfile_step is False and internal.stage is None


def test_cold_multistage_build_has_one_row_per_step_with_stages_and_times():
    outcome = buildkit.read_build_stream(messages("multistage_cold"))
    assert outcome.error is None and outcome.image_id.startswith("sha256:")
    steps = outcome.steps[outcome.steps["dockerfile_step"]]
    assert list(zip(steps["stage"], steps["index"], steps["total"])) == [
        ("base", 1, 2), ("base", 2, 2), ("build", 1, 1), ("stage-2", 1, 2), ("stage-2", 2, 2)]
    run = steps["instruction"].iloc[2]
    assert run.startswith('RUN echo "built ') and run.endswith("sleep 1")
    # no_cache: nothing came from the cache, and the `sleep 1` step really took a second
    assert not steps["cached"].any()
    assert steps["duration_s"].iloc[2] >= 1.0
    assert (steps["completed"] >= steps["started"]).all()
    assert list(outcome.steps["order"]) == sorted(outcome.steps["order"])


def test_rebuild_of_unchanged_context_reports_every_dockerfile_step_cached():
    outcome = buildkit.read_build_stream(messages("multistage_cached"))
    steps = outcome.steps[outcome.steps["dockerfile_step"]]
    assert len(steps) == 5
    assert steps["cached"].all()


def test_step_callback_sees_each_finished_step_once():
    seen = []
    buildkit.read_build_stream(messages("multistage_cold"), on_step_done=seen.append)
    dockerfile_steps = [s for s in seen if s.dockerfile_step]
    assert len(dockerfile_steps) == 5
    assert len({(s.stage, s.index) for s in dockerfile_steps}) == 5


def test_failing_step_becomes_build_failed_with_instruction_and_log_tail():
    outcome = buildkit.read_build_stream(messages("failing_step"))
    err = failure(outcome, dockerfile="Dockerfile")
    assert isinstance(err, BuildFailed)
    assert "exit 3" in err.instruction
    assert err.step.startswith("[2/2] RUN")
    assert "error: missing module" in err.log_tail
    assert "compiling" in err.log_tail


def test_syntax_error_names_file_and_line():
    err = failure(buildkit.read_build_stream(messages("syntax_error")), dockerfile="app/Dockerfile")
    assert isinstance(err, DockerfileError)
    assert (err.path, err.line) == ("app/Dockerfile", 3)
    assert "RUNN" in str(err)


def test_unreachable_base_image_is_a_registry_need_naming_the_reference():
    err = failure(buildkit.read_build_stream(messages("registry_unreachable")), dockerfile="Dockerfile")
    assert isinstance(err, NeedsRegistry)
    assert err.reference == "mcr.microsoft.com/dotnet/sdk:8.0"
    assert "needs registry access for mcr.microsoft.com/dotnet/sdk:8.0" in str(err)


def test_trace_payload_that_is_not_protobuf_is_rejected():
    from google.protobuf.message import DecodeError

    with pytest.raises(DecodeError):
        buildkit.decode_trace(base64.b64encode(b"\xff\xff\xff\xff not a StatusResponse"))


def test_from_a_local_image_counts_as_cached_on_rebuild():
    steps = buildkit.read_build_stream(messages("from_local_cached")).steps
    dockerfile_steps = steps[steps["dockerfile_step"]]
    assert dockerfile_steps["cached"].all()
    from_step = dockerfile_steps[dockerfile_steps["instruction"].str.startswith("FROM ")].iloc[0]
    # BuildKit 0.8 itself does not flag the local base as cached; nothing was fetched for it
    assert not from_step["buildkit_cached"] and from_step["transfers"] == 0


def test_no_cache_build_runs_its_steps_again():
    steps = buildkit.read_build_stream(messages("from_local_cold")).steps
    run = steps[steps["instruction"].str.startswith("RUN ")].iloc[0]
    assert not run["cached"] and run["duration_s"] > 0


def test_cold_and_warm_timelines_share_one_seconds_axis():
    """The quickstart's chart: a recorded cold build and its cached rebuild, one panel each."""
    import pandas as pd

    from dockopt import plots

    cold = buildkit.read_build_stream(messages("multistage_cold")).steps
    warm = buildkit.read_build_stream(messages("multistage_cached")).steps
    fig = plots.build_timelines(pd.concat([cold.assign(run="cold"), warm.assign(run="warm")]), by="run")
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0].startswith("cold: ") and titles[1].startswith("warm: ")
    cold_s, warm_s = (float(t.split(": ")[1].removesuffix(" s")) for t in titles)
    assert cold_s > warm_s
    executed = [t for t in fig.data if t.name == "executed"]
    cached = [t for t in fig.data if t.name == "cached"]
    assert executed and cached and all(t.xaxis == "x" for t in executed)  # the cold build ran steps
    assert {t.xaxis for t in cached} == {"x2"}  # the rebuild ran none: every bar is a cache hit
    assert fig.layout.xaxis.matches == "x2" or fig.layout.xaxis2.matches == "x"
    assert sum(t.showlegend for t in fig.data) == 2
    # each panel lists its steps in the order they started, whatever their cache state
    timed = cold[cold["dockerfile_step"]].dropna(subset=["started"]).sort_values("started", kind="stable")
    assert [label.split("] ", 1)[1] for label in fig.layout.yaxis.categoryarray] == \
        [i[:60] for i in timed["instruction"]]
