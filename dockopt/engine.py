"""The one place dockopt talks to the Docker Engine API, and the one place that maps its
failures onto ``dockopt.errors``.

Connection follows the docker SDK: ``DOCKER_HOST`` / ``DOCKER_TLS_VERIFY`` / ``DOCKER_CERT_PATH``
first, then the current Docker CLI context, then the default socket. The API version is
negotiated, so Debian's engine 20.10 (API 1.41) and a current engine both work.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import docker
    import docker.errors
    import requests.exceptions
else:
    from ._lazy import LazyModule

    # The SDK (and requests under it) costs about half a second to import: commands that never reach
    # the engine (`dockopt lint FILE`, `dockopt analyze ARCHIVE`) do not pay for it.
    docker = LazyModule("docker")
    requests = LazyModule("requests")

from . import settings
from .errors import (
    BuildFailed,
    DockerfileError,
    DockoptError,
    EngineError,
    EngineUnavailable,
    ImageNotFound,
    NeedsRegistry,
    PruneRefused,
    RegistryUnreachable,
)
from .naming import LABEL_MANAGED

START_HINT = (
    "start a Docker Engine: `make engine` (Debian/Ubuntu, as root: installs docker.io and starts dockerd), "
    "Docker Desktop elsewhere, or set DOCKER_HOST to a reachable engine"
)


@contextlib.contextmanager
def engine_errors(what: str) -> Iterator[None]:
    """Translate docker SDK / transport failures while doing ``what`` into DockoptErrors."""
    try:
        yield
    except DockoptError:
        raise
    except docker.errors.ImageNotFound as exc:
        raise ImageNotFound(f"{what}: image not found ({_explain(exc)})",
                            hint="build or pull it first; `docker images` lists what the engine has") from exc
    except docker.errors.NotFound as exc:
        raise EngineError(f"{what}: not found ({_explain(exc)})") from exc
    except docker.errors.APIError as exc:
        raise EngineError(f"{what}: the engine refused: {_explain(exc)}") from exc
    except (requests.exceptions.ConnectionError, docker.errors.DockerException) as exc:
        raise EngineUnavailable(f"{what}: no Docker Engine answers ({exc})", hint=START_HINT) from exc


def _explain(exc: Exception) -> str:
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc)


@functools.lru_cache(maxsize=1)
def _client() -> docker.DockerClient:
    with engine_errors("connecting to the Docker Engine"):
        client = docker.from_env(version="auto", timeout=600)
        client.ping()
        return client


def client() -> docker.DockerClient:
    """The shared high-level client (raises ``EngineUnavailable`` with a how-to)."""
    return _client()


def api() -> docker.APIClient:
    """The shared low-level client."""
    return _client().api


@dataclass(frozen=True)
class EngineInfo:
    """What engine answers: versions and whether BuildKit can be used."""

    server_version: str
    api_version: str
    os: str
    arch: str
    storage_driver: str
    root_dir: str = ""  # where the engine keeps images and build cache (on the engine's machine)


def info() -> EngineInfo:
    with engine_errors("asking the engine for its version"):
        v = api().version()
        i = api().info()
    return EngineInfo(server_version=v.get("Version", "?"), api_version=v.get("ApiVersion", "?"),
                      os=v.get("Os", "?"), arch=v.get("Arch", "?"), storage_driver=i.get("Driver", "?"),
                      root_dir=i.get("DockerRootDir", ""))


# --- images -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageInfo:
    """What the engine knows about one local image (``docker image inspect``), typed.

    ``labels`` are the image config's labels (read-only; inherited from the image's bases),
    ``healthcheck`` the HEALTHCHECK test (``()`` when none), ``exposed_ports`` as ``"8080/tcp"``,
    ``layers`` the layer diff ids oldest first, ``digests`` the registry digests (empty for an
    image that was built or loaded here, never pulled), ``env`` the config's ``NAME=value`` variables.
    """

    id: str
    size_bytes: int
    tags: tuple[str, ...]
    digests: tuple[str, ...]
    labels: Mapping[str, str] = field(hash=False)
    user: str
    healthcheck: tuple[str, ...]
    exposed_ports: tuple[str, ...]
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    layers: tuple[str, ...]
    created: str
    env: tuple[str, ...] = ()  # the config's Env, "NAME=value" each

    @property
    def has_healthcheck(self) -> bool:
        """Whether the config defines a HEALTHCHECK (and does not disable it with ``NONE``)."""
        from .checks.facts import healthcheck_declared

        return healthcheck_declared(self.healthcheck)

    @property
    def runs_as_root(self) -> bool:
        from .checks.facts import runs_as_root  # the one place it is decided

        return runs_as_root(self.user)

    @classmethod
    def from_inspect(cls, attrs: Mapping[str, Any]) -> ImageInfo:
        """From the engine's inspect JSON (any field may be missing or null)."""
        config = attrs.get("Config") or {}
        return cls(
            id=str(attrs.get("Id") or ""),
            size_bytes=int(attrs.get("Size") or 0),
            tags=tuple(t for t in attrs.get("RepoTags") or () if t != "<none>:<none>"),
            digests=tuple(attrs.get("RepoDigests") or ()),
            labels=MappingProxyType(dict(config.get("Labels") or {})),
            user=str(config.get("User") or ""),
            healthcheck=tuple((config.get("Healthcheck") or {}).get("Test") or ()),
            exposed_ports=tuple(sorted(config.get("ExposedPorts") or {})),
            entrypoint=tuple(config.get("Entrypoint") or ()),
            cmd=tuple(config.get("Cmd") or ()),
            layers=tuple((attrs.get("RootFS") or {}).get("Layers") or ()),
            created=str(attrs.get("Created") or ""),
            env=tuple(str(e) for e in config.get("Env") or ()),
        )


