"""A fleet of small, real, distinct images pushed to the registry under a session-unique prefix.

Made without an engine, as a registry receives them from any builder: each layer is a gzipped
tar written here (the host's static busybox, an os-release and a package database, an app file,
a cache written by one layer and deleted by the next), each config and manifest a real OCI one,
uploaded through the v2 API (``Registry.upload_blob`` / ``put_manifest``). Shared by
tests/integration/test_fleet.py and benchmarks/fleet_throughput.py.

Per repository ``r`` (``PREFIX/app-r``): ``versions`` tags ``1.0.0`` ... plus ``latest`` pointing
at the last one (the same digest: an audit analyses it once). Families rotate debian 12,
alpine 3.20.3, none (scratch); every other repository runs as root; every third image ships a
fake AWS key; image i leaves ``i % 4`` hundred kB of deleted cache behind. One repository,
``PREFIX/broken``, holds an image whose layer is not a tar: its audit row carries the error.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from dockopt.registry import OCI_MANIFEST, Registry

FAKE_AWS_KEY = "AKIAFAKEFAKEFAKE1234"
FAMILIES = [("debian", "12"), ("alpine", "3.20.3"), (None, None)]
BASE_CREATED = {"debian": "2024-06-01T00:00:00Z", "alpine": "2024-09-06T00:00:00Z", None: "2025-01-15T00:00:00Z"}
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar+gzip"


def _tar(files: list[tuple[str, bytes | None, str | None]]) -> bytes:
    """A gzipped layer tar: (path, contents, symlink target); contents None and no target = whiteout marker file."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        parents = sorted({str(p) for path, _, _ in files for p in Path(path.lstrip("/")).parents if str(p) != "."})
        for folder in parents:  # as every builder writes them: each directory before what it holds
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1700000000
            tar.addfile(info)
        for path, data, link in files:
            info = tarfile.TarInfo(path.lstrip("/"))
            info.mtime = 1700000000
            if link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tar.addfile(info)
            else:
                body = data or b""
                info.size, info.mode = len(body), 0o755 if path.endswith("busybox") else 0o644
                tar.addfile(info, io.BytesIO(body))
    return gzip.compress(raw.getvalue(), compresslevel=6, mtime=0)


def _busybox() -> bytes:
    found = shutil.which("busybox") or "/bin/busybox"
    return Path(found).read_bytes()


def _family_layer(family: str | None, version: str | None) -> bytes | None:
    if family == "debian":
        status = (b"Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u4\n\n"
                  b"Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2024a-0+deb12u1\n")
        return _tar([("/usr/lib/os-release", f'ID=debian\nVERSION_ID="{version}"\n'.encode(), None),
                     ("/etc/os-release", None, "../usr/lib/os-release"),
                     ("/var/lib/dpkg/status", status, None)])
    if family == "alpine":
        db = b"P:musl\nV:1.2.5-r0\nA:x86_64\n\nP:busybox\nV:1.36.1-r29\nA:x86_64\n"
        return _tar([("/etc/os-release", f"ID=alpine\nVERSION_ID={version}\n".encode(), None),
                     ("/lib/apk/db/installed", db, None)])
    return None


@dataclass(frozen=True)
class PushedFleet:
    host: str
    prefix: str
    repositories: tuple[str, ...]
    tags: int            # (repository, tag) pairs pushed
    digests: tuple[str, ...]  # distinct image manifests (the broken one included)
    manifests: tuple[tuple[str, str], ...]  # (repository, digest) of each, to delete at the end


