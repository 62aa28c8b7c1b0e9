"""One image in every archive form (tests/fixtures/archives, see its README): no engine needed.

Each form was written by the tool named in ``forms.json`` (or by a writer in ``record.py`` that
follows that tool's upstream code), and dive 0.13.1 was run on every tar form. Every image form
must read to the same per-layer file table and dive figures as the engine's ``docker save``, and
dockopt's dive JSON must equal dive's wherever dive reads the form correctly.
"""

from __future__ import annotations

import copy
import io
import json
import os
import tarfile
from pathlib import Path

import pandas as pd
import pytest
import zstandard

import dockopt
from dockopt import analysis, dive_compat
from dockopt.errors import ArchiveError
from dockopt.image import read_image
from dockopt.image.tar import ChunkSource, Decompressed

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "archives"
RECORD = json.loads((HERE / "forms.json").read_text())
FORMS = {f["name"]: f for f in RECORD["forms"]}
IMAGE_FORMS = sorted(n for n, f in FORMS.items() if f["kind"] == "image" and n != "docker-save.tar")
DIVE_FORMS = sorted(n for n, f in FORMS.items() if f["dive"] == "ok")
# The layer entries eStargz and zstd:chunked add to every layer (a runtime that does not know
# the format extracts them like any file, so they are part of what the image ships).
ESTARGZ_ENTRIES = {"/stargz.index.json", "/.no.prefetch.landmark", "/.prefetch.landmark"}


def _is_converted(name: str) -> bool:
    return name.startswith("nerdctl-")


def _has_docker_manifest(path: Path) -> bool:
    with tarfile.open(path) as t:
        return "manifest.json" in t.getnames()


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    """Directory forms unpacked once: name -> directory."""
    out = {}
    for name in FORMS:
        if name.endswith(".dir.tar.gz"):
            target = tmp_path_factory.mktemp("forms") / name.removesuffix(".tar.gz")
            with tarfile.open(HERE / name) as t:
                t.extractall(target, filter="data")
            out[name] = target
    return out


def _path(name: str, unpacked: dict[str, Path]) -> Path:
    return unpacked.get(name, HERE / name)


@pytest.fixture(scope="module")
def reference():
    return read_image(HERE / "docker-save.tar")


@pytest.fixture(scope="module")
def contents(unpacked):
    """name -> what dockopt reads, each form read once and only by the tests that use it (so a
    form that fails to read fails its own tests, not every test of the module)."""
    cache = {}

    def read(name: str):
        if name not in cache:
            cache[name] = read_image(_path(name, unpacked))
        return cache[name]

    return read


def _without_format_entries(image) -> tuple[pd.DataFrame, pd.DataFrame]:
    files = image.files
    extra = files[files["path"].isin(ESTARGZ_ENTRIES)]
    kept = files[~files["path"].isin(ESTARGZ_ENTRIES)].reset_index(drop=True)
    return kept, extra


def _dive_doc_without_ids(doc: dict) -> dict:
    """A dive document without what names the layer blobs (tar member names, digests)."""
    doc = copy.deepcopy(doc)
    for layer in doc["layer"]:
        layer.pop("id")
        layer.pop("digestId")
    return doc


# --- the fixtures are what the README says -----------------------------------------------------


def test_every_recorded_file_is_listed_with_its_size():
    on_disk = {p.name for p in HERE.iterdir() if p.name.endswith((".tar", ".tar.gz"))}
    assert on_disk == set(FORMS)
    for name, form in FORMS.items():
        assert (HERE / name).stat().st_size == form["size_bytes"], name
    dive_files = {p.name for p in (HERE / "dive").iterdir()}
    assert dive_files == {n.removesuffix(".tar") + ".json" for n in DIVE_FORMS}


