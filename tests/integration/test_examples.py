"""The guide's recipes per stack on the real engine (the measured stacks run in notebooks/guide/05_examples)."""

from __future__ import annotations

import pytest

from dockopt import naming
from dockopt.build import build
from dockopt.errors import SmokeFailed
from dockopt.experiments import guide_examples
from dockopt.samples import Service
from dockopt.smoke import smoke


def test_a_stack_that_needs_a_registry_is_a_row_with_the_reason(docker_engine):
    """The guide's .NET recipe on the real engine: nothing to build here, every row says why."""
    dotnet = guide_examples("dotnet-webapi", push=False, progress=False)
    assert set(dotnet.table["status"]) == {"skipped"}
    assert all("mcr.microsoft.com" in note for note in dotnet.table["note"])
    assert "skipped" in dotnet.summary() and dotnet.row("guide") is None


def test_a_container_that_exits_at_once_is_a_smoke_failure_not_a_key_error(docker_engine, busybox_context):
    """The guide's Go recipe without CGO_ENABLED=0 exits before its port is published: smoke says so."""
    (busybox_context / "Dockerfile").write_text('FROM scratch\nCOPY busybox /busybox\nEXPOSE 8080\n'
                                                'ENTRYPOINT ["/busybox", "false"]\n')
    image = build(busybox_context, tag=f"{naming.namespace()}/exits:now", labels=naming.image_labels("experiment"),
                  progress=False).ref
    with pytest.raises(SmokeFailed) as err:
        smoke(image, Service("exits", None, 8080, "/health"), timeout_s=10)
    assert "exit code 1" in err.value.message
