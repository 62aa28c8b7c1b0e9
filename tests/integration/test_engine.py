"""engine.py against the real engine: rootfs imports from every kind of input, containers removed."""

from __future__ import annotations

import io
import tarfile
import uuid

import pytest

from dockopt import engine
from tests import isolation


def _rootfs() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        data = b"imported\n"
        info = tarfile.TarInfo("etc/dockopt-test")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["bytes", "file", "chunks"])
def test_import_rootfs_accepts_bytes_files_and_chunks(kind, docker_engine):
    raw = _rootfs()
    chunks = (raw[i:i + 1000] for i in range(0, len(raw), 1000))
    source = {"bytes": raw, "file": io.BytesIO(raw), "chunks": chunks}[kind]
    ref = f"{isolation.current().namespace}/import-{kind}:{uuid.uuid4().hex[:8]}"
    try:
        image_id = engine.import_rootfs(source, ref, changes=['LABEL io.dockopt.test="import"'])
        image = engine.inspect_image(ref)
        assert image.id == image_id and image.tags == (ref,)
        assert image.labels["io.dockopt.test"] == "import"
    finally:
        engine.remove_image(ref, force=True)
