"""The one HTTP client for container registries (the distribution / OCI v2 API), and image references.

- ``Reference.parse("127.0.0.1:5000/team/app:1.2")``: ``[HOST[:PORT]/]REPO[:TAG][@DIGEST]`` as the
  docker CLI reads it (no host: Docker Hub, one-part names under ``library/``); ``BadReference`` otherwise.
- ``Registry(host)``: ``ping``, ``manifest`` (Docker v2 and OCI manifests; image indexes and
  manifest lists resolved to one platform, ``linux/amd64`` unless asked), ``config``, ``blob``
  (streamed, digest checked at the end), ``tags``, and the upload side (``upload_blob``,
  ``put_manifest``) that tests and tools use to place OCI content the engine cannot push.
- Auth: when a registry answers 401 with ``WWW-Authenticate: Bearer ...`` a token is fetched from
  its realm (anonymously, or with the credentials below) for the repository's scope; ``Basic``
  challenges get the credentials directly. Credentials come from ``~/.docker/config.json``
  (``auths``, or a ``credsStore`` / ``credHelpers`` helper run through ``dockopt.proc``).
- Errors: ``RegistryUnreachable`` (nothing answers: refused, DNS, TLS, timeout),
  ``ManifestNotFound`` (unknown tag or digest, or no such platform; the hint lists what exists),
  ``RegistryAuthError``, ``RegistryError`` (any other refusal), ``BadReference``.

Plain ``http`` is used for loopback registries (``127.0.0.0/8``, ``localhost``, ``::1``) and for
hosts listed in ``DOCKOPT_INSECURE_REGISTRIES`` (comma-separated), ``https`` for everything else;
the same rule the engine applies by default. ``requests`` does the transport; it drops the
``Authorization`` header when a blob download is redirected to another host (object storage).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import settings
from .errors import BadReference, ManifestNotFound, RegistryAuthError, RegistryError, RegistryUnreachable

if TYPE_CHECKING:  # pragma: no cover
    import requests

REGISTRY_ENV = settings.REGISTRY
DEFAULT_REGISTRY = settings.DEFAULT_REGISTRY
INSECURE_ENV = settings.INSECURE_REGISTRIES
DEFAULT_PLATFORM = "linux/amd64"
DOCKER_HUB = "docker.io"
_HUB_API = "registry-1.docker.io"

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
_SCHEMA1 = ("application/vnd.docker.distribution.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v1+prettyjws")
MANIFEST_TYPES = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST)
_INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)

START_HINT = ("start one: `make registry` (Debian's docker-registry on 127.0.0.1:5000), or set "
              f"{REGISTRY_ENV} to a registry you can reach")

# distribution/reference's grammar, the parts dockopt needs
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPO = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_HOST = re.compile(r"^(?:\[[0-9a-fA-F:]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?)(?::\d{1,5})?$")


def default_registry() -> str:
    """The registry dockopt pushes to and reads from by default (``$DOCKOPT_REGISTRY``, else 127.0.0.1:5000)."""
    return settings.registry()


@dataclass(frozen=True)
class Reference:
    """An image reference split the way the registry API needs it."""

    registry: str          # host[:port]; "docker.io" for Docker Hub
    repository: str        # e.g. "library/node", "team/app"
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> Reference:
        """``[HOST[:PORT]/]REPO[:TAG][@DIGEST]``; a missing tag and digest means ``latest``."""
        raw = text.strip()
        if not raw or raw != text or any(c.isspace() for c in raw) or "://" in raw:
            raise BadReference(f"{text!r} is not an image reference",
                               hint="write HOST[:PORT]/REPOSITORY[:TAG][@DIGEST], e.g. 127.0.0.1:5000/team/app:1.0")
        rest, _, digest = raw.partition("@")
        if digest and not _DIGEST.match(digest):
            raise BadReference(f"{text!r}: {digest!r} is not a digest", hint="a digest looks like sha256:<64 hex>")
        first, slash, remainder = rest.partition("/")
        if slash and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
            host, path = first, remainder
        else:
            host, path = DOCKER_HUB, rest
        tag = None
        last = path.rsplit("/", 1)[-1]
        if ":" in last:
            path, tag = path.rsplit(":", 1)
            if not _TAG.match(tag):
                raise BadReference(f"{text!r}: {tag!r} is not a valid tag",
                                   hint="tags are up to 128 letters, digits, '_', '.' and '-'")
        if not _HOST.match(host):
            raise BadReference(f"{text!r}: {host!r} is not a registry host", hint="write HOST or HOST:PORT")
        if host == DOCKER_HUB and "/" not in path:
            path = f"library/{path}"
        if not _REPO.match(path):
            raise BadReference(f"{text!r}: {path!r} is not a repository name",
                               hint="repository names are lower-case letters, digits and '.', '_', '-', '/'")
        if tag is None and not digest:
            tag = "latest"
        return cls(registry=host, repository=path, tag=tag, digest=digest or None)

    @property
    def reference(self) -> str:
        """What goes after ``/manifests/``: the digest when there is one, else the tag."""
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        out = f"{self.registry}/{self.repository}"
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


def names_registry(text: str) -> bool:
    """Whether ``text`` names its registry host explicitly with a port or as ``localhost``
    (``127.0.0.1:5000/app:1``): what ``dockopt analyze``'s ``auto`` source reads from a registry.
    Hosts without a port (``gcr.io/...``) stay engine references: stand-ins live there."""
    first, slash, _ = text.partition("/")
    if not slash:
        return False
    host = first.split("@")[0]
    return host == "localhost" or bool(re.fullmatch(r"[^:/]+:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5}", host))


@dataclass(frozen=True)
class Descriptor:
    """A content descriptor: what a manifest says about a blob or a child manifest."""

    media_type: str
    digest: str
    size_bytes: int
    platform: str | None = None      # "os/arch[/variant]" in an index
    urls: tuple[str, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=dict, hash=False)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Descriptor:
        p = d.get("platform") or {}
        platform = "/".join(x for x in (p.get("os"), p.get("architecture"), p.get("variant")) if x) or None
        return cls(media_type=str(d.get("mediaType") or ""), digest=str(d.get("digest") or ""),
                   size_bytes=int(d.get("size") or 0), platform=platform, urls=tuple(d.get("urls") or ()),
                   annotations=dict(d.get("annotations") or {}))

    @property
    def codec(self) -> str | None:
        """``gzip``, ``zstd`` or None (plain tar), from the media type; None when it does not say."""
        if self.media_type.endswith("gzip"):  # OCI "tar+gzip", Docker "diff.tar.gzip"
            return "gzip"
        return "zstd" if self.media_type.endswith("zstd") else None


@dataclass(frozen=True)
class Manifest:
    """One image manifest, as the registry serves it, resolved from an index when there was one.

    ``digest``: of the image manifest itself; ``index_digest``: of the index it was picked from
    (what the tag points at), else None; ``compressed_bytes``: the layers' bytes as stored and sent.
    """

    reference: Reference
    digest: str
    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]
    platform: str | None = None
    index_digest: str | None = None
    raw: bytes = field(default=b"", repr=False)

    @property
    def compressed_bytes(self) -> int:
        return sum(layer.size_bytes for layer in self.layers)


def parse_platform(text: str | None) -> tuple[str, str, str | None]:
    """``os/arch[/variant]`` → (os, arch, variant); ``BadReference`` for anything else."""
    parts = (text or DEFAULT_PLATFORM).strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise BadReference(f"{text!r} is not a platform",
                           hint="write OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm/v7")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``WWW-Authenticate`` → (scheme lower-cased, parameters): ``Bearer realm="...",service="..."``."""
    scheme, _, rest = header.strip().partition(" ")
    params = {k.lower(): v for k, v in re.findall(r'(\w+)\s*=\s*"([^"]*)"', rest)}
    params.update({k.lower(): v for k, v in re.findall(r'(\w+)\s*=\s*([^",\s]+)', rest) if k.lower() not in params})
    return scheme.lower(), params


