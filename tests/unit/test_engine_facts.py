"""Typed engine facts and the one "registry unreachable" check, on answers recorded from a real engine
(tests/fixtures/engine; re-record with::

    from dockopt import engine; json.dump(engine.api().inspect_image(REF), f, indent=1, sort_keys=True)
)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from dockopt import engine
from dockopt.bases.catalog import is_standin_of
from tests.conftest import FIXTURES

RECORDED = FIXTURES / "engine"


def _recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text())


def test_image_info_from_a_recorded_standin():
    attrs = _recorded("inspect-distroless-nodejs24-nonroot.json")
    info = engine.ImageInfo.from_inspect(attrs)
    assert info.id == attrs["Id"] and info.size_bytes == attrs["Size"] > 0
    assert info.tags == ("gcr.io/distroless/nodejs24-debian12:nonroot",) and info.digests == ()
    assert info.user == "65532" and not info.runs_as_root
    assert info.entrypoint == ("/nodejs/bin/node",) and info.cmd == ()
    assert len(info.layers) == len(attrs["RootFS"]["Layers"]) == 4
    assert is_standin_of("gcr.io/distroless/nodejs24-debian12:nonroot", info.labels)
    assert not info.has_healthcheck


def test_image_info_ports_cmd_and_read_only_labels():
    info = engine.ImageInfo.from_inspect(_recorded("inspect-nginx-standin.json"))
    assert info.exposed_ports == ("80/tcp",) and info.cmd == ("nginx", "-g", "daemon off;")
    assert info.runs_as_root  # upstream nginx starts as root and drops to the nginx user itself
    with pytest.raises(TypeError):
        info.labels["io.dockopt.standin"] = "false"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.user = "nobody"  # type: ignore[misc]


def test_image_info_tolerates_nulls_and_a_disabled_healthcheck():
    info = engine.ImageInfo.from_inspect({"Id": "sha256:x", "Size": None, "RepoTags": ["<none>:<none>"],
                                          "Config": {"Labels": None, "Healthcheck": {"Test": ["NONE"]}},
                                          "RootFS": None})
    assert (info.size_bytes, info.tags, dict(info.labels), info.layers) == (0, (), {}, ())
    assert info.healthcheck == ("NONE",) and not info.has_healthcheck
    checked = engine.ImageInfo.from_inspect({"Config": {"Healthcheck": {"Test": ["CMD", "/healthcheck"]}}})
    assert checked.has_healthcheck


def test_recorded_pull_errors_say_the_registry_is_unreachable():
    for ref, text in json.loads((RECORDED / "pull-errors.json").read_text()).items():
        assert engine.registry_unreachable(text), ref


def test_a_registry_that_answers_is_not_unreachable():
    # what a reachable registry says for a tag it does not have (moby's wording)
    assert not engine.registry_unreachable("manifest for alpine:3.99 not found: manifest unknown: manifest unknown")
    assert not engine.registry_unreachable("pull access denied for dockopt/never, repository does not exist")