def inspect_image(ref: str) -> ImageInfo:
    """The image at ``ref`` (tag or id); ``ImageNotFound`` when the engine has none."""
    with engine_errors(f"inspecting image {ref!r}"):
        return ImageInfo.from_inspect(api().inspect_image(ref))


def find_image(ref: str) -> ImageInfo | None:
    """The image at ``ref``, or None when the engine has none."""
    try:
        return inspect_image(ref)
    except ImageNotFound:
        return None


def image_exists(ref: str) -> bool:
    return find_image(ref) is not None


def image_history(ref: str) -> list[dict[str, Any]]:
    """Newest-first history records, as the engine returns them."""
    with engine_errors(f"reading the history of {ref!r}"):
        return api().history(ref)


def save_image(ref: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """Stream ``docker save`` of one image (an archive in the engine's save format)."""
    inspect_image(ref)  # fail early and clearly on a missing image
    with engine_errors(f"saving image {ref!r}"):
        yield from api().get_image(ref, chunk_size=chunk_size)


def list_images(*, label: str | Sequence[str] | None = None, name: str | None = None) -> list[dict[str, Any]]:
    filters: dict[str, Any] = {}
    if label:
        filters["label"] = [label] if isinstance(label, str) else list(label)
    with engine_errors("listing images"):
        return api().images(name=name, filters=filters or None)


def tag_image(image: str, ref: str) -> None:
    repo, tag = split_reference(ref)
    with engine_errors(f"tagging {image} as {ref}"):
        api().tag(image, repo, tag, force=True)


def remove_image(ref: str, *, force: bool = False) -> None:
    with engine_errors(f"removing image {ref!r}"), contextlib.suppress(docker.errors.ImageNotFound):
        api().remove_image(ref, force=force, noprune=False)


# How an engine says that a registry host could not be reached at all (as opposed to a registry
# that answered "denied" or "manifest unknown"), across 20.10 and current engines.
_UNREACHABLE = re.compile(r"no such host|dial tcp|i/o timeout|connection refused|TLS handshake|"
                          r"network is unreachable|context deadline exceeded", re.I)
_PULL_HINT = "check network access to the registry, or use a local image"


def registry_unreachable(text: str) -> bool:
    """Whether an engine error text says a registry host did not answer (the one such check)."""
    return bool(_UNREACHABLE.search(text))


def pull(ref: str, *, timeout_s: float = 120) -> str:
    """Pull ``ref``; returns the image id. ``RegistryUnreachable`` if the pull fails; its
    ``host_unreachable`` says whether the registry did not answer at all."""
    repo, tag = split_reference(ref)
    started = time.monotonic()
    with engine_errors(f"pulling {ref}"):
        try:
            for event in api().pull(repo, tag=tag, stream=True, decode=True):
                if "error" in event:
                    text = str(event["error"])
                    raise RegistryUnreachable(f"cannot pull {ref}: {text}", hint=_PULL_HINT,
                                              host_unreachable=registry_unreachable(text))
                if time.monotonic() - started > timeout_s:
                    raise RegistryUnreachable(f"pulling {ref} took longer than {timeout_s:.0f}s", hint=_PULL_HINT,
                                              host_unreachable=True)
        except docker.errors.APIError as exc:
            text = _explain(exc)
            raise RegistryUnreachable(f"cannot pull {ref}: {text}", hint=_PULL_HINT,
                                      host_unreachable=registry_unreachable(text)) from exc
    return inspect_image(ref).id


@dataclass(frozen=True)
class Transferred:
    """A finished push or pull: the reference, the seconds it took, the manifest digest the registry
    reported, and what happened to each layer, as the engine reported it (short layer id → status:
    ``Pushed``, ``Layer already exists``, ``Mounted from <repo>``; ``Pull complete``, ``Already exists``)."""

    ref: str
    seconds: float
    digest: str | None
    layers: Mapping[str, str] = field(hash=False)

    def count(self, *statuses: str) -> int:
        """How many layers ended with a status starting with one of ``statuses``."""
        return sum(1 for v in self.layers.values() if v.startswith(statuses))


_LAYER_DONE = ("Pushed", "Layer already exists", "Mounted from", "Pull complete", "Already exists")


def _transfer_events(events: Iterable[dict[str, Any]], ref: str, what: str) -> tuple[dict[str, str], str | None]:
    layers: dict[str, str] = {}
    digest = None
    for event in events:
        if "error" in event:
            text = str(event["error"])
            raise RegistryUnreachable(f"cannot {what} {ref}: {text}", host_unreachable=registry_unreachable(text),
                                      hint="start the registry (`make registry`) or check DOCKOPT_REGISTRY")
        status = str(event.get("status") or "")
        if event.get("id") and status.startswith(_LAYER_DONE):
            layers[str(event["id"])] = status
        aux = event.get("aux") or {}
        if aux.get("Digest"):
            digest = str(aux["Digest"])
        elif status.startswith("Digest: "):
            digest = status.split(" ", 1)[1].strip()
    return layers, digest


def push(ref: str) -> Transferred:
    """``docker push ref`` (to the registry its name says); returns what happened to each layer.
    Engines treat registries on 127.0.0.0/8 as insecure by default, so a loopback registry needs no
    daemon configuration. ``RegistryUnreachable`` when the push fails."""
    return _transfer(ref, "push", "start the registry (`make registry`) or check DOCKOPT_REGISTRY")


def pull_timed(ref: str) -> Transferred:
    """``docker pull ref``, timed, with what happened to each layer (``pull`` returns the id only)."""
    return _transfer(ref, "pull", _PULL_HINT)


def _transfer(ref: str, direction: str, hint: str) -> Transferred:
    repo, tag = split_reference(ref)
    call = api().push if direction == "push" else api().pull
    started = time.monotonic()
    with engine_errors(f"{direction}ing {ref}"):
        try:
            layers, digest = _transfer_events(call(repo, tag=tag, stream=True, decode=True), ref, direction)
        except docker.errors.APIError as exc:
            text = _explain(exc)
            raise RegistryUnreachable(f"cannot {direction} {ref}: {text}", hint=hint,
                                      host_unreachable=registry_unreachable(text)) from exc
    return Transferred(ref=ref, seconds=time.monotonic() - started, digest=digest, layers=MappingProxyType(layers))


def import_rootfs(tar: IO[bytes] | Iterable[bytes] | bytes, ref: str, *, changes: Sequence[str] = ()) -> str:
    """``docker import`` a root filesystem tarball (file, chunks or bytes) as ``ref``; returns the id."""
    repo, tag = split_reference(ref)
    with engine_errors(f"importing a root filesystem as {ref}"):
        if isinstance(tar, bytes):
            out = api().import_image_from_data(tar, repository=repo, tag=tag, changes=list(changes))
        else:
            # A file object makes requests send both Content-Length and chunked encoding, which the
            # engine rejects ("header line too long"); a generator is sent chunked only.
            chunks = iter(lambda: tar.read(1 << 20), b"") if hasattr(tar, "read") else iter(tar)
            out = api().import_image(src=chunks, repository=repo, tag=tag, changes=list(changes), stream_src=True)
    for line in (out if isinstance(out, str) else "").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            msg = json.loads(line)
            if "error" in msg:
                raise EngineError(f"importing {ref}: {msg['error']}")
    return inspect_image(ref).id


def load_image(archive: IO[bytes] | bytes | Iterable[bytes]) -> list[str]:
    """``docker load`` an archive (file, bytes, or chunks streamed as they are made); returns the
    names/ids the engine reports."""
    with engine_errors("loading an image archive"):
        loaded = []
        for msg in api().load_image(archive):
            if "error" in msg:
                raise EngineError(f"loading an image archive: {msg['error']}")
            stream = msg.get("stream", "")
            if stream.startswith("Loaded image"):
                loaded.append(stream.split(":", 1)[1].strip())
        return loaded


def split_reference(ref: str) -> tuple[str, str | None]:
    """``repo[:tag]`` → (repo, tag); a digest or a port in the registry host is kept intact."""
    if "@" in ref:
        return ref, None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = ref.rsplit(":", 1)
        return repo, tag
    return ref, "latest"


# --- builds -------------------------------------------------------------------------------


def build_stream(context_tar: IO[bytes], params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """POST /build with BuildKit (``version=2``) and yield the decoded JSON messages.

    The SDK's ``build()`` has no way to ask for BuildKit, so this uses its transport directly;
    ``/build?version=2`` is served by Engine 20.10 and by current engines alike.
    """
    # The SDK's transport helpers are private and untyped; they are what its own build() uses.
    a: Any = api()
    query = {k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in params.items() if v is not None}
    query["version"] = "2"
    with engine_errors("building an image"):
        response = a._post(a._url("/build"), data=context_tar, params=query,
                           headers={"Content-Type": "application/x-tar"}, stream=True, timeout=None)
        a._raise_for_status(response)
        yield from a._stream_helper(response, decode=True)


@dataclass(frozen=True)
class BuildCacheRecord:
    """One record of BuildKit's build cache (``docker system df -v``): ``size_bytes``, whether a
    build holds it now (``in_use``) or several records share its data (``shared``)."""

    id: str
    kind: str
    description: str
    size_bytes: int
    in_use: bool
    shared: bool
    created: str
    last_used: str | None
    parent: str | None = None  # the record this one's snapshot stacks on


def build_cache_records() -> list[BuildCacheRecord]:
    """Every record of the engine's build cache (API 1.41 ``GET /system/df``)."""
    with engine_errors("listing the build cache"):
        rows = api().df().get("BuildCache") or []
    return [BuildCacheRecord(id=r["ID"], kind=r.get("Type") or "", description=r.get("Description") or "",
                             size_bytes=int(r.get("Size") or 0), in_use=bool(r.get("InUse")),
                             shared=bool(r.get("Shared")), created=r.get("CreatedAt") or "",
                             last_used=r.get("LastUsedAt"), parent=r.get("Parent") or (r.get("Parents") or [None])[0])
            for r in rows]


_PRUNE_HINT = ("pruning takes every cached step from every build on this engine, other people's included; "
               "ask for it explicitly: ci_cold_runner(prune=True), transfer(prune_before_pull=True), or "
               "70_shipping's cold_pull = True")


def _announce(text: str) -> None:
    sys.stderr.write(f"dockopt: {text}\n")


def prune_build_cache(*, confirm: bool = False, ids: Iterable[str] | None = None) -> int:
    """Drop build cache records; returns bytes reclaimed. Says on stderr what it removes first.

    ``ids``: only these records (the ones a measurement created itself; several passes, since a
    record is released only once the records built on it are gone). Without ``ids`` the whole
    cache goes, which every build on the engine pays for: that needs ``confirm=True``. Refused
    (``PruneRefused``) in classroom mode (``DOCKOPT_CLASSROOM=1``), where the engine is shared by a class.
    """
    wanted = None if ids is None else set(ids)
    if settings.classroom():
        raise PruneRefused("refusing to prune the build cache: DOCKOPT_CLASSROOM=1 says this engine is shared "
                           "by a class, whose builds would all go cold",
                           hint="unset DOCKOPT_CLASSROOM on an engine of your own, or measure without pruning")
    if wanted is None and not confirm:
        raise PruneRefused("refusing to prune the engine's whole build cache without being asked", hint=_PRUNE_HINT)
    if wanted is not None and not wanted:
        return 0
    records = build_cache_records()
    doomed = [r for r in records if wanted is None or r.id in wanted]
    size = sum(r.size_bytes for r in doomed)
    scope = ("the engine's WHOLE build cache: every build on this engine goes cold" if wanted is None
             else "only records this measurement created")
    _announce(f"pruning {len(doomed)} build cache record(s), {size / 1e6:.1f} MB: {scope}")
    reclaimed = 0
    with engine_errors("pruning the build cache"):
        if wanted is None:
            return int(api().prune_builds().get("SpaceReclaimed") or 0)
        a: Any = api()  # the SDK's stubs know only the dangling/until filters; the engine takes `id` too
        left = set(wanted)
        for _ in range(8):  # children first: each pass frees the records the last one unblocked
            gone: set[str] = set()
            for record_id in sorted(left):
                # the engine turns an `id` filter into BuildKit's regular-expression match (`id~=`)
                out = a.prune_builds(filters={"id": f"^{re.escape(record_id)}$"}, all=True)
                reclaimed += int(out.get("SpaceReclaimed") or 0)
                gone |= set(out.get("CachesDeleted") or ())
            left -= gone
            if not left or not gone:
                break
    return reclaimed


# --- containers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningContainer:
    """A container dockopt started; ``ports`` maps container port → host port on 127.0.0.1."""

    id: str
    image: str
    ports: Mapping[int, int]

    def url(self, container_port: int, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.ports[container_port]}{path}"


@contextlib.contextmanager
def running(image: str, *, ports: Sequence[int] = (), env: Mapping[str, str] | None = None,
            command: Sequence[str] | None = None, user: str | None = None,
            read_only: bool = False) -> Iterator[RunningContainer]:
    """Start ``image`` with ``ports`` published on 127.0.0.1 (random host ports); always removed.
    ``read_only``: a read-only root filesystem (``docker run --read-only``)."""
    c = client()
    with engine_errors(f"starting a container from {image}"):
        # ("127.0.0.1", None): a random free host port on loopback only (the stubs expect an int port)
        published: Any = {f"{p}/tcp": ("127.0.0.1", None) for p in ports}
        # create, then start inside the try: a start the runtime refuses (an ENTRYPOINT that does not
        # exist) leaves a created container, which must be removed too
        container = c.containers.create(image, command=list(command) if command else None,
                                        environment=dict(env or {}), user=user, ports=published,
                                        read_only=read_only, labels={LABEL_MANAGED: "container"})
    try:
        with engine_errors(f"starting a container from {image}"):
            container.start()
        with engine_errors(f"inspecting container {container.short_id}"):
            container.reload()
            mapped = {}
            for p in ports:
                bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get(f"{p}/tcp") or []
                if bindings:
                    mapped[p] = int(bindings[0]["HostPort"])
        yield RunningContainer(id=container.id or "", image=image, ports=mapped)
    finally:
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError, requests.exceptions.RequestException):
            container.remove(force=True, v=True)


def container_state(container_id: str) -> dict[str, Any]:
    with engine_errors(f"inspecting container {container_id[:12]}"):
        return api().inspect_container(container_id)["State"]


def container_logs(container_id: str, tail: int = 50) -> str:
    with engine_errors(f"reading logs of {container_id[:12]}"):
        return api().logs(container_id, tail=tail).decode(errors="replace")


@dataclass(frozen=True)
class ContainerStats:
    """One ``docker stats`` sample of a running container.

    ``memory_bytes`` is what ``docker stats`` shows as MEM USAGE: the cgroup's usage minus its
    inactive page cache (``total_inactive_file`` on cgroup v1, ``inactive_file`` on v2), as the
    docker CLI computes it; ``memory_limit_bytes`` the limit (the host's memory when unlimited).
    """

    memory_bytes: int
    memory_limit_bytes: int
    pids: int | None


def container_stats(container_id: str) -> ContainerStats:
    """One stats sample of a running container (``one_shot``: no second sample for CPU, so no wait)."""
    with engine_errors(f"reading stats of {container_id[:12]}"):
        raw = api().stats(container_id, stream=False, one_shot=True)
    mem = raw.get("memory_stats") or {}
    usage = int(mem.get("usage") or 0)
    detail = mem.get("stats") or {}
    inactive = detail.get("total_inactive_file", detail.get("inactive_file", 0)) or 0
    used = usage - int(inactive) if int(inactive) < usage else usage
    pids = (raw.get("pids_stats") or {}).get("current")
    return ContainerStats(memory_bytes=used, memory_limit_bytes=int(mem.get("limit") or 0),
                          pids=None if pids is None else int(pids))


def exec_in(container_id: str, command: Sequence[str]) -> tuple[int, str]:
    with engine_errors(f"running {command[0]} in {container_id[:12]}"):
        exec_id = api().exec_create(container_id, list(command))["Id"]
        output = api().exec_start(exec_id).decode(errors="replace")
        code = api().exec_inspect(exec_id)["ExitCode"]
    return int(code), output


# --- build failures -----------------------------------------------------------------------

# BuildKit's words for a Dockerfile it cannot parse or plan, across 20.10 and current engines:
#   "dockerfile parse error line 3: unknown instruction: RUNN"
#   "dockerfile parse error on line 3: unknown instruction: RUNN"
_PARSE_ERROR = re.compile(r"dockerfile parse error (?:on )?line (\d+): (.+)", re.I)
_TARGET_ERROR = re.compile(r"target stage \"?([^\" ]+)\"? could not be found", re.I)
_METADATA_STEP = "[internal] load metadata for "  # BuildKit's step that resolves a FROM image
_LLB_ERROR = re.compile(r"failed to create LLB definition: (.+)", re.I)
# A base image that is neither local nor pullable.
_RESOLVE_ERROR = re.compile(
    r"(?:failed to resolve source metadata for|pull access denied for|failed to do request: Head \"?https?://[^/]+/v2/)"
    r"\s*([^\s:,\"]+(?::[^\s,\"/]+)?)?", re.I)


def map_build_error(message: str, *, dockerfile: str, step: str | None = None, instruction: str | None = None,
                    log_tail: Sequence[str] = ()) -> DockoptError:
    """The one mapping from a failed BuildKit build to a DockoptError."""
    text = message.strip()
    m = _PARSE_ERROR.search(text)
    if m:
        return DockerfileError(m.group(2).strip(), path=dockerfile, line=int(m.group(1)),
                               hint="fix the Dockerfile at that line (hadolint helps: `dockopt lint`)")
    m = _TARGET_ERROR.search(text)
    if m:
        return DockerfileError(f"build target {m.group(1)!r} is not a stage of this Dockerfile", path=dockerfile,
                               hint="name one of the `FROM ... AS <name>` stages, or leave target out")
    metadata_step = step.removeprefix(_METADATA_STEP).strip() if step and step.startswith(_METADATA_STEP) else None
    if _RESOLVE_ERROR.search(text) or metadata_step or (step is None and registry_unreachable(text)):
        ref = metadata_step or _referenced_image(text)
        ref = short_reference(ref) if ref else None
        return NeedsRegistry(f"needs registry access for {ref or 'a base image'}: {text.splitlines()[-1][:300]}",
                             reference=ref,
                             hint="run `dockopt bases ensure` to provide offline stand-ins, or pull the image "
                                  "where a registry is reachable")
    m = _LLB_ERROR.search(text)
    if m and step is None:
        return DockerfileError(m.group(1).strip(), path=dockerfile)
    return BuildFailed(f"build failed: {text.splitlines()[-1][:500] if text else 'no error text'}",
                       step=step, instruction=instruction, log_tail=tuple(log_tail),
                       hint="read the log lines above; rebuild with no_cache=True to rule out a stale cache")


_IMAGE_IN_TEXT = re.compile(
    r"(?:source metadata for|denied for)\s+((?:[a-z0-9.-]+(?::\d+)?/)?[a-z0-9._/-]+(?::[\w.-]+)?)", re.I)
_MANIFEST_URL = re.compile(r"https?://([^/\s\"]+)/v2/(\S+?)/manifests/([^\s\"]+)")


def _referenced_image(text: str) -> str | None:
    m = _IMAGE_IN_TEXT.search(text)
    if m:
        return m.group(1)
    m = _MANIFEST_URL.search(text)
    if m:
        host, repo, tag = m.groups()
        return f"{host}/{repo}:{tag}"
    return None


def short_reference(ref: str) -> str:
    """docker.io/library/node:24 → node:24, as people write it in a FROM line."""
    for prefix in ("docker.io/library/", "registry-1.docker.io/library/", "docker.io/", "registry-1.docker.io/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


# --- bases: small helpers for dockopt.bases (stand-in images) ----------------------------------


def run_output(image: str, command: Sequence[str], *, entrypoint: Sequence[str] | None = None,
               user: str | None = None, timeout_s: float = 120) -> tuple[int, str]:
    """Run ``command`` in a throwaway container of ``image``; returns (exit code, stdout+stderr)."""
    c = client()
    with engine_errors(f"running {list(command)[:2]} in {image}"):
        container = c.containers.create(image, command=list(command),
                                        entrypoint=list(entrypoint) if entrypoint is not None else None,
                                        user=user, network_disabled=True, labels={LABEL_MANAGED: "container"})
    try:
        with engine_errors(f"running a container of {image}"):
            container.start()
            result = container.wait(timeout=timeout_s)
            output = container.logs(stdout=True, stderr=True).decode(errors="replace")
        return int(result.get("StatusCode", -1)), output
    finally:
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError, requests.exceptions.RequestException):
            container.remove(force=True, v=True)


def copy_from_image(image: str, path: str) -> bytes:
    """The tar stream of ``path`` in ``image`` (a created, never started container)."""
    c = client()
    with engine_errors(f"reading {path} from {image}"):
        container = c.containers.create(image, command=["true"], entrypoint=[], network_disabled=True,
                                        labels={LABEL_MANAGED: "container"})
    try:
        with engine_errors(f"reading {path} from {image}"):
            stream, _ = api().get_archive(container.id or "", path)
            return b"".join(stream)
    finally:
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError, requests.exceptions.RequestException):
            container.remove(force=True, v=True)


