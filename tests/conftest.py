"""Shared test fixtures.

Integration tests need a real Docker Engine. Without one they skip on a developer's machine but
FAIL under CI (CI=true): a green run must mean the real images were built and run. Images are
built under the session's own namespace and label and removed at the end (tests/isolation.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Every session builds under its own image namespace and label, and removes only what it built.
pytest_plugins = ("tests.isolation", "tests.registry", "tests.ordering", "tests.tiers")

REPO = Path(__file__).resolve().parents[1]
# Exercise limits calibrated on this machine by a trainer (dockopt class calibrate) must not change what
# the tests expect of exercise.toml's own limits; the calibration tests point this at their own file.
os.environ["DOCKOPT_EXERCISE_LIMITS"] = os.devnull
FIXTURES = REPO / "tests" / "fixtures"


def _engine_or_reason() -> str | None:
    from dockopt import engine
    from dockopt.errors import EngineUnavailable

    try:
        engine.info()
    except EngineUnavailable as exc:
        return str(exc)
    return None


@pytest.fixture(scope="session")
def docker_engine():
    """The engine's info; skips (locally) or fails (CI=true) when no engine answers."""
    reason = _engine_or_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs a Docker Engine and none answers: {reason}")
        pytest.skip(f"no Docker Engine: {reason}")
    from dockopt import engine

    return engine.info()


@pytest.fixture
def busybox_context(tmp_path):
    """A build context holding the host's static busybox, so tests need no base image at all."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    if not Path(busybox).exists():
        pytest.fail("busybox-static is required (apt-get install busybox-static; `make setup` does it)")
    shutil.copy2(busybox, tmp_path / "busybox")
    return tmp_path


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
