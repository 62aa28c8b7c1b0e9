"""dockopt.build on the real engine: BuildKit steps, cache hits, failures mapped to DockoptErrors."""

from __future__ import annotations

import uuid

import pytest

import dockopt
from dockopt import engine
from dockopt.errors import BuildFailed, ContextNotFound, DockerfileError, DockerfileNotFound, NeedsRegistry
from tests import isolation

MULTISTAGE = """\
FROM scratch AS base
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]

FROM base AS build
ARG NONCE
COPY app.txt /src/app.txt
RUN echo "built $NONCE" > /artefact && cat /src/app.txt >> /artefact

FROM base AS unused
RUN echo "never built" && exit 1

FROM base
COPY --from=build /artefact /artefact
CMD ["/bin/cat", "/artefact"]
"""


@pytest.fixture
def tagged(docker_engine):
    tags = []

    def make(name: str) -> str:
        tag = f"{isolation.current().namespace}/{name}:{uuid.uuid4().hex[:8]}"
        tags.append(tag)
        return tag

    yield make
    for tag in tags:
        engine.remove_image(tag, force=True)


@pytest.fixture
def app(busybox_context):
    (busybox_context / "Dockerfile").write_text(MULTISTAGE)
    # unique content: BuildKit's cache is content-addressed and outlives test runs
    (busybox_context / "app.txt").write_text(f"v1 {uuid.uuid4().hex}\n")
    (busybox_context / "secret.env").write_text("TOKEN=not-for-the-image\n")
    (busybox_context / ".dockerignore").write_text("secret.env\n")
    return busybox_context


def test_build_records_every_step_and_skips_unused_stages(app, tagged):
    tag = tagged("multistage")
    nonce = uuid.uuid4().hex
    result = dockopt.build(app, tag=tag, build_args={"NONCE": nonce}, labels={"io.dockopt.test": "yes"},
                           progress=False)
    steps = result.dockerfile_steps
    assert set(steps["stage"]) == {"base", "build", "stage-3"}  # BuildKit never ran `unused`
    assert not steps[steps["stage"] == "build"]["cached"].any()
    assert steps["duration_s"].notna().all()
    assert result.tags == (tag,) and result.image_id.startswith("sha256:")
    image = engine.inspect_image(tag)
    assert image.labels["io.dockopt.test"] == "yes"
    assert result.size_bytes == image.size_bytes and image.id == result.image_id
    with engine.running(tag) as c:
        pass  # starts and is removed again
    assert not [x for x in engine.client().containers.list(all=True, ignore_removed=True) if x.id == c.id]


def test_unchanged_rebuild_is_fully_cached_and_a_source_edit_is_not(app, tagged):
    tag = tagged("cache")
    args = {"NONCE": uuid.uuid4().hex}
    dockopt.build(app, tag=tag, build_args=args, progress=False)
    again = dockopt.build(app, tag=tag, build_args=args, progress=False)
    assert again.dockerfile_steps["cached"].all()
    (app / "app.txt").write_text(f"v2 {uuid.uuid4().hex}\n")
    edited = dockopt.build(app, tag=tag, build_args=args, progress=False).dockerfile_steps
    executed = edited[~edited["cached"]]
    assert list(executed["instruction"]) == [
        "COPY app.txt /src/app.txt",
        f'RUN echo "built {args["NONCE"]}" > /artefact && cat /src/app.txt >> /artefact',
        "COPY --from=build /artefact /artefact"]


def test_dockerignore_keeps_files_out_of_the_context(app, tagged):
    (app / "Dockerfile.leak").write_text("FROM scratch\nCOPY secret.env /secret.env\n")
    with pytest.raises(BuildFailed, match="secret.env"):
        dockopt.build(app, "Dockerfile.leak", tag=tagged("leak"), progress=False)


def test_failing_step_raises_build_failed_with_its_log(app):
    (app / "Dockerfile.fail").write_text(
        "FROM scratch\nCOPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "sh", "-c", "echo resolving deps; echo \'E: package nope not found\' >&2; exit 100"]\n')
    with pytest.raises(BuildFailed) as info:
        dockopt.build(app, "Dockerfile.fail", progress=False)
    assert "exit 100" in info.value.instruction
    assert "E: package nope not found" in info.value.log_tail


def test_syntax_error_names_the_line(app):
    (app / "Dockerfile.typo").write_text("FROM scratch\n\nCOPY busybox /busybox\nRUNN echo\n")
    with pytest.raises(DockerfileError) as info:
        dockopt.build(app, "Dockerfile.typo", progress=False)
    assert info.value.line == 4 and info.value.path.endswith("Dockerfile.typo")


