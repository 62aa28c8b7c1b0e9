"""Every buildable sample image builds through dockopt.build, starts, becomes healthy, answers its
health path on 127.0.0.1 in bounded time, and is removed. What cannot be built here (the .NET SDK,
Spring Boot, musl variants that need Alpine's mirror) is asserted to raise NeedsRegistry with the
manifest's reason, and reported as a skip with that reason."""

from __future__ import annotations

import contextlib

import pytest

from dockopt import engine, experiments, naming, samples
from dockopt.errors import DockoptError, NeedsRegistry

SMOKE_TIMEOUT_S = 90

BUILDS = [b for s in samples.all_samples() for b in s.builds()]
TEST_TARGETS = [(s.name, t.name) for s in samples.all_samples() if not s.registry_only
                for t in s.targets if not t.service]


@pytest.fixture(scope="module")
def built_images(docker_engine):
    """Tags built by this module; removed (only these) when the module is done."""
    tags: list[str] = []
    yield tags
    for tag in tags:
        with contextlib.suppress(DockoptError):  # best effort: the session's finaliser removes the rest
            engine.remove_image(tag, force=True)


def _containers_of(image_id: str) -> list:
    return [c for c in engine.client().containers.list(all=True) if c.image.id == image_id]


@pytest.mark.parametrize("spec", BUILDS, ids=[f"{b.sample}-{b.label}" for b in BUILDS])
def test_sample_image_builds_runs_and_is_healthy(spec, built_images):
    sample = samples.load(spec.sample)
    if not spec.buildable:
        with pytest.raises(NeedsRegistry) as err:
            experiments.build_sample(sample, spec.variant, spec.base, target=spec.target, progress=False)
        assert spec.reason in str(err.value)
        if sample.registry_only:
            assert "needs registry access for mcr.microsoft.com/dotnet/sdk" in str(err.value)
        pytest.skip(spec.reason)

    tag = samples.image_tag(sample, spec.variant, spec.base, spec.target)
    result = experiments.build_sample(sample, spec.variant, spec.base, target=spec.target, tag=tag, progress=False)
    built_images.append(tag)
    assert result.image_id and result.size_bytes > 0

    image = engine.inspect_image(result.image_id)
    assert image.labels[naming.LABEL_SAMPLE] == sample.name
    if spec.variant == "optimised":
        assert not image.runs_as_root, f"optimised image runs as {image.user!r}"

    smoke = experiments.smoke_sample(sample, tag, target=spec.target, timeout_s=SMOKE_TIMEOUT_S)
    assert smoke.http_status == 200
    assert smoke.http_ok_s < SMOKE_TIMEOUT_S
    if spec.variant == "optimised":
        assert smoke.has_healthcheck and smoke.healthy_s is not None
    assert _containers_of(result.image_id) == [], "the smoke container was not removed"


@pytest.mark.parametrize("sample_name, target", TEST_TARGETS, ids=[f"{s}-{t}" for s, t in TEST_TARGETS])
def test_sample_own_tests_pass_in_their_build_stage(sample_name, target, docker_engine):
    """`--target test` runs each app's own tests (node --test, go test, pytest, AppTest) inside the build."""
    result = experiments.build_sample(sample_name, "optimised", target=target, tag=None, progress=False)
    assert result.image_id
    engine.remove_image(result.image_id, force=True)


def test_dotnet_build_is_a_skip_with_the_registry_reason(docker_engine):
    with pytest.raises(NeedsRegistry, match="needs registry access for mcr.microsoft.com/dotnet/sdk") as err:
        experiments.build_sample("dotnet-webapi", "naive")
    assert err.value.reference == "mcr.microsoft.com/dotnet/sdk:8.0"


BUMPABLE = [s.name for s in samples.all_samples() if s.cache.dependency and not s.registry_only]


@pytest.mark.parametrize("sample_name", BUMPABLE)
def test_cache_experiment_inputs_build(sample_name, tmp_path, docker_engine):
    """The manifest's touch file and dependency bump give trees that still build (the bumped
    lockfiles are consistent) and really change the image, so cache experiments can rely on them.
    (Whether a step is cached says little here: BuildKit's cache is content-addressed and keeps
    the bumped build from any earlier run.)"""
    from dockopt.build import build

    sample = samples.load(sample_name)
    dockerfile = sample.dockerfile_spec("optimised").path.name
    # multi-service samples: the touched file and the bumped dependency may each belong to one service
    stages = [sample.target_spec(sv.target).stage if sv.target else sample.dockerfile_spec("optimised").target
              for sv in sample.services()]
    ids: dict[str, tuple[str, ...]] = {}
    for change in ("none", "touch", "bump"):
        tree = experiments.copy_tree(sample, tmp_path / change / sample_name)
        if change == "touch":
            experiments.touch_source(sample, tree)
        elif change == "bump":
            experiments.bump_dependency(sample, tree)
        ids[change] = tuple(build(tree, dockerfile=dockerfile, target=stage, progress=False,
                                  labels={**naming.image_labels("sample"), "io.dockopt.test": "cache-inputs"}).image_id
                            for stage in stages)
    try:
        assert ids["touch"] != ids["none"], "touching the source file must change an image"
        assert ids["bump"] != ids["none"], "bumping the dependency must change an image"
    finally:
        for image_id in {i for group in ids.values() for i in group}:
            # untagged results only: a content-identical image someone tagged stays
            if not engine.inspect_image(image_id).tags:
                engine.remove_image(image_id)


def test_smoke_fails_in_bounded_time_and_still_removes_the_container(docker_engine, built_images):
    import dataclasses
    import time

    from dockopt.errors import SmokeFailed

    sample = samples.load("go-api")
    tag = samples.image_tag(sample, "optimised", "scratch")
    result = experiments.build_sample(sample, "optimised", "scratch", tag=tag, progress=False)
    built_images.append(tag)
    wrong = dataclasses.replace(sample, health_path="/no-such-probe")
    started = time.monotonic()
    with pytest.raises(SmokeFailed, match="no HTTP 200"):
        experiments.smoke_sample(wrong, tag, timeout_s=3)
    assert time.monotonic() - started < 15
    assert _containers_of(result.image_id) == []


def test_samples_build_says_what_it_does_per_image_and_ends_with_a_human_summary(docker_engine, built_images,
                                                                                  capsys):
    """`dockopt samples build --smoke`: stderr has one line per phase of each image (building, built,
    starting, healthy), stdout the table in human units, the naive → optimised saving and what next."""
    from dockopt.cli import main

    sample = samples.load("go-api")
    built_images += [samples.image_tag(sample, "naive"), samples.image_tag(sample, "optimised", "scratch")]
    assert main(["samples", "build", "go-api", "--variant", "naive", "--variant", "optimised", "--smoke"]) == 0
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.startswith("[")]
    naive = [line.split(": ", 1)[1] for line in lines if line.startswith("[1/5] go-api naive: ")]
    assert [text.split(" ")[0] for text in naive] == ["building", "built", "starting", "healthy:"], err
    assert "MB in " in naive[1] and " s" in naive[1]
    assert len(lines) == 5 * 4  # five images, four phases each
    assert "5 images in " in out and "5 healthy" in out and "0 failed" in out
    saving = next(line.strip() for line in out.splitlines() if line.strip().startswith("go-api: "))
    assert " MB → " in saving and saving.endswith("% smaller"), saving
    assert "dockopt analyze " in out and "reports/index.html" in out
    assert "size_bytes" not in out and " MB " in out  # human units, not byte counts
