"""A real registry in the loop (tests/registry.py starts Debian's docker-registry when none answers).

Analysis straight from the registry must equal the same image analysed from the engine; OCI
content the engine cannot push (zstd layers, an image index with several platforms and an
attestation entry) is uploaded through dockopt's own client from recorded skopeo archives; the
errors a user meets each have their own class; credentials from a Docker config reach a registry
that asks for them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from dockopt import engine, naming
from dockopt.analysis_report import analyze_report
from dockopt.cli import main
from dockopt.errors import BadReference, ManifestNotFound, RegistryAuthError, RegistryUnreachable
from dockopt.experiments import pushed_name
from dockopt.image import read_archive, read_image
from dockopt.registry import OCI_INDEX, Reference, Registry
from tests.conftest import FIXTURES, REPO

sys.path.insert(0, str(FIXTURES / "analysis"))
import images  # noqa: E402

ARCHIVES = FIXTURES / "archives"


@pytest.fixture(scope="module")
def pushed(docker_engine, registry):
    """The waste and payloads fixture images, built under the session namespace and pushed."""
    built: dict[str, tuple[str, str]] = {}
    try:
        for name, recipe in (("waste", images.waste(64)), ("payloads", images.payloads())):
            tag = images.build(recipe, tag=f"{naming.namespace()}/registry-{name}:1")
            target = pushed_name(tag, registry)
            engine.tag_image(tag, target)
            engine.push(target)
            built[name] = (tag, target)
        yield built
    finally:
        for tag, target in built.values():
            engine.remove_image(target)
            engine.remove_image(tag, force=True)


def _masked(doc: dict) -> dict:
    # dive's layer "id" is the archive member's folder in a docker save, a digest from a registry
    return {**doc, "layer": [{**layer, "id": None} for layer in doc["layer"]]}


def test_analysis_from_the_registry_equals_the_engine(pushed):
    for tag, target in pushed.values():
        local = analyze_report(tag)
        remote = analyze_report(target)
        assert remote.contents.source == target
        assert remote.dive == local.dive
        assert remote.reclaimable_bytes == local.reclaimable_bytes
        assert remote.waste_rows == local.waste_rows
        assert remote.secret_rows == local.secret_rows
        assert remote.package_rows == local.package_rows
        assert _masked(remote.dive_json()) == _masked(local.dive_json())
        assert remote.to_text().split("\n", 1)[1] == local.to_text().split("\n", 1)[1]
    assert analyze_report(pushed["payloads"][1]).secret_rows, "the payloads image plants secrets"


def test_auto_source_reads_host_port_references_from_the_registry(pushed, tmp_path, capsys):
    _, target = pushed["waste"]
    engine.remove_image(target)  # not in the engine any more: only the registry has it under this name
    out = tmp_path / "dive.json"
    assert main(["analyze", target, "--json", str(out), "--ci", "--junit", str(tmp_path / "j.xml")]) in (0, 1)
    assert json.loads(out.read_text())["image"]["sizeBytes"] == analyze_report(pushed["waste"][0]).dive.size_bytes
    assert f"Image: {target}" in capsys.readouterr().out
    engine.tag_image(pushed["waste"][0], target)


def test_registry_path_imports_neither_pandas_nor_the_docker_sdk(pushed):
    code = ("import sys; from dockopt.cli import main; rc = main(['analyze', sys.argv[1]]); "
            "print('LOADED', sorted(m for m in ('pandas', 'docker', 'plotly') if m in sys.modules)); sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code, pushed["waste"][1]], capture_output=True, text=True,
                          cwd=REPO, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout


def _oci_blobs(archive: Path) -> tuple[dict, dict[str, bytes]]:
    blobs = {}
    with tarfile.open(archive) as t:
        index = json.load(t.extractfile("index.json"))
        for m in t.getmembers():
            if m.isfile() and m.name.startswith("blobs/"):
                blobs["sha256:" + m.name.rsplit("/", 1)[-1]] = t.extractfile(m).read()
    return index, blobs


def _upload(reg: Registry, repo: str, archive: Path) -> tuple[str, int]:
    """Every blob of an OCI archive into ``repo``; returns (manifest digest, manifest size)."""
    index, blobs = _oci_blobs(archive)
    desc = index["manifests"][0]
    manifest = blobs[desc["digest"]]
    for digest, data in blobs.items():
        if digest != desc["digest"]:
            assert reg.upload_blob(repo, data) == digest
    digest = reg.put_manifest(repo, desc["digest"], manifest, json.loads(manifest)["mediaType"])
    return digest, len(manifest)


def _same_files(a, b) -> None:
    cols = ["layer", "path", "kind", "size_bytes", "mode", "uid", "gid", "link_target", "change", "visible"]
    assert a.files[cols].equals(b.files[cols])


def test_oci_index_zstd_layers_and_platforms(registry):
    reg = Registry(registry)
    repo = f"{naming.namespace()}/oci-forms"
    zstd_digest, zstd_size = _upload(reg, repo, ARCHIVES / "skopeo-oci-archive-zstd.tar")
    gzip_digest, gzip_size = _upload(reg, repo, ARCHIVES / "skopeo-oci-archive.tar")
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        # an attestation first, as BuildKit writes them: never picked
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": gzip_digest, "size": gzip_size,
         "platform": {"os": "unknown", "architecture": "unknown"},
         "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": gzip_digest, "size": gzip_size,
         "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": zstd_digest, "size": zstd_size,
         "platform": {"os": "linux", "architecture": "amd64"}}]}
    reg.put_manifest(repo, "multi", json.dumps(index).encode(), OCI_INDEX)
    ref = f"{registry}/{repo}:multi"

    manifest = reg.manifest(ref)
    assert manifest.platform == "linux/amd64" and manifest.index_digest and manifest.digest == zstd_digest
    assert {layer.codec for layer in manifest.layers} == {"zstd"}
    _same_files(read_image(ref), read_archive(ARCHIVES / "skopeo-oci-archive-zstd.tar"))
    arm = read_image(ref, platform="linux/arm64")
    _same_files(arm, read_archive(ARCHIVES / "skopeo-oci-archive.tar"))
    assert analyze_report(ref).dive == analyze_report(ARCHIVES / "skopeo-oci-archive-zstd.tar").dive
    with pytest.raises(ManifestNotFound) as err:
        read_image(ref, platform="linux/s390x")
    assert "linux/amd64" in (err.value.hint or "") and "linux/arm64/v8" in (err.value.hint or "")
    assert "unknown" not in (err.value.hint or "")


def test_each_failure_has_its_own_error(registry, capsys):
    with pytest.raises(ManifestNotFound) as err:
        read_image(f"{registry}/{naming.namespace()}/oci-forms:no-such-tag")
    assert "multi" in (err.value.hint or ""), "the hint lists the tags that exist"
    with pytest.raises(ManifestNotFound):
        read_image(f"{registry}/{naming.namespace()}/never-pushed:1")
    with _free_port() as port:
        pass
    with pytest.raises(RegistryUnreachable) as unreachable:
        read_image(f"127.0.0.1:{port}/app:1")
    assert unreachable.value.host_unreachable and "make registry" in (unreachable.value.hint or "")
    for bad in ("127.0.0.1:5000/App:1", "127.0.0.1:5000/app:bad tag", "127.0.0.1:5000/app@sha256:zz", ""):
        with pytest.raises(BadReference):
            read_image(bad, source="registry")
    assert main(["analyze", f"127.0.0.1:{port}/app:1"]) == 3  # could not run: no registry answers
    assert "no registry answers" in capsys.readouterr().err


def test_from_file_many_references_in_parallel(pushed, tmp_path, capsys):
    refs = tmp_path / "refs.txt"
    refs.write_text(f"# an audit list\n{pushed['waste'][1]}\n{pushed['payloads'][1]}\n{pushed['waste'][0]}\n"
                    f"{str(ARCHIVES / 'skopeo-oci-archive-zstd.tar')}\n{pushed['waste'][1]}-missing\n")
    out = tmp_path / "out"
    assert main(["analyze", "--from-file", str(refs), "--jobs", "2", "--out-dir", str(out)]) == 2  # one is missing
    printed = capsys.readouterr().out
    assert "4 of 5 analysed" in printed
    summary = (out / "summary.tsv").read_text().splitlines()
    head = summary[0].split("\t")
    rows = [dict(zip(head, line.split("\t"))) for line in summary[1:]]
    assert [r["source"] for r in rows] == ["registry", "registry", "engine", "archive", "registry"]
    assert rows[0]["size_bytes"] == rows[2]["size_bytes"] == str(analyze_report(pushed["waste"][0]).dive.size_bytes)
    assert rows[4]["error"] and not rows[4]["json"]
    doc = json.loads(Path(rows[1]["json"]).read_text())
    assert doc["reference"] == pushed["payloads"][1] and doc["dockopt"]["secrets"] > 0 and doc["layer"]


class _free_port:
    def __enter__(self) -> int:
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        return self.s.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self.s.close()


def test_credentials_from_the_docker_config_reach_a_registry_that_asks(tmp_path, monkeypatch, registry):
    """A second docker-registry with htpasswd auth (what Debian's package configures by default)."""
    crypt = pytest.importorskip("crypt")  # bcrypt through libxcrypt: what docker-registry's htpasswd needs
    binary = "/usr/bin/docker-registry"
    if not Path(binary).exists():
        pytest.skip("docker-registry is not installed")
    with _free_port() as port:
        pass
    (tmp_path / "htpasswd").write_text(f"ci:{crypt.crypt('s3cret-pass', crypt.mksalt(crypt.METHOD_BLOWFISH))}\n")
    (tmp_path / "config.yml").write_text(
        f"version: 0.1\nlog: {{level: warn}}\nstorage: {{filesystem: {{rootdirectory: {tmp_path / 'data'}}}}}\n"
        f"http: {{addr: '127.0.0.1:{port}'}}\n"
        f"auth: {{htpasswd: {{realm: dockopt-test, path: {tmp_path / 'htpasswd'}}}}}\n")
    server = subprocess.Popen([binary, "serve", str(tmp_path / "config.yml")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        host = f"127.0.0.1:{port}"
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
        with pytest.raises(RegistryAuthError):
            Registry(host).ping()
        (tmp_path / "docker").mkdir()
        auth = "Y2k6czNjcmV0LXBhc3M="  # base64 of ci:s3cret-pass, as `docker login` stores it
        (tmp_path / "docker" / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
        reg = Registry(host)
        reg.ping()
        digest, size = _upload(reg, "team/forms", ARCHIVES / "skopeo-oci-archive.tar")
        reg.put_manifest("team/forms", "1", reg.manifest_raw("team/forms", digest)[0],
                         "application/vnd.oci.image.manifest.v1+json")
        _same_files(read_image(f"{host}/team/forms:1"), read_archive(ARCHIVES / "skopeo-oci-archive.tar"))
        (tmp_path / "docker" / "config.json").write_text(json.dumps({"auths": {host: {"auth": "Y2k6d3Jvbmc="}}}))
        with pytest.raises(RegistryAuthError):
            Registry(host).manifest(Reference.parse(f"{host}/team/forms:1"))
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert os.environ.get("DOCKER_CONFIG") == str(tmp_path / "docker")
