"""Items that prune the engine's build cache run at the end of the session (before the isolation check).

A prune takes every cached step from every build on the engine; run early, it would turn each later
build of the suite into a cold one (minutes of npm/pip/go downloads and compiles). Tests mark
themselves ``@pytest.mark.prunes_build_cache``; a notebook says so in its metadata
(``"dockopt": {"prunes_build_cache": true}``). A pytest plugin, loaded by tests/conftest.py and
notebooks/conftest.py.
"""

from __future__ import annotations

from functools import cache

import pytest


@cache
def _notebook_prunes(path: str) -> bool:
    from dockopt.report.render import prunes_build_cache  # imported when collecting, not at plugin load

    return prunes_build_cache(path)


def prunes_build_cache(item: pytest.Item) -> bool:
    path = str(item.fspath)
    if path.endswith(".ipynb"):
        return _notebook_prunes(path)
    return item.get_closest_marker("prunes_build_cache") is not None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "prunes_build_cache: prunes the engine's build cache; runs at the end")


@pytest.hookimpl(tryfirst=True)  # before tests.isolation moves its survival check to the very end
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    late = [i for i in items if prunes_build_cache(i)]
    for item in late:
        items.remove(item)
        items.append(item)
