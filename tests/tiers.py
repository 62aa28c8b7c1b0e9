"""Test tiers: each item says what it needs, so that every tier runs alone (docs/testing.md).

- ``engine``: a real Docker Engine (tests/integration, notebooks, any test using ``docker_engine``);
- ``browser``: Debian's chromium (tests/browser, and any test using the ``chromium`` or
  ``browser_ready`` fixture or checking a page with ``dockopt.report.check``);
- ``content``: the course (every notebook through nbval, the samples, the exercises);
- none of these: the fast tier (``make fast``), which needs neither engine nor browser.

A test that executes a whole notebook itself (rendering it, or running it in JupyterLab) says so with
``@pytest.mark.executes_notebook("notebooks/NAME.ipynb")``; when such a test is selected in the same
session as the notebook's nbval items, the nbval items are deselected, so that one run executes each
notebook once rather than twice. A pytest plugin, loaded by tests/conftest.py and notebooks/conftest.py.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Integration modules that exercise the course's content rather than the library: the content tier.
CONTENT_MODULES = frozenset({"test_samples_smoke.py", "test_exercises.py", "test_examples.py"})
ENGINE_FIXTURES = frozenset({"docker_engine", "registry"})
BROWSER_FIXTURES = frozenset({"chromium", "browser_ready"})


def pytest_configure(config: pytest.Config) -> None:
    for line in ("engine: needs a real Docker Engine (make engine-tests)",
                 "browser: needs Debian's chromium (make browser)",
                 "content: runs the course: notebooks, samples, exercises (make content)",
                 "executes_notebook(path): this test executes the whole notebook; its nbval run is skipped"):
        config.addinivalue_line("markers", line)


def tiers_of(item: pytest.Item) -> set[str]:
    """The tiers an item belongs to, from where it lives and what it uses."""
    path = Path(str(item.fspath))
    # the folders inside the repository only: a checkout under /home/browser/ is not the browser tier
    parts = set(path.resolve().relative_to(REPO).parts) if path.resolve().is_relative_to(REPO) else set()
    fixtures = set(getattr(item, "fixturenames", ()))
    found = {m.name for m in item.iter_markers() if m.name in ("engine", "browser", "content")}
    if path.suffix == ".ipynb":
        found |= {"content", "engine"}
    if "integration" in parts:
        found.add("engine")
        if path.name in CONTENT_MODULES:
            found.add("content")
    if "browser" in parts:
        found |= {"browser", "engine"}
    if fixtures & ENGINE_FIXTURES:
        found.add("engine")
    if fixtures & BROWSER_FIXTURES:
        found.add("browser")
    return found


def pytest_itemcollected(item: pytest.Item) -> None:
    # marked as each item is collected, so that `-m` (applied in collection_modifyitems) sees the marks
    for tier in sorted(tiers_of(item) - {m.name for m in item.iter_markers()}):
        item.add_marker(getattr(pytest.mark, tier))


@cache
def _chromium() -> bool:
    from dockopt import proc

    return proc.which("chromium") is not None


def _executed_elsewhere(items: list[pytest.Item]) -> set[Path]:
    """Notebooks a selected test executes itself (browser tests count only where chromium is there to run)."""
    found: set[Path] = set()
    for item in items:
        if item.get_closest_marker("browser") is not None and not _chromium():
            continue
        for mark in item.iter_markers("executes_notebook"):
            found.add((REPO / mark.args[0]).resolve())
    return found


@pytest.hookimpl(trylast=True)  # after `-m`/`-k` deselection: only tests that will run count
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    elsewhere = _executed_elsewhere(items)
    if not elsewhere:
        return
    twice = [i for i in items if str(i.fspath).endswith(".ipynb") and Path(str(i.fspath)).resolve() in elsewhere]
    if twice:
        config.hook.pytest_deselected(items=twice)
        items[:] = [i for i in items if i not in twice]
