"""Lint with an engine: ``undefined-var`` reads a base image's config Env from the engine, and measured
lint hides hadolint's pip-cache code only because its measured rule ran (static lint keeps it).

Images are built under the test session's namespace and label (tests/isolation.py) and removed by it."""

from __future__ import annotations

import pytest

from dockopt import engine, insight, naming
from dockopt.build import build
from dockopt.insight import base_env


@pytest.fixture
def base_with_env(docker_engine, busybox_context):
    """A local base image whose config defines a variable no usual image sets."""
    (busybox_context / "Dockerfile").write_text("FROM scratch\nCOPY busybox /bin/busybox\n"
                                                "ENV DOCKOPT_SITE_HOME=/srv/site\n")
    tag = f"{naming.namespace()}/lint-base-env:1"
    build(busybox_context, tag=tag, labels=naming.image_labels("test"), progress=False)
    base_env._engine_env.cache_clear()
    yield tag
    base_env._engine_env.cache_clear()
    if engine.image_exists(tag):
        engine.remove_image(tag, force=True)


def test_undefined_var_reads_the_base_images_env_from_the_engine(base_with_env, tmp_path):
    (tmp_path / "Dockerfile").write_text(f"FROM {base_with_env}\nWORKDIR $DOCKOPT_SITE_HOME\n"
                                         "FROM scratch\nWORKDIR $DOCKOPT_SITE_HOME\n")
    table = insight.lint_files([tmp_path / "Dockerfile"], hadolint=False)
    flagged = table[table["rule"] == "undefined-var"]
    assert list(flagged["line"]) == [4]  # the scratch stage has no such variable; the other's base does


PIP_DOCKERFILE = """\
FROM python:3.11-slim-bookworm
RUN pip install six==1.16.0
USER 65532
CMD ["python3", "-c", "import six"]
"""


def test_measured_lint_hides_the_pip_cache_code_only_because_its_rule_ran(docker_engine, tmp_path):
    (tmp_path / "Dockerfile").write_text(PIP_DOCKERFILE)
    static = insight.lint_files([tmp_path / "Dockerfile"])
    assert "DL3042" in set(static["rule"])  # package-caches needs an image: static lint keeps hadolint's code
    measured = insight.measure(tmp_path, edit=False)
    try:
        assert "DL3042" not in set(measured.findings["rule"])
        caches = measured.findings[measured.findings["rule"] == "package-caches"]
        # pip's cache was measured: either a finding with its bytes, or too small (< 64 kB) to be one
        assert caches.empty or (caches["cost_bytes"] > 0).all()
    finally:
        if engine.image_exists(measured.image):
            engine.remove_image(measured.image, force=True)
