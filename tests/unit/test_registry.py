"""The registry client without a registry: reference grammar, platform choice, credentials, and the
Bearer token handshake (RFC 6750 challenge, token from the realm, scope per repository) against a
small local server that speaks it, serving the blobs of a recorded skopeo OCI archive."""

from __future__ import annotations

import base64
import json
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from dockopt.errors import BadReference, ManifestNotFound, RegistryAuthError, RegistryError
from dockopt.image import read_archive, read_image, resolve_source
from dockopt.registry import (
    Descriptor,
    Reference,
    Registry,
    _pick_platform,
    docker_credentials,
    names_registry,
    parse_challenge,
    parse_platform,
)
from tests.conftest import FIXTURES

ARCHIVE = FIXTURES / "archives" / "skopeo-oci-archive.tar"


@pytest.mark.parametrize(("text", "expect"), [
    ("node:24", ("docker.io", "library/node", "24", None)),
    ("node", ("docker.io", "library/node", "latest", None)),
    ("team/app:1.0", ("docker.io", "team/app", "1.0", None)),
    ("127.0.0.1:5000/team/app:1.0", ("127.0.0.1:5000", "team/app", "1.0", None)),
    ("localhost/app", ("localhost", "app", "latest", None)),
    ("gcr.io/distroless/nodejs24-debian12:nonroot", ("gcr.io", "distroless/nodejs24-debian12", "nonroot", None)),
    ("reg.example:443/a/b@sha256:" + "a" * 64, ("reg.example:443", "a/b", None, "sha256:" + "a" * 64)),
    ("[::1]:5000/app:v", ("[::1]:5000", "app", "v", None)),
])
def test_references_parse_as_the_docker_cli_reads_them(text, expect):
    r = Reference.parse(text)
    assert (r.registry, r.repository, r.tag, r.digest) == expect


@pytest.mark.parametrize("bad", ["", " app", "App:1", "127.0.0.1:5000/App", "app:bad tag", "app:" + "x" * 200,
                                 "app@sha256:xyz", "http://127.0.0.1:5000/app", "a//b", "-app"])
def test_bad_references_are_refused_with_a_hint(bad):
    with pytest.raises(BadReference) as err:
        Reference.parse(bad)
    assert err.value.hint


def test_which_references_auto_reads_from_a_registry():
    assert names_registry("127.0.0.1:5000/app:1") and names_registry("localhost/app") and names_registry("reg:443/a")
    assert not names_registry("gcr.io/distroless/static-debian12")  # stand-ins live in the engine
    assert not names_registry("node:24") and not names_registry("dockopt-sample/go-api:optimised")
    assert resolve_source("127.0.0.1:5000/app:1") == "registry" and resolve_source("node:24") == "engine"
    assert resolve_source(str(ARCHIVE)) == "archive"


def test_challenges_and_platforms():
    scheme, params = parse_challenge('Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull"')
    assert scheme == "bearer" and params == {"realm": "https://auth.example/token", "service": "reg",
                                             "scope": "repository:a:pull"}
    assert parse_challenge('Basic realm="x"') == ("basic", {"realm": "x"})
    assert parse_platform(None) == ("linux", "amd64", None) and parse_platform("linux/arm/v7") == ("linux", "arm", "v7")
    with pytest.raises(BadReference):
        parse_platform("amd64")
    entries = [Descriptor("m", "sha256:1", 1, platform="unknown/unknown"),
               Descriptor("m", "sha256:2", 1, platform="linux/arm64/v8"),
               Descriptor("m", "sha256:3", 1, platform="linux/amd64")]
    assert _pick_platform(entries, ("linux", "amd64", None)).digest == "sha256:3"
    assert _pick_platform(entries, ("linux", "arm64", None)).digest == "sha256:2"
    assert _pick_platform(entries, ("linux", "arm64", "v8")).digest == "sha256:2"
    assert _pick_platform(entries, ("linux", "s390x", None)) is None


def test_credentials_from_a_docker_config(tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"auths": {
        "127.0.0.1:5000": {"auth": base64.b64encode(b"ci:pa:ss").decode()},
        "https://index.docker.io/v1/": {"username": "hub", "password": "pw"}}}))
    assert docker_credentials("127.0.0.1:5000", cfg) == ("ci", "pa:ss")
    assert docker_credentials("docker.io", cfg) == ("hub", "pw")
    assert docker_credentials("ghcr.io", cfg) is None
    assert docker_credentials("ghcr.io", tmp_path / "missing.json") is None