def test_unknown_target_is_a_dockerfile_error(app):
    with pytest.raises(DockerfileError, match="'release' is not a stage"):
        dockopt.build(app, target="release", progress=False)


def test_missing_inputs_are_named(app, tmp_path):
    with pytest.raises(ContextNotFound):
        dockopt.build(tmp_path / "no-such-dir", progress=False)
    with pytest.raises(DockerfileNotFound, match="Dockerfile.missing"):
        dockopt.build(app, "Dockerfile.missing", progress=False)


def test_base_image_nobody_can_provide_is_a_registry_need(app):
    (app / "Dockerfile.remote").write_text("FROM registry.invalid/dockopt/never:1\nRUN true\n")
    with pytest.raises(NeedsRegistry) as info:
        dockopt.build(app, "Dockerfile.remote", progress=False)
    assert info.value.reference == "registry.invalid/dockopt/never:1"


def test_dockerfile_outside_the_context_is_sent_along(app, tmp_path_factory, tagged):
    outside = tmp_path_factory.mktemp("elsewhere") / "app.Dockerfile"
    assert not outside.is_relative_to(app)
    outside.write_text("FROM scratch\nCOPY app.txt /app.txt\n")
    result = dockopt.build(app, outside, tag=tagged("outside"), progress=False)
    assert result.dockerfile_steps["instruction"].tolist() == ["COPY app.txt /app.txt"]
    # `COPY . .` ships the Dockerfile sent along (BuildKit's uploaded-tar route reads no .dockerignore
    # in the tar) under a name from its content: the same build again is cached, the same image
    outside.write_text("FROM scratch\nCOPY . /ctx/\n")
    first = dockopt.build(app, outside, tag=tagged("outside-all"), progress=False)
    shipped = sorted(p for p in dockopt.files(first.image_id)["path"] if p.startswith("/ctx/"))
    assert "/ctx/app.txt" in shipped and "/ctx/secret.env" not in shipped, shipped
    again = dockopt.build(app, outside, tag=tagged("outside-all"), progress=False)
    assert again.image_id == first.image_id and again.dockerfile_steps["cached"].all()


def test_rebuild_on_a_local_base_image_is_fully_cached(app, tagged):
    base = tagged("base")
    dockopt.build(app, tag=base, build_args={"NONCE": "x"}, progress=False)
    (app / "Dockerfile.child").write_text(f"FROM {base}\nWORKDIR /srv\nCOPY app.txt .\nRUN cat app.txt\n")
    first = dockopt.build(app, "Dockerfile.child", tag=tagged("child"), progress=False)
    assert first.base_images == (base,)
    again = dockopt.build(app, "Dockerfile.child", progress=False).dockerfile_steps
    assert len(again) == 4 and again["cached"].all()


SECRET_DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ARG NONCE
RUN --mount=type=secret,id=bundle echo "$NONCE" >/dev/null && sha256sum /run/secrets/bundle | cut -d' ' -f1 > /digest \\
    && wc -c < /run/secrets/bundle > /length
"""


@pytest.mark.parametrize("size", [100 * 1024, 500 * 1024], ids=["100KB", "500KB"])
def test_large_secret_reaches_the_step_whole_and_leaves_no_byte(busybox_context, tmp_path, tagged, size):
    """BuildKit accepts secrets up to 500 KB: larger than one HTTP/2 frame (16 KB) and than the first
    flow-control window (64 KB), so the session must split the reply and wait for WINDOW_UPDATEs."""
    import hashlib
    import os

    secret = tmp_path / "bundle.pem"
    payload = os.urandom(size)
    secret.write_bytes(payload)
    (busybox_context / "Dockerfile").write_text(SECRET_DOCKERFILE)
    tag = tagged("large-secret")
    result = dockopt.build(busybox_context, tag=tag, secrets={"bundle": secret}, progress=False,
                           build_args={"NONCE": uuid.uuid4().hex})
    assert result.image_id
    code, out = engine.run_output(tag, ["sh", "-c", "cat /digest /length"])
    assert code == 0, out
    digest, length = out.split()
    assert digest == hashlib.sha256(payload).hexdigest()
    assert int(length) == size
    # no byte run of the secret anywhere in what `docker save` gives (layers and config alike)
    saved = b"".join(engine.save_image(tag))
    assert not any(payload[i:i + 32] in saved for i in range(0, size - 32, size // 16))
