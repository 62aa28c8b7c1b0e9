"""Dockerfile insight on the real engine: secrets done right, stages measured, findings with their cost,
and a rebuild explained.

Images are built under the test session's namespace and label (tests/isolation.py) and removed by it.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from dockopt import engine, experiments, insight, naming, plots, samples
from dockopt.analysis_report import analyze_report
from dockopt.build import build

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "secrets"))
import corpus  # noqa: E402

SECRET_MOUNT = """FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /token-length
"""
LEAKY = """FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ARG TOKEN
RUN echo "token is ${#TOKEN} characters" > /token-length
COPY .env /app/.env
"""


def _tag(name: str) -> str:
    return f"{naming.namespace()}/insight-{name}:latest"


def _saved_bytes(ref: str) -> bytes:
    return b"".join(engine.save_image(ref))


def test_secret_mount_leaves_no_trace_while_arg_and_copy_are_found(docker_engine, busybox_context, tmp_path):
    token = corpus.Shapes(20261204).github_classic()
    secret = tmp_path / "token.txt"
    secret.write_text(token)
    (busybox_context / "Dockerfile").write_text(SECRET_MOUNT)
    mounted = build(busybox_context, tag=_tag("secret-mount"), secrets={"token": secret},
                    labels=naming.image_labels("test"), progress=False, no_cache=True)
    assert mounted.secrets_used == ("token",)
    assert engine.run_output(mounted.ref, ["cat", "/token-length"]) == (0, f"{len(token)}\n")
    assert token.encode() not in _saved_bytes(mounted.ref)  # no layer, no config, no history holds it
    assert analyze_report(mounted.ref).secret_rows == ()

    (busybox_context / "Dockerfile").write_text(LEAKY)
    (busybox_context / ".env").write_text(f"GITHUB_TOKEN={token}\n")
    leaky = build(busybox_context, tag=_tag("secret-leaky"), build_args={"TOKEN": token},
                  labels=naming.image_labels("test"), progress=False)
    found = analyze_report(leaky.ref, build=leaky).secrets
    assert {"(history) ARG TOKEN", "/app/.env"} <= set(found["path"])
    assert token not in found.to_string()  # previews are redacted
    m = insight.measure(leaky.ref)
    assert (m.findings["rule"] == "secrets-in-image").sum() >= 2


def test_missing_secret_file_is_a_clear_error(docker_engine, busybox_context, tmp_path):
    from dockopt.errors import SecretSourceMissing

    (busybox_context / "Dockerfile").write_text(SECRET_MOUNT)
    with pytest.raises(SecretSourceMissing, match="token"):
        build(busybox_context, secrets={"token": tmp_path / "absent"}, progress=False)


def test_stages_and_graph_of_a_multistage_build(docker_engine):
    spec = samples.load("node-express").dockerfile_spec("optimised")
    result = experiments.build_sample("node-express", "optimised", progress=False)
    table = insight.stages(result)
    by = table.set_index("stage")
    assert by.loc["runtime", "target"] and not by.loc["runtime", "skipped"]
    assert by.loc["test", "skipped"] and by.loc["node-musl", "skipped"]  # BuildKit never built them
    assert by.loc["deps", "final_bytes"] > 1_000_000  # node_modules, through COPY --from=deps
    assert by.loc["deps", "left_behind_bytes"] > 100_000_000  # the node image it was built on stays behind
    assert by.loc["runtime-distroless", "final_bytes"] > 100_000_000  # the base, through FROM
    assert spec.target == "runtime"
    fig = plots.stage_graph(table)
    names = {t.name for t in fig.data}
    assert {"FROM", "COPY --from", "stage", "skipped by BuildKit"} <= names
    insight.remove_stage_images(result)


NAIVE_PITFALLS = {"broad-context-copy", "dev-tools-in-runtime", "runs-as-root", "healthcheck"}


@pytest.mark.parametrize("name", ["node-express", "python-fastapi"])
def test_lint_measure_costs_naive_pitfalls_and_optimised_shows_none(docker_engine, name):
    s = samples.load(name)
    naive = insight.measure(s.dockerfile_spec("naive").path)
    f = naive.findings
    assert set(f["rule"]) >= NAIVE_PITFALLS
    assert f.loc[f["rule"] == "broad-context-copy", "cost_s"].iloc[0] > 0
    assert f.loc[f["rule"] == "dev-tools-in-runtime", "cost_bytes"].max() > 10_000_000
    assert f["measured"].all()
    assert naive.edit is not None and naive.edit.cause == "context"
    assert fig_ok(plots.findings(f))

    opt = insight.measure(s.dockerfile_spec("optimised").path, target=s.dockerfile_spec("optimised").target)
    assert not (NAIVE_PITFALLS | {"package-caches", "context-files-in-image"}) & set(opt.findings["rule"])


def fig_ok(fig) -> bool:  # noqa: ANN001
    return len(fig.data) == 2 and len(fig.data[0].y) > 0


def test_explain_rebuild_after_a_build_arg_change(docker_engine, busybox_context):
    (busybox_context / "Dockerfile").write_text(
        'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        "ARG FLAVOUR=plain\nRUN echo $FLAVOUR > /flavour\nRUN wc -c /flavour > /size\n")
    tag = _tag("rebuild")
    before = build(busybox_context, tag=tag, labels=naming.image_labels("test"), progress=False)
    flavour = uuid.uuid4().hex  # a value no earlier run cached
    after = build(busybox_context, tag=tag, build_args={"FLAVOUR": flavour}, labels=naming.image_labels("test"),
                  progress=False)
    e = experiments.explain_rebuild(before, after)
    assert e.cause == "build arg" and e.first is not None and e.first["line"] == 5
    assert "FLAVOUR" in str(e.detail) and e.changed_args == {"FLAVOUR": ("plain", flavour)}
    # every RUN after the ARG has it in its cache key: line 6 re-ran for the same reason, not as a follower
    assert e.steps.set_index("line").loc[6, "cause"] == "build arg" and e.cascaded.empty