# --- BuildKit sessions ----------------------------------------------------------------------


def open_session(headers: Mapping[str, str | Sequence[str]]) -> Any:
    """``POST /session`` upgraded to h2c: the connected socket, on which the engine is the gRPC client.

    The connection is the SDK's own (unix socket, TCP, TLS or ssh, whatever ``DOCKER_HOST`` or the
    context says); the upgrade is written and its answer read here byte by byte, so no byte the
    engine sends after ``101 Switching Protocols`` is left in an HTTP reader's buffer.
    """
    a: Any = api()
    url = a._url("/session")
    with engine_errors("opening a BuildKit session"):
        conn = a.get_adapter(url).get_connection(url)._get_conn()
        conn.connect()
        sock = conn.sock
        lines = [f"POST {url[len(a.base_url):]} HTTP/1.1", "Host: docker", "Upgrade: h2c", "Connection: Upgrade",
                 "Content-Length: 0"]
        for key, value in headers.items():
            lines += [f"{key}: {v}" for v in ([value] if isinstance(value, str) else value)]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            chunk = sock.recv(1)
            if not chunk:
                break
            head += chunk
    status = head.split(b"\r\n", 1)[0].decode(errors="replace")
    if " 101 " not in status + " ":
        sock.close()
        raise EngineError(f"the engine refused a BuildKit session: {status or 'connection closed'}",
                          hint="secret mounts need an engine with BuildKit (Docker 18.09 or later)")
    return sock