@pytest.mark.parametrize("name,codecs", [
    ("docker-save.tar", {"tar"}), ("skopeo-oci-archive.tar", {"gzip"}), ("skopeo-oci-archive-zstd.tar", {"zstd"}),
    ("skopeo-oci-uncompressed.dir.tar.gz", {"tar"}), ("skopeo-dir-zstd.dir.tar.gz", {"zstd"}),
    ("crane-pull.tar", {"gzip"}), ("docker25-save.tar", {"tar"}), ("docker25-containerd-save.tar", {"gzip"}),
    ("nerdctl-estargz-save.tar", {"estargz"}), ("nerdctl-zstdchunked-save.tar", {"zstd:chunked"}),
])
def test_forms_have_the_layer_encoding_they_claim(name, codecs, unpacked):
    """The layer blobs really are compressed as the form's name says (so each path is exercised)."""
    img = read_image(_path(name, unpacked))
    found = set()
    for tar_path in img.layers["tar_path"]:
        if name.endswith(".dir.tar.gz"):
            head = (unpacked[name] / tar_path).read_bytes()
        else:
            with tarfile.open(HERE / name) as t:
                head = t.extractfile(tar_path).read()
        if head[:2] == b"\x1f\x8b":
            found.add("estargz" if head[-51:][:2] == b"\x1f\x8b" and b"STARGZ" in head[-51:] else "gzip")
        elif head[:4] == b"\x28\xb5\x2f\xfd":
            found.add("zstd:chunked" if b"\x50\x2a\x4d\x18" in head else "zstd")
        else:
            found.add("tar")
    assert found == codecs


# --- every form reads to the same image ----------------------------------------------------------


@pytest.mark.parametrize("name", IMAGE_FORMS)
def test_every_form_reads_to_the_same_files(name, contents, reference, unpacked):
    image = contents(name)
    if _is_converted(name):
        files, extra = _without_format_entries(image)
        # Only eStargz's own entries differ, and every layer has them.
        assert set(extra["path"]) <= ESTARGZ_ENTRIES
        assert sorted(extra["layer"].unique()) == list(range(len(image.layers)))
    else:
        files = image.files
    pd.testing.assert_frame_equal(files, reference.files)
    # The public API reads the same rows.
    pd.testing.assert_frame_equal(dockopt.files(_path(name, unpacked)), image.files)
    cols = ["layer", "history_index", "created_by", "instruction"] + ([] if _is_converted(name) else
                                                                       ["digest", "size_bytes", "entries"])
    pd.testing.assert_frame_equal(image.layers[cols], reference.layers[cols])
    assert image.history == reference.history
    # Converting to an OCI config (skopeo, podman, buildah) drops Docker's empty fields ("OnBuild": null).
    def runtime(cfg):
        return {k: v for k, v in cfg.items() if v not in (None, "", [], {})}

    assert runtime(image.image_config) == runtime(reference.image_config)


@pytest.mark.parametrize("name", [n for n in IMAGE_FORMS if not _is_converted(n)])
def test_every_form_has_the_same_dive_figures(name, contents, reference):
    image = contents(name)
    assert dive_compat.dive_metrics(image.files, image.layers["size_bytes"].tolist()) == \
        dive_compat.dive_metrics(reference.files, reference.layers["size_bytes"].tolist())
    assert _dive_doc_without_ids(dive_compat.dive_export(image)) == \
        _dive_doc_without_ids(dive_compat.dive_export(reference))
    assert analysis.reclaimable_bytes(image.files) == analysis.reclaimable_bytes(reference.files)


def test_estargz_entries_count_as_dive_counts_them(contents):
    """Each eStargz layer ships its own stargz.index.json: dive and dockopt both count the lower
    copies as wasted, so converting to eStargz costs efficiency on an eStargz-agnostic runtime."""
    plain = dive_compat.dive_metrics(contents("docker-save.tar").files)
    esgz = contents("nerdctl-estargz-save.tar")
    m = dive_compat.dive_metrics(esgz.files, esgz.layers["size_bytes"].tolist())
    tocs = esgz.files[esgz.files["path"] == "/stargz.index.json"]
    assert len(tocs) == len(esgz.layers)
    assert m.wasted_bytes > plain.wasted_bytes
    assert m.efficiency < plain.efficiency


# --- dockopt's JSON against dive's recordings ------------------------------------------------------


