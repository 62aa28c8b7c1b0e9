"""Browser tests: real JupyterLab and real reports in Debian's headless Chromium, driven by Playwright.

They need the engine (the notebook builds and reads real images), Chromium and the ``playwright``
package; without them they skip locally and fail under CI (CI=true). Screenshots are written to
``tests/artefacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.browser.lab import ARTEFACTS, CHROMIUM


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser_ready(docker_engine):
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs the browser tests: {reason}")
        pytest.skip(reason)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def notebook_copy(tmp_path):
    """05_explore.ipynb copied out of the repository: JupyterLab saves outputs into what it serves."""
    src = Path(__file__).resolve().parents[2] / "notebooks" / "05_explore.ipynb"
    shutil.copy2(src, tmp_path / src.name)
    return tmp_path