def docker_credentials(registry: str, config_path: str | os.PathLike[str] | None = None) -> tuple[str, str] | None:
    """(username, password) for ``registry`` from the Docker CLI's config (``$DOCKER_CONFIG`` or
    ``~/.docker/config.json``): ``auths`` entries, else its ``credHelpers`` / ``credsStore`` helper."""
    folder = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    path = Path(config_path) if config_path else folder / "config.json"
    try:
        cfg = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    keys = [registry, f"https://{registry}", f"http://{registry}"]
    if registry in (DOCKER_HUB, _HUB_API):
        keys = ["https://index.docker.io/v1/", "index.docker.io", DOCKER_HUB, _HUB_API, *keys]
    auths = cfg.get("auths") or {}
    for key in keys:
        entry = auths.get(key) or auths.get(key.rstrip("/"))
        if not entry:
            continue
        if entry.get("auth"):
            user, _, password = base64.b64decode(entry["auth"]).decode(errors="replace").partition(":")
            return user, password
        if entry.get("username"):
            return str(entry["username"]), str(entry.get("password") or "")
        if entry.get("identitytoken"):
            return "<token>", str(entry["identitytoken"])
    helper = (cfg.get("credHelpers") or {}).get(registry) or cfg.get("credsStore")
    if helper:
        from . import proc
        from .errors import DockoptError

        try:
            done = proc.run([f"docker-credential-{helper}", "get"], input=keys[0], check=True, timeout=30)
            secret = json.loads(done.stdout)
            return str(secret.get("Username") or ""), str(secret.get("Secret") or "")
        except (DockoptError, ValueError):
            return None
    return None


