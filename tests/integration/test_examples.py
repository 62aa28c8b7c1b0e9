"""The guide's recipes per stack on the real engine (the measured stacks run in notebooks/guide/05_examples)."""

from __future__ import annotations

from dockopt.experiments import guide_examples


def test_a_stack_that_needs_a_registry_is_a_row_with_the_reason(docker_engine):
    """The guide's .NET recipe on the real engine: nothing to build here, every row says why."""
    dotnet = guide_examples("dotnet-webapi", push=False, progress=False)
    assert set(dotnet.table["status"]) == {"skipped"}
    assert all("mcr.microsoft.com" in note for note in dotnet.table["note"])
    assert "skipped" in dotnet.summary() and dotnet.row("guide") is None