@pytest.mark.parametrize("name", DIVE_FORMS)
def test_dive_json_equals_dive(name, contents):
    recorded = json.loads((HERE / "dive" / (name.removesuffix(".tar") + ".json")).read_text())
    mine = dive_compat.dive_export(contents(name))
    if _has_docker_manifest(HERE / name):
        assert mine == recorded
    else:
        # dive 0.13.1 pairs the layers of an OCI archive without manifest.json with the history
        # in a nondeterministic order (see the README); the layers themselves must match.
        def key(layer: dict) -> str:
            return json.dumps({k: layer[k] for k in ("sizeBytes", "fileList")}, sort_keys=True)

        assert sorted(map(key, mine["layer"])) == sorted(map(key, recorded["layer"]))
        # and dockopt's order is the manifest's: the same as dive's on the engine's docker save.
        reference = json.loads((HERE / "dive" / "docker-save.json").read_text())
        assert [key(x) for x in mine["layer"]] == [key(x) for x in reference["layer"]]


def test_dive_misorders_oci_archives_without_manifest_json():
    """The recorded evidence for the exception above: in at least one recording dive's layer
    order is not the image's, so comparing as a set is needed, not a loophole."""
    reference = [x["sizeBytes"] for x in json.loads((HERE / "dive" / "docker-save.json").read_text())["layer"]]
    def dive_doc(n: str) -> dict:
        return json.loads((HERE / "dive" / (n.removesuffix(".tar") + ".json")).read_text())

    orders = [[x["sizeBytes"] for x in dive_doc(n)["layer"]]
              for n in DIVE_FORMS if not _has_docker_manifest(HERE / n)]
    assert orders and all(sorted(o) == sorted(reference) for o in orders)
    assert any(o != reference for o in orders)


# --- not an image ------------------------------------------------------------------------------


def test_filesystem_export_is_refused_with_a_hint():
    with pytest.raises(ArchiveError, match="plain tar of .* entries") as err:
        read_image(HERE / "crane-export.tar")
    assert "docker import" in err.value.hint
    with pytest.raises(ArchiveError, match="not an image"):
        dockopt.files(HERE / "crane-export.tar")


def _dir_layout(tmp_path: Path, manifest: dict) -> Path:
    d = tmp_path / "dir"
    d.mkdir()
    (d / "version").write_text("Directory Transport Version: 1.1\n")
    (d / "manifest.json").write_text(json.dumps(manifest))
    return d


def test_dir_transport_manifest_list_is_refused(tmp_path):
    d = _dir_layout(tmp_path, {"schemaVersion": 2, "manifests": []})
    with pytest.raises(ArchiveError, match="not an image manifest") as err:
        read_image(d)
    assert "--all" in err.value.hint


def test_dir_transport_malformed_digest_is_refused(tmp_path):
    d = _dir_layout(tmp_path, {"schemaVersion": 2, "config": {"digest": "sha256:../../etc/passwd"}, "layers": []})
    with pytest.raises(ArchiveError, match="malformed digest"):
        read_image(d)


def test_dir_transport_version_1_0_names_blobs_with_tar(tmp_path, unpacked, reference):
    """Older skopeo (dir transport 1.0) wrote blobs as ``<hex>.tar``."""
    src = unpacked["skopeo-dir.dir.tar.gz"]
    d = tmp_path / "v10"
    d.mkdir()
    manifest = json.loads((src / "manifest.json").read_text())
    for p in src.iterdir():
        (d / (p.name if p.name in ("manifest.json", "version") else p.name + ".tar")).write_bytes(p.read_bytes())
    (d / "version").write_text("Directory Transport Version: 1.0\n")
    assert manifest["config"]["digest"].split(":")[1] + ".tar" in os.listdir(d)
    pd.testing.assert_frame_equal(read_image(d).files, reference.files)


# --- compression edge --------------------------------------------------------------------------


def test_zstd_frame_ending_on_a_read_boundary():
    """zstd:chunked layers are many frames; one may end exactly where a 1 MiB read does."""
    rng = io.BytesIO(os.urandom(1 << 20))
    for size in range((1 << 20) - 100, 1 << 20):  # stored blocks: the frame size follows the input size
        first = zstandard.ZstdCompressor(level=1).compress(rng.getvalue()[:size])
        if len(first) == 1 << 20:
            break
    assert len(first) == 1 << 20
    rest = zstandard.ZstdCompressor().compress(b"second") + zstandard.ZstdCompressor().compress(b"third")
    out = Decompressed(ChunkSource([first + rest]), "zstd").read(size + 100)
    assert out[size:] == b"secondthird"
