"""`make test` never removes what `make all` built: tests build under their session's namespace and
label (tests/isolation.py) and remove exactly the images that carry that label."""

from __future__ import annotations

import io
import tarfile
import uuid
import warnings

import pytest

from dockopt import engine, naming, samples
from tests import isolation


def _tiny_image(tag: str, labels: dict[str, str]) -> str:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo("x.txt")
        info.size = 2
        t.addfile(info, io.BytesIO(b"x\n"))
    changes = ["LABEL " + " ".join(f'{k}="{v}"' for k, v in labels.items())] if labels else []
    return engine.import_rootfs(buf.getvalue(), tag, changes=changes)


def test_sample_images_take_the_session_namespace_and_label():
    session = isolation.current()
    go = samples.load("go-api")
    assert samples.image_tag(go, "optimised", "scratch") == f"{session.namespace}/go-api:optimised-scratch"
    assert naming.run_labels() == {isolation.SESSION_LABEL: session.id}


def test_removing_a_label_removes_only_images_that_carry_it(docker_engine):
    run = uuid.uuid4().hex[:8]
    label = f"{isolation.SESSION_LABEL}=sub-{run}"
    mine = f"{isolation.current().namespace}/isolation:{run}"
    theirs = f"dockopt-test-other-{run}/isolation:{run}"
    _tiny_image(mine, {isolation.SESSION_LABEL: f"sub-{run}"})
    other_id = _tiny_image(theirs, {isolation.SESSION_LABEL: f"other-{run}"})
    try:
        removed = isolation.remove_labelled(label)
        assert len(removed) == 1
        assert not engine.image_exists(mine)
        assert engine.inspect_image(theirs).id == other_id
    finally:
        engine.remove_image(mine, force=True)
        engine.remove_image(theirs, force=True)


def test_images_outside_the_session_survive_the_suite(docker_engine):
    """Runs last (tests/isolation.py moves it there): nothing the suite built sits in the default
    namespace, and every tag that namespace held before the first test, a sentinel under a tag the
    smoke tests build included, is still there once the session's own images are removed.

    The engine may be shared: a tag replaced by an image without this session's label was replaced
    by another client, which is reported as a warning, not blamed on the suite."""
    session = isolation.current()
    if session.before is None:
        pytest.fail("the default namespace was not recorded before the suite ran")
    assert isolation.sentinel_tag() in session.before
    key, _, value = session.label.partition("=")
    during = isolation.default_namespace_images()
    written = sorted(tag for tag, image_id in during.items() if engine.inspect_image(image_id).labels.get(key) == value)
    assert not written, f"the suite built into the default namespace: {written}"

    isolation.remove_labelled(session.label)
    assert engine.list_images(label=session.label) == []
    after = isolation.default_namespace_images()
    removed = sorted(tag for tag in session.before if tag not in after)
    assert not removed, f"removed during the session (by the suite, or another client of the engine): {removed}"
    replaced = sorted(tag for tag, image_id in session.before.items() if after[tag] != image_id)
    if replaced:
        warnings.warn(f"replaced during the session by another client of the engine: {replaced}", stacklevel=1)
