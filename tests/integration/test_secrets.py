"""The secrets scan on real images: a secret deleted in the next layer still ships and is found,
and a recorded boto3 METADATA (the false alarm of issue 13) next to it stays quiet.

Images are tagged ``dockopt-secrets-bench/...`` (tests/fixtures/secrets/corpus.py) and removed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dockopt import engine
from dockopt.analysis_report import analyze_report

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "secrets"
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402

RECORDED = {e["image_path"]: e for e in json.loads((HERE / "recorded.json").read_text())}
BOTO3_METADATA = "/opt/venv/lib/python3.11/site-packages/boto3-1.44.8.dist-info/METADATA"


@pytest.fixture(scope="module")
def layered(docker_engine):
    decoys = {BOTO3_METADATA: (HERE / "recorded" / RECORDED[BOTO3_METADATA]["file"]).read_bytes(),
              # the same README at an application path: docs by name, wherever they sit
              "/app/README.md": (HERE / "recorded" / RECORDED[BOTO3_METADATA]["file"]).read_bytes()}
    recipe = corpus.layered_small(corpus.Shapes(20261201), decoys=decoys)
    try:
        corpus.build(recipe)
        yield recipe
    finally:
        corpus.remove(recipe.tag)


def test_deleted_secret_found_and_nothing_else(layered, capsys):
    report = analyze_report(layered.tag)
    found = report.secrets
    got = {(p, pv) for p, pv in zip(found["path"], found["preview"])}
    from dockopt import secrets

    assert got == {(p.where, secrets.redact(p.value)) for p in layered.planted}
    assert found["deleted_later"].all() and not found["visible"].any()
    assert set(found["instruction"]) == {"COPY credentials /root/.aws/credentials"}
    text = report.to_text()
    assert "Secrets: 2 found" in text and "deleted later, still shipped" in text
    for p in layered.planted:
        assert p.value not in text and p.value not in found.to_json()
    assert not report.ci().passed  # noSecrets


def test_the_planted_file_is_really_gone_from_the_final_filesystem(layered):
    code, out = engine.run_output(layered.tag, ["sh", "-c", f"ls -A /root/.aws/; head -1 {BOTO3_METADATA}"])
    assert code == 0 and "credentials" not in out and "Metadata-Version" in out