def push_fleet(host: str, *, repos: int = 9, versions: int = 6, prefix: str | None = None,
               payload_kb: int = 0) -> PushedFleet:
    """Push ``repos`` × ``versions`` distinct images (+ ``latest`` aliases, + one broken image).
    ``payload_kb``: image i also carries an incompressible layer of ``(i % 3) * payload_kb`` kB
    (the benchmark's images of several sizes)."""
    reg = Registry(host)
    prefix = prefix or f"dockopt-fleet-test-{uuid.uuid4().hex[:8]}"
    busybox_layer = _tar([("/bin/busybox", _busybox(), None), ("/bin/sh", None, "busybox")])
    names, digests, manifests = [], [], []
    pairs = 0
    image_no = 0
    for r in range(repos):
        repo = f"{prefix}/app-{r}"
        names.append(repo)
        family, version = FAMILIES[r % len(FAMILIES)]
        base_layers = [busybox_layer] + [x for x in [_family_layer(family, version)] if x is not None]
        repo_layer = _tar([(f"/app/{r}.txt", f"repository {r}\n".encode() * 200, None)])
        for v in range(versions):
            tag = f"1.{v}.0"
            image_no += 1
            own = [("/app/version.txt", f"{repo}:{tag}\n".encode(), None)]
            if image_no % 3 == 0:
                own.append(("/app/.env", f"AWS_ACCESS_KEY_ID={FAKE_AWS_KEY}\n".encode(), None))
            layers = [*base_layers, repo_layer, _tar(own)]
            if payload_kb and image_no % 3:
                data = hashlib.shake_256(f"payload {repo}:{tag}".encode()).digest((image_no % 3) * payload_kb * 1000)
                layers.append(_tar([("/app/payload.bin", data, None)]))
            cache_kb = (image_no % 4) * 100
            if cache_kb:
                # written by one layer and deleted by the next: shipped, hidden, reclaimable
                blob = hashlib.shake_256(f"{repo}:{tag}".encode()).digest(cache_kb * 1000)
                layers.append(_tar([("/var/cache/build.bin", blob, None)]))
                layers.append(_tar([("/var/cache/.wh.build.bin", b"", None)]))
            history = [{"created": BASE_CREATED[family], "created_by": "ADD busybox / # base"}]
            history += [{"created": "2026-01-01T00:00:00Z", "created_by": f"RUN step {i}"}
                        for i in range(1, len(layers))]
            uncompressed = [gzip.decompress(layer) for layer in layers]
            config = {"architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
                      "config": {"Cmd": ["/bin/sh"], **({"User": "1000:1000"} if r % 2 == 0 else {})},
                      "rootfs": {"type": "layers",
                                 "diff_ids": ["sha256:" + hashlib.sha256(u).hexdigest() for u in uncompressed]},
                      "history": history}
            digest = _push(reg, repo, tag, config, layers)
            digests.append(digest)
            manifests.append((repo, digest))
            pairs += 1
        reg.put_manifest(repo, "latest", _manifest_bytes(reg, repo, config, layers), OCI_MANIFEST)
        pairs += 1
    broken = f"{prefix}/broken"
    names.append(broken)
    not_a_tar = gzip.compress(b"this is not a tar archive\n" * 100, mtime=0)
    config = {"architecture": "amd64", "os": "linux", "config": {},
              "rootfs": {"type": "layers",
                         "diff_ids": ["sha256:" + hashlib.sha256(gzip.decompress(not_a_tar)).hexdigest()]},
              "history": [{"created_by": "ADD garbage /"}]}
    digest = _push(reg, broken, "latest", config, [not_a_tar])
    digests.append(digest)
    manifests.append((broken, digest))
    return PushedFleet(host, prefix, tuple(names), pairs + 1, tuple(dict.fromkeys(digests)), tuple(manifests))


def _manifest_bytes(reg: Registry, repo: str, config: dict, layers: list[bytes]) -> bytes:
    config_raw = json.dumps(config, sort_keys=True).encode()
    config_digest = reg.upload_blob(repo, config_raw)
    descriptors = [{"mediaType": LAYER_TAR, "digest": reg.upload_blob(repo, layer), "size": len(layer)}
                   for layer in layers]
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": config_digest, "size": len(config_raw)},
                       "layers": descriptors}, sort_keys=True).encode()


def _push(reg: Registry, repo: str, tag: str, config: dict, layers: list[bytes]) -> str:
    return reg.put_manifest(repo, tag, _manifest_bytes(reg, repo, config, layers), OCI_MANIFEST)


def remove_fleet(fleet: PushedFleet) -> int:
    """Delete what ``push_fleet`` pushed (manifests by digest); returns how many the registry deleted
    (0 when its deletion is disabled: the session-unique prefix then keeps the images apart)."""
    reg = Registry(fleet.host)
    deleted = 0
    for repo, digest in fleet.manifests:
        r = reg.session.delete(f"{reg.base}/v2/{repo}/manifests/{digest}", timeout=30)
        deleted += r.status_code == 202
    return deleted