def retry_delay_s(retry_after: str | None, retries: int, backoff_s: float = 0.5, max_delay_s: float = 30) -> float:
    """Seconds to wait before retry number ``retries + 1``: what ``Retry-After`` asks (delta seconds
    or an HTTP date), else ``backoff_s * 2**retries``; never negative, never above ``max_delay_s``."""
    delay = backoff_s * (2 ** retries)
    if retry_after:
        value = retry_after.strip()
        if value.isdigit():
            delay = float(value)
        else:
            from email.utils import parsedate_to_datetime

            try:
                when = parsedate_to_datetime(value)
                delay = when.timestamp() - time.time()
            except (TypeError, ValueError, IndexError):
                pass
    return max(0.0, min(delay, max_delay_s))


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:host.index("]")]
    return name == "localhost" or name.startswith("127.") or name == "::1"


class Registry:
    """A client for one registry host (``HOST[:PORT]``; ``docker.io`` means Docker Hub).

    Thread-safe for reads (one ``requests.Session``, tokens cached per scope under a lock), so
    ``dockopt analyze --jobs`` and parallel layer downloads can share one.
    """

    def __init__(self, host: str | None = None, *, credentials: tuple[str, str] | None = None,
                 timeout_s: float = 30, secure: bool | None = None, max_retries: int = 4,
                 backoff_s: float = 0.5, max_delay_s: float = 30) -> None:
        self.host = host or default_registry()
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_delay_s = max_delay_s
        api_host = _HUB_API if self.host == DOCKER_HUB else self.host
        insecure = settings.insecure_registries()
        if secure is None:
            secure = not (_is_loopback(self.host) or self.host in insecure)
        self.base = f"{'https' if secure else 'http'}://{api_host}"
        self.timeout_s = timeout_s
        self._credentials = credentials
        self._credentials_read = credentials is not None
        self._tokens: dict[str, str] = {}
        self._basic = False
        self._lock = threading.Lock()
        import requests  # here: parsing references and `dockopt analyze ARCHIVE` need no HTTP stack

        self.session = requests.Session()
        self.session.headers["User-Agent"] = "dockopt"

    # --- transport and auth ------------------------------------------------------------------

    def _creds(self) -> tuple[str, str] | None:
        if not self._credentials_read:
            self._credentials = docker_credentials(self.host)
            self._credentials_read = True
        return self._credentials

    def _auth_headers(self, scope: str) -> dict[str, str]:
        with self._lock:
            token = self._tokens.get(scope)
        if token:
            return {"Authorization": f"Bearer {token}"}
        creds = self._creds() if self._basic else None
        if creds:
            raw = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            return {"Authorization": f"Basic {raw}"}
        return {}

    def _fetch_token(self, params: Mapping[str, str], scope: str) -> None:
        import requests

        realm = params.get("realm")
        if not realm:
            raise RegistryAuthError(f"{self.host} asked for a bearer token without naming where to get one")
        query = {"service": params["service"]} if params.get("service") else {}
        query["scope"] = params.get("scope") or scope
        creds = self._creds()
        try:
            r = self.session.get(realm, params=query, auth=creds, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise RegistryUnreachable(f"{self.host}: its token service {realm} does not answer ({exc})",
                                      host_unreachable=True, hint=START_HINT) from exc
        if r.status_code in (401, 403):
            raise RegistryAuthError(f"{self.host}: the token service refused "
                                    f"{'the credentials for ' + creds[0] if creds else 'anonymous access'} "
                                    f"to {query['scope']}",
                                    hint=f"`docker login {self.host}` stores credentials dockopt reads")
        if not r.ok:
            raise RegistryError(f"{self.host}: the token service answered HTTP {r.status_code}: {r.text[:200]}")
        try:
            body = r.json()
        except ValueError as exc:
            raise RegistryAuthError(f"{self.host}: the token service did not answer JSON") from exc
        token = body.get("token") or body.get("access_token")
        if not token:
            raise RegistryAuthError(f"{self.host}: the token service answered without a token")
        with self._lock:
            self._tokens[scope] = str(token)

    def request(self, method: str, path: str, *, scope: str, headers: Mapping[str, str] | None = None,
                stream: bool = False, ok: Sequence[int] = (200,), **kwargs: Any) -> requests.Response:
        """One API call (``path`` under ``/v2/``), authenticating on a 401 challenge and retrying once.
        429 and 5xx answers are retried up to ``max_retries`` times, waiting as ``Retry-After`` says
        (seconds or an HTTP date) or else with exponential backoff, each wait at most ``max_delay_s``.
        Statuses outside ``ok`` are returned to the caller only for 404; others raise."""
        import requests

        url = path if path.startswith("http") else f"{self.base}/v2/{path.lstrip('/')}"
        retries = 0
        attempt = 0
        while attempt < 2:
            try:
                r = self.session.request(method, url, headers={**(headers or {}), **self._auth_headers(scope)},
                                         stream=stream, timeout=self.timeout_s, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise RegistryUnreachable(f"{self.host}: TLS failed ({exc})", host_unreachable=True,
                                          hint=f"for a plain-http registry, add it to {INSECURE_ENV}") from exc
            except requests.RequestException as exc:
                raise RegistryUnreachable(f"no registry answers at {self.base} ({type(exc).__name__})",
                                          host_unreachable=True, hint=START_HINT) from exc
            if (r.status_code == 429 or r.status_code >= 500) and retries < self.max_retries:
                # overloaded or briefly failing (rate limits, a restarting backend): wait and ask again
                delay = retry_delay_s(r.headers.get("Retry-After"), retries, self.backoff_s, self.max_delay_s)
                r.close()
                retries += 1
                time.sleep(delay)
                continue
            if r.status_code == 401 and attempt == 0:
                r.close()
                attempt += 1
                kind, params = parse_challenge(r.headers.get("WWW-Authenticate", ""))
                if kind == "bearer":
                    self._fetch_token(params, scope)
                    continue
                if kind == "basic" and self._creds():
                    self._basic = True
                    continue
            if r.status_code in ok or r.status_code == 404:
                return r
            text = r.text[:300] if not stream else ""
            r.close()
            if r.status_code in (401, 403):
                raise RegistryAuthError(f"{self.host} refused {method} {path} (HTTP {r.status_code}) {text}".strip(),
                                        hint=f"`docker login {self.host}` stores credentials dockopt reads")
            more = (f" (after {retries} retries)" if retries else "")
            raise RegistryError(f"{self.host}: {method} {path} answered HTTP {r.status_code}{more} {text}".strip(),
                                hint=("the registry is overloaded or failing; try again later"
                                      if r.status_code == 429 or r.status_code >= 500 else None))
        raise AssertionError("unreachable")  # pragma: no cover

    # --- reading -------------------------------------------------------------------------------

    def ping(self) -> str:
        """Check that a v2 registry answers (authentication included); returns its API version header."""
        r = self.request("GET", "", scope="")
        if r.status_code == 404:
            raise RegistryError(f"{self.base}/v2/ is not a registry API (HTTP 404)")
        return r.headers.get("Docker-Distribution-API-Version", "registry/2.0")

    def manifest_raw(self, repository: str, reference: str, accept: Sequence[str] = MANIFEST_TYPES
                     ) -> tuple[bytes, str, str]:
        """(bytes, media type, digest) of the manifest at ``reference`` (tag or digest)."""
        r = self.request("GET", f"{repository}/manifests/{reference}", scope=f"repository:{repository}:pull",
                         headers={"Accept": ", ".join(accept)})
        if r.status_code == 404:
            known = self._known_tags(repository)
            raise ManifestNotFound(
                f"{self.host}/{repository}: no manifest for {reference!r}",
                hint=(f"tags there: {', '.join(known[:12])}{' ...' if len(known) > 12 else ''}" if known
                      else "the repository has no tags there; push the image first (`docker push ...`)"))
        body = r.content
        media_type = (r.headers.get("Content-Type") or "").split(";")[0].strip()
        try:
            doc = json.loads(body)
        except ValueError as exc:
            raise RegistryError(f"{self.host}/{repository}:{reference}: the manifest is not JSON") from exc
        media_type = doc.get("mediaType") or media_type
        if media_type in _SCHEMA1 or doc.get("schemaVersion") == 1:
            raise RegistryError(f"{self.host}/{repository}:{reference} is a schema 1 manifest (deprecated)",
                                hint="push it again with a current engine; schema 1 has no layer sizes or config")
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if reference.startswith("sha256:") and reference != digest:
            raise RegistryError(f"{self.host}/{repository}@{reference}: the manifest served has digest {digest}")
        return body, media_type, digest

    def _known_tags(self, repository: str) -> list[str]:
        try:
            return self.tags(repository)
        except (RegistryError, ManifestNotFound):
            return []

    def tags(self, repository: str) -> list[str]:
        r = self.request("GET", f"{repository}/tags/list", scope=f"repository:{repository}:pull")
        if r.status_code == 404:
            raise ManifestNotFound(f"{self.host}/{repository}: no such repository",
                                   hint="push an image there first, or check the repository name")
        return sorted(r.json().get("tags") or [])

    def manifest(self, ref: Reference | str, platform: str | None = None) -> Manifest:
        """The image manifest ``ref`` names; an index or manifest list is resolved to ``platform``
        (``os/arch[/variant]``, default linux/amd64); attestation manifests are never picked."""
        ref = Reference.parse(ref) if isinstance(ref, str) else ref
        want = parse_platform(platform)
        body, media_type, digest = self.manifest_raw(ref.repository, ref.reference)
        index_digest = None
        chosen_platform = None
        for _ in range(4):
            doc = json.loads(body)
            if media_type not in _INDEX_TYPES and "manifests" not in doc:
                break
            entries = [Descriptor.from_json(m) for m in doc.get("manifests") or []]
            index_digest = index_digest or digest
            pick = _pick_platform(entries, want)
            if pick is None:
                offered = sorted({e.platform or "?" for e in entries if not _is_attestation(e)})
                raise ManifestNotFound(f"{ref}: no manifest for platform {'/'.join(p for p in want if p)}",
                                       hint=f"platforms there: {', '.join(offered) or 'none'}; "
                                            "pick one with --platform")
            chosen_platform = pick.platform
            body, media_type, digest = self.manifest_raw(ref.repository, pick.digest)
        else:
            raise RegistryError(f"{ref}: indexes nest too deeply")
        doc = json.loads(body)
        if "config" not in doc:
            raise RegistryError(f"{ref}: {media_type or 'the manifest'} is not an image manifest")
        return Manifest(reference=ref, digest=digest, media_type=media_type,
                        config=Descriptor.from_json(doc["config"]),
                        layers=tuple(Descriptor.from_json(d) for d in doc.get("layers") or []),
                        platform=chosen_platform, index_digest=index_digest, raw=body)

    def blob(self, repository: str, digest: str, *, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Stream a blob; when it ends, its bytes are checked against ``digest`` (``RegistryError``
        if they differ). Redirects (object storage) are followed without the registry's credentials."""
        r = self.request("GET", f"{repository}/blobs/{digest}", scope=f"repository:{repository}:pull", stream=True)
        if r.status_code == 404:
            r.close()
            raise ManifestNotFound(f"{self.host}/{repository}: blob {digest} is missing",
                                   hint="the registry lost a layer the manifest names; push the image again")
        import requests

        algo, _, expected = digest.partition(":")
        try:
            h = hashlib.new(algo)
        except ValueError:
            h = None
        try:
            for chunk in r.iter_content(chunk_size):
                if h is not None:
                    h.update(chunk)
                yield chunk
        except requests.RequestException as exc:
            raise RegistryUnreachable(f"{self.host}: the download of {digest} broke off ({exc})",
                                      host_unreachable=True) from exc
        finally:
            r.close()
        if h is not None and h.hexdigest() != expected.lower():
            raise RegistryError(f"{self.host}/{repository}: blob {digest} arrived with digest {algo}:{h.hexdigest()}",
                                hint="the registry or a proxy changed the bytes; try again")

    def blob_bytes(self, repository: str, digest: str, limit: int = 64 << 20) -> bytes:
        out = bytearray()
        for chunk in self.blob(repository, digest):
            out += chunk
            if len(out) > limit:
                raise RegistryError(f"{self.host}/{repository}: {digest} is larger than {limit} bytes")
        return bytes(out)

    def config(self, manifest: Manifest) -> dict[str, Any]:
        """The image config JSON a manifest names (digest checked)."""
        raw = self.blob_bytes(manifest.reference.repository, manifest.config.digest)
        try:
            return dict(json.loads(raw))
        except ValueError as exc:
            raise RegistryError(f"{manifest.reference}: the image config is not JSON") from exc

    def blob_exists(self, repository: str, digest: str) -> bool:
        r = self.request("HEAD", f"{repository}/blobs/{digest}", scope=f"repository:{repository}:pull")
        r.close()
        return r.status_code == 200

    # --- writing (OCI content the engine cannot push; tests) ------------------------------------

    def upload_blob(self, repository: str, data: bytes) -> str:
        """Upload ``data`` as one blob (monolithic upload); returns its digest. No-op if it exists."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        scope = f"repository:{repository}:pull,push"
        if self.blob_exists(repository, digest):
            return digest
        r = self.request("POST", f"{repository}/blobs/uploads/", scope=scope, ok=(202,))
        location = r.headers.get("Location") or ""
        if r.status_code == 404 or not location:
            raise RegistryError(f"{self.host}/{repository}: the registry offered no upload location")
        if location.startswith("/"):
            location = self.base + location
        sep = "&" if "?" in location else "?"
        self.request("PUT", f"{location}{sep}digest={digest}", scope=scope, ok=(201,), data=data,
                     headers={"Content-Type": "application/octet-stream"})
        return digest

    def put_manifest(self, repository: str, reference: str, data: bytes, media_type: str) -> str:
        """Store a manifest or index under a tag (or its digest); returns its digest."""
        self.request("PUT", f"{repository}/manifests/{reference}", scope=f"repository:{repository}:pull,push",
                     ok=(201,), data=data, headers={"Content-Type": media_type})
        return "sha256:" + hashlib.sha256(data).hexdigest()


def _is_attestation(d: Descriptor) -> bool:
    return (d.annotations.get("vnd.docker.reference.type") == "attestation-manifest"
            or (d.platform or "").startswith("unknown/"))


def _pick_platform(entries: Sequence[Descriptor], want: tuple[str, str, str | None]) -> Descriptor | None:
    os_, arch, variant = want
    best = None
    for e in entries:
        if _is_attestation(e):
            continue
        parts = (e.platform or "").split("/")
        if len(parts) < 2 or parts[0] != os_ or parts[1] != arch:
            continue
        e_variant = parts[2] if len(parts) > 2 else None
        if variant is None or e_variant == variant:
            if e_variant is None or variant is not None:
                return e
            best = best or e  # e.g. linux/arm64/v8 when linux/arm64 was asked
    return best


def client_for(ref: Reference | str, cache: dict[str, Registry] | None = None) -> Registry:
    """A ``Registry`` for the host ``ref`` names (shared through ``cache`` when given)."""
    host = (Reference.parse(ref) if isinstance(ref, str) else ref).registry
    if cache is None:
        return Registry(host)
    if host not in cache:
        cache[host] = Registry(host)
    return cache[host]
