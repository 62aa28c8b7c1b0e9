"""Image namespace and run labels come from one setting each, checked before any build."""

from __future__ import annotations

import pytest

from dockopt import naming, samples
from dockopt.errors import ConfigError


def test_default_namespace_and_no_run_labels(monkeypatch):
    monkeypatch.delenv(naming.NAMESPACE_ENV, raising=False)
    monkeypatch.delenv(naming.LABELS_ENV, raising=False)
    assert naming.namespace() == "dockopt-sample"
    assert samples.image_tag(samples.load("go-api"), "naive") == "dockopt-sample/go-api:naive"
    assert naming.image_labels("sample", **{naming.LABEL_SAMPLE: "go-api"}) == {
        "io.dockopt.managed": "sample", "io.dockopt.sample": "go-api"}


def test_namespace_and_labels_from_the_environment(monkeypatch):
    monkeypatch.setenv(naming.NAMESPACE_ENV, "team/dockopt-x")
    monkeypatch.setenv(naming.LABELS_ENV, " io.example.run=42 , io.example.owner=me ")
    tag = samples.image_tag(samples.load("monorepo"), "optimised", target="api")
    assert tag == "team/dockopt-x/monorepo:optimised-api"
    assert naming.image_labels("experiment") == {"io.dockopt.managed": "experiment", "io.example.run": "42",
                                                 "io.example.owner": "me"}


@pytest.mark.parametrize("value", ["Upper/Case", "trailing-/x", "spaces in it", "a//b"])
def test_a_bad_namespace_is_named(monkeypatch, value):
    monkeypatch.setenv(naming.NAMESPACE_ENV, value)
    with pytest.raises(ConfigError, match="DOCKOPT_NAMESPACE") as err:
        naming.namespace()
    assert err.value.hint


@pytest.mark.parametrize("value", ["novalue", "=x", "a b=c"])
def test_bad_run_labels_are_named(monkeypatch, value):
    monkeypatch.setenv(naming.LABELS_ENV, value)
    with pytest.raises(ConfigError, match="DOCKOPT_LABELS"):
        naming.run_labels()
