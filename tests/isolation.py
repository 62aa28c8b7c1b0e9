"""Test sessions build under their own image namespace and label, and remove only what they built.

A pytest plugin (loaded by tests/conftest.py and notebooks/conftest.py): at start it points
``DOCKOPT_NAMESPACE`` at ``dockopt-test-<session>`` and adds ``io.dockopt.test-session=<session>``
through ``DOCKOPT_LABELS``, so sample and experiment images built by tests and by notebook kernels
(which inherit the environment) never take the tags ``make all`` made. Before the first test it
records the images in the default namespace (``dockopt-sample/...``), adding a sentinel under a tag
the suite builds when that tag is absent; ``tests/integration/test_isolation.py`` runs last and
checks that the suite wrote nothing there and that every one of them survived. At the end the
session's images are removed: exactly those carrying its label.
"""

from __future__ import annotations

import contextlib
import io
import os
import tarfile
import uuid
from dataclasses import dataclass, field

import pytest

SESSION_LABEL = "io.dockopt.test-session"
SENTINEL_LABEL = "io.dockopt.test-sentinel"
# The survival check runs after everything else, notebooks included.
LAST_TEST = "test_isolation.py::test_images_outside_the_session_survive_the_suite"


@dataclass
class Session:
    """This test session's namespace and label, and what the default namespace held before it ran."""

    id: str
    saved_env: dict[str, str | None]
    before: dict[str, str] | None = None          # default-namespace tag -> image id; None: no engine
    sentinels: dict[str, str] = field(default_factory=dict)  # tags this session created there, by id

    @property
    def namespace(self) -> str:
        return f"dockopt-test-{self.id}"

    @property
    def label(self) -> str:
        return f"{SESSION_LABEL}={self.id}"


_session: Session | None = None


def current() -> Session:
    assert _session is not None, "tests.isolation is not loaded as a pytest plugin"
    return _session


def pytest_configure(config: pytest.Config) -> None:
    global _session
    from dockopt import naming

    sid = uuid.uuid4().hex[:10]
    saved = {k: os.environ.get(k) for k in (naming.NAMESPACE_ENV, naming.LABELS_ENV)}
    _session = Session(id=sid, saved_env=saved)
    os.environ[naming.NAMESPACE_ENV] = _session.namespace
    os.environ[naming.LABELS_ENV] = _session.label


def _needs_engine(item: pytest.Item) -> bool:
    path = str(item.fspath)
    return "tests/integration" in path or path.endswith(".ipynb")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    last = [i for i in items if i.nodeid.endswith(LAST_TEST)]
    for item in last:
        items.remove(item)
        items.append(item)
    if any(_needs_engine(i) for i in items):
        record_default_namespace(current())


def default_namespace_images() -> dict[str, str]:
    """Every tag under the default namespace (``dockopt-sample/``), with its image id."""
    from dockopt import engine, naming

    prefix = naming.DEFAULT_NAMESPACE + "/"
    return {tag: img["Id"] for img in engine.list_images() for tag in img.get("RepoTags") or []
            if tag.startswith(prefix)}


def sentinel_tag() -> str:
    """A tag the suite builds (the go-api image on scratch, which the smoke tests build and remove),
    spelled in the default namespace."""
    from dockopt import naming

    return f"{naming.DEFAULT_NAMESPACE}/go-api:optimised-scratch"


def record_default_namespace(session: Session) -> None:
    """What ``make all`` (or the user) left in the default namespace, before any test builds."""
    from dockopt import engine
    from dockopt.errors import EngineUnavailable

    try:
        before = default_namespace_images()
    except EngineUnavailable:
        return  # the integration tests skip (or fail under CI) on their own
    tag = sentinel_tag()
    if tag not in before:
        # A tiny image standing for the user's: the suite must leave it alone.
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            data = b"a user's image: make test must not remove it\n"
            info = tarfile.TarInfo("sentinel.txt")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        image_id = engine.import_rootfs(buf.getvalue(), tag, changes=[f'LABEL {SENTINEL_LABEL}="{session.id}"'])
        session.sentinels[tag] = image_id
        before[tag] = image_id
    session.before = before


def remove_labelled(label: str) -> list[str]:
    """Remove every image carrying ``label`` (``key=value``); returns the ids removed. Images built on
    top of one another are removed children first (a few passes)."""
    from dockopt import engine
    from dockopt.errors import DockoptError

    removed: list[str] = []
    for _ in range(5):
        left = engine.list_images(label=label)
        if not left:
            break
        for img in left:
            with contextlib.suppress(DockoptError):
                engine.remove_image(img["Id"], force=True)
                removed.append(img["Id"])
    return removed


def pytest_unconfigure(config: pytest.Config) -> None:
    global _session
    if _session is None:
        return
    from dockopt import engine
    from dockopt.errors import DockoptError

    session, _session = _session, None
    with contextlib.suppress(DockoptError):
        if session.before is not None:
            remove_labelled(session.label)
        for tag, image_id in session.sentinels.items():
            # only the sentinel itself: if something replaced it, that is not ours to remove
            if engine.image_exists(tag) and engine.inspect_image(tag).id == image_id:
                engine.remove_image(tag)
    for key, value in session.saved_env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