# --- the Bearer token handshake ------------------------------------------------------------------


def _archive_blobs() -> tuple[bytes, str, dict[str, bytes]]:
    blobs = {}
    with tarfile.open(ARCHIVE) as t:
        index = json.load(t.extractfile("index.json"))
        for m in t.getmembers():
            if m.isfile() and m.name.startswith("blobs/"):
                blobs["sha256:" + m.name.rsplit("/", 1)[-1]] = t.extractfile(m).read()
    digest = index["manifests"][0]["digest"]
    return blobs[digest], digest, blobs


class _TokenRegistry(BaseHTTPRequestHandler):
    """Answers like Docker Hub or GHCR: 401 + ``WWW-Authenticate: Bearer`` until a token for the
    repository's scope comes back; tokens from ``/token`` (anonymous, or Basic when the user is known)."""

    manifest, manifest_digest, blobs = _archive_blobs()
    tokens: dict[str, str] = {}          # token -> scope it grants
    token_requests: list[dict] = []

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, code: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        url = urlparse(self.path)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if url.path == "/token":
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            self.token_requests.append({**q, "auth": self.headers.get("Authorization")})
            if q.get("service") != "fake-registry" or "private" in q.get("scope", "") and not self.headers.get(
                    "Authorization"):
                return self._send(401)
            token = f"t{len(self.tokens)}"
            self.tokens[token] = q.get("scope", "")
            return self._send(200, json.dumps({"token": token}).encode())
        parts = url.path.split("/")
        repo = "/".join(parts[2:-2]) if len(parts) > 4 else ""
        scope = f"repository:{repo}:pull" if repo else ""
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        if self.tokens.get(token) != scope and not (scope == "" and token in self.tokens):
            challenge = f'Bearer realm="{base}/token",service="fake-registry"' + (f',scope="{scope}"' if scope else "")
            return self._send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {"WWW-Authenticate": challenge})
        if url.path == "/v2/":
            return self._send(200, b"{}")
        if parts[-2] == "manifests":
            if parts[-1] in ("1", self.manifest_digest):
                return self._send(200, self.manifest, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
            return self._send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
        if parts[-2] == "tags":
            return self._send(200, json.dumps({"name": repo, "tags": ["1"]}).encode())
        if parts[-2] == "blobs" and parts[-1] in self.blobs:
            return self._send(200, self.blobs[parts[-1]])
        return self._send(404)


@pytest.fixture
def token_registry():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        _TokenRegistry.tokens.clear()
        _TokenRegistry.token_requests.clear()


def test_a_bearer_challenge_gets_a_token_for_the_repository_scope(token_registry, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))  # no credentials: anonymous tokens
    contents = read_image(f"{token_registry}/team/forms:1")
    expect = read_archive(ARCHIVE)
    assert contents.files.equals(expect.files)
    scopes = [r["scope"] for r in _TokenRegistry.token_requests]
    assert scopes == ["repository:team/forms:pull"], "one token per scope, reused for every blob"
    with pytest.raises(ManifestNotFound) as err:
        Registry(token_registry).manifest(f"{token_registry}/team/forms:2")
    assert "1" in (err.value.hint or "")


def test_a_refused_token_is_an_auth_error_with_a_hint(token_registry, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    with pytest.raises(RegistryAuthError) as err:
        Registry(token_registry).manifest(f"{token_registry}/private/app:1")
    assert "docker login" in (err.value.hint or "")


def test_the_token_request_carries_the_docker_config_credentials(token_registry, monkeypatch, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"auths": {token_registry: {"auth": "Y2k6cHc="}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    Registry(token_registry).manifest(f"{token_registry}/team/forms:1")
    assert _TokenRegistry.token_requests[-1]["auth"] == "Basic Y2k6cHc="


def test_a_tampered_blob_is_refused(token_registry, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    reg = Registry(token_registry)
    digest = next(iter(_TokenRegistry.blobs))
    monkeypatch.setitem(_TokenRegistry.blobs, digest, b"not what the digest says")
    with pytest.raises(RegistryError, match="arrived with digest"):
        reg.blob_bytes("team/forms", digest)
