"""A project: a build context and a Dockerfile, plus what dockopt needs to build, run and experiment on it.

``project(path)`` makes one from any folder, with or without a ``dockopt.toml``: the target, build
args, port, health path, runtime-base ARG, stack, the source file a cache experiment edits and the
dependency manifest it changes. Each value says where it came from (``Project.origins``):

- ``given``: an argument of ``project(...)``;
- ``manifest``: the folder's ``dockopt.toml`` (``dockopt init`` writes one from what was detected);
- ``detected``: read from the files and from the Dockerfile as BuildKit parses it (``EXPOSE`` of the
  target stage, a ``FROM`` that takes an ``ARG``, the files its ``COPY`` instructions deliver after
  ``.dockerignore``, ``HEALTHCHECK``, a health route in the delivered sources);
- ``default``: nothing said otherwise.

A sample (``samples.load``) is a ``Project`` too, with curated metadata. Nothing here talks to the
engine or builds: ``dockopt.experiments`` does.

A project's ``dockopt.toml`` (what ``dockopt init`` writes; every field optional)::

    name = "myapp"                  # default: the folder's name
    stack = "python"                # node | python | go | java | dotnet | rust | ruby | php (or anything)
    dockerfile = "Dockerfile"       # relative to the folder
    target = "runtime"              # the --target stage (default: the last stage)
    port = 5000                     # the container port the service listens on
    health_path = "/healthz"        # answers 200 when the service is up
    stay_up_s = 5.0                 # without port/health path: how long the process must stay up
    base_arg = "RUNTIME"            # the global ARG the final FROM takes
    [build_args]
    KEY = "value"
    [cache]
    touch = "app.py"                # the source file cache experiments edit (in a copy)
    dependency_file = "requirements.txt"   # the dependency manifest they change

A sample's manifest (schema in ``dockopt.samples``) is read too: its ``dockerfiles.optimised``,
``bases.arg`` and ``cache`` give the project-level values.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from .dockerfile import Dockerfile, Instruction, parse
from .edits import FileEdit as FileEdit  # re-exported: the edits are dockopt.edits', made in dockopt.workspace
from .edits import edit_file as edit_file
from .edits import editable
from .errors import ContextNotFound, DockerfileNotFound, ProjectError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

MANIFEST = "dockopt.toml"
ORIGINS = ("given", "manifest", "detected", "default")
#: How long a container without a health path must keep running to count as ready.
DEFAULT_STAY_UP_S = 5.0

# What a stack's dependency manifests are called, most telling first. Lockfiles are never edited:
# a cache experiment changes the manifest, which is what a person edits.
DEPENDENCY_MANIFESTS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "python": ("requirements.txt", "requirements*.txt", "pyproject.toml", "Pipfile", "setup.py", "setup.cfg"),
    "node": ("package.json",),
    "go": ("go.mod",),
    "java": ("pom.xml", "build.gradle", "build.gradle.kts"),
    "dotnet": ("*.csproj", "*.fsproj", "*.vbproj"),
    "rust": ("Cargo.toml",),
    "ruby": ("Gemfile",),
    "php": ("composer.json",),
})
_LOCKFILES = ("package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "Pipfile.lock", "go.sum",
              "uv.lock", "gradle.lockfile", "packages.lock.json", "Cargo.lock", "Gemfile.lock", "composer.lock",
              "bun.lockb", "bun.lock")
_SOURCE_SUFFIXES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "python": (".py",),
    "node": (".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".vue", ".svelte"),
    "go": (".go",),
    "java": (".java", ".kt", ".scala", ".groovy"),
    "dotnet": (".cs", ".fs", ".vb", ".razor", ".cshtml"),
    "rust": (".rs",),
    "ruby": (".rb",),
    "php": (".php",),
})
# What base images say about a stack, when the files do not.
# What base images say about a stack, when the files do not: the image's last path component, with any
# registry or namespace before it (``docker.io/library/python``, ``cgr.dev/chainguard/node``) and any tag or
# digest after it, or none (``FROM python``).
_END = r"(?:[:@]|$)"
_STACK_OF_BASE = (("python", re.compile(rf"(^|/)(python|pypy){_END}|distroless/python|astral-sh/uv:.*python")),
                  ("node", re.compile(rf"(^|/)(node|nodejs|bun){_END}|distroless/nodejs")),
                  ("go", re.compile(rf"(^|/)(golang|go){_END}")),
                  ("java", re.compile(rf"(^|/)(eclipse-temurin|openjdk|amazoncorretto|maven|gradle|ibm-semeru-runtimes"
                                      rf"|sapmachine|zulu-openjdk|liberica-openjdk-\w+|tomcat|jetty){_END}"
                                      r"|distroless/java")),
                  ("dotnet", re.compile(r"dotnet/(core/)?(sdk|aspnet|runtime)")),
                  ("rust", re.compile(rf"(^|/)rust{_END}")),
                  ("ruby", re.compile(rf"(^|/)(ruby|jruby){_END}")),
                  ("php", re.compile(rf"(^|/)(php|composer|php-fpm){_END}")))
# Health endpoints of the shapes real services use, likeliest first (the last path component decides the
# rank; a prefix such as /api, /v1, /actuator, /-/ or /_ah is allowed before it).
_HEALTH_NAMES = ("health", "healthz", "livez", "readyz", "healthcheck", "health-check", "_health", "ready",
                 "live", "alive", "ping", "heartbeat", "status", "healthy", "_status")
_HEALTH_ROUTES = tuple(f"/{n}" for n in _HEALTH_NAMES) + ("/actuator/health", "/api/health", "/_ah/health")
_ROUTE_LITERAL = re.compile(r"""["'`](/(?:(?:api|v\d+|actuator|internal|_ah|-|management|admin|system)/)?"""
                            r"""(?:health|healthz|livez|readyz|healthcheck|health-check|_health|ready|live|alive"""
                            r"""|ping|heartbeat|status|healthy|_status))/?["'`]""")
_URL_PATH = re.compile(r"https?://[^/\s'\"]+(?::\d+)?(/[^\s'\"|;&)]*)")
_MAX_SCANNED_SOURCE = 256 * 1024
_SLUG = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class Origin:
    """Where one value of a project came from (one of ``ORIGINS``), briefly how, and (``detected``) how sure
    the detection is: ``high``, ``medium`` or ``low`` (a guess that ``dockopt init`` writes commented out)."""

    source: str
    detail: str = ""
    confidence: str = "high"

    @property
    def described(self) -> str:
        """``detail``, prefixed with the confidence when a detected value is less than certain."""
        if self.source == "detected" and self.confidence != "high":
            return f"{self.confidence} confidence: {self.detail}" if self.detail else f"{self.confidence} confidence"
        return self.detail


@dataclass(frozen=True)
class Service:
    """Something that runs: which target to build, which port to publish, which path to probe (None:
    the process must stay up ``stay_up_s`` seconds), and the runtime base its image starts from."""

    name: str
    target: str | None
    port: int | None
    health_path: str | None
    base: str | None = None
    stay_up_s: float = DEFAULT_STAY_UP_S

    @property
    def readiness(self) -> str:
        """How ``smoke`` decides that a container of this service is ready, in words."""
        if self.port is not None and self.health_path is not None:
            return f"HTTP 200 on {self.health_path} (port {self.port})"
        return f"the image's HEALTHCHECK, else the process stays up for {self.stay_up_s:g} s"


@dataclass(frozen=True, kw_only=True)
class Project:
    """A build context and a Dockerfile, and everything dockopt needs to build, run and experiment on it.

    ``dockerfile`` is absolute; ``touch`` (the source file a cache experiment edits) and
    ``dependency_file`` (the dependency manifest it changes) are absolute paths inside ``context``,
    None when there is none (``origins`` says why). ``port``/``health_path`` None: the readiness
    check is "the process stays up for ``stay_up_s`` seconds" (or the image's HEALTHCHECK).
    """

    name: str
    context: Path
    dockerfile: Path
    target: str | None = None
    build_args: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    stack: str | None = None
    port: int | None = None
    health_path: str | None = None
    base_arg: str | None = None
    touch: Path | None = None
    dependency_file: Path | None = None
    stay_up_s: float = DEFAULT_STAY_UP_S
    description: str = ""
    manifest: Path | None = None
    origins: Mapping[str, Origin] = field(default_factory=lambda: MappingProxyType({}), hash=False, compare=False,
                                          repr=False)

    @property
    def slug(self) -> str:
        """The name as an image repository component (lower case, ``[a-z0-9._-]``)."""
        return slug(self.name)

    def origin(self, name: str) -> Origin:
        """Where the value of field ``name`` came from."""
        return self.origins.get(name, Origin("default"))

    def parsed(self, dockerfile: str | os.PathLike[str] | None = None) -> Dockerfile:
        """The Dockerfile (or another one of this context) as BuildKit reads it, with this project's build args."""
        return parse(self.dockerfile if dockerfile is None else self.resolve(dockerfile), build_args=self.build_args)

    def resolve(self, dockerfile: str | os.PathLike[str]) -> Path:
        """A Dockerfile named relative to the context (or absolute); ``DockerfileNotFound`` if missing."""
        path = Path(dockerfile).expanduser()
        path = path if path.is_absolute() else self.context / path
        if not path.is_file():
            raise DockerfileNotFound(f"Dockerfile {str(path)!r} does not exist",
                                     hint=f"name a Dockerfile relative to {self.context}")
        return path.resolve()

    def relative(self, path: Path) -> str:
        """``path`` relative to the context when it lies inside (POSIX), else as given."""
        try:
            return path.resolve().relative_to(self.context).as_posix()
        except ValueError:
            return str(path)

    def service(self) -> Service:
        """What runs from this project's image: its port, health path and readiness check."""
        return Service(self.name, self.target, self.port, self.health_path if self.port is not None else None,
                       stay_up_s=self.stay_up_s)

    def summary(self) -> pd.DataFrame:
        """Each row is one setting of the project: ``setting``, ``value``, ``origin`` (given / manifest /
        detected / default) and ``detail`` (how it was found, or why there is none)."""
        import pandas as pd

        rows = []
        for name in ("name", "context", "dockerfile", "target", "build_args", "stack", "port", "health_path",
                     "base_arg", "touch", "dependency_file", "stay_up_s"):
            value = getattr(self, name)
            if isinstance(value, Path):
                value = self.relative(value) if name != "context" else str(value)
            elif isinstance(value, Mapping):
                value = ", ".join(f"{k}={v}" for k, v in value.items())
            o = self.origin(name)
            rows.append({"setting": name, "value": "" if value is None else str(value), "origin": o.source,
                         "detail": o.described})
        return pd.DataFrame(rows, columns=["setting", "value", "origin", "detail"])

    def with_dockerfile(self, dockerfile: str | os.PathLike[str], *, target: str | None = None) -> Project:
        """The same project built from another Dockerfile of its context (detection runs again for it)."""
        return project(self.context, dockerfile=dockerfile, target=target, build_args=dict(self.build_args),
                       name=self.name, stack=self.stack, port=self.port, health_path=self.health_path)


def slug(name: str) -> str:
    """``name`` as an image repository path component."""
    value = _SLUG.sub("-", name.lower()).strip("-._")
    return value or "project"


# --- the build context: what a build sends, what COPY delivers ----------------------------------------


def ignore_patterns(context: Path, dockerfile: Path) -> list[str]:
    """The ``.dockerignore`` patterns a build of ``dockerfile`` honours: ``<Dockerfile>.dockerignore``
    beside the Dockerfile first (as BuildKit does), else the context's ``.dockerignore``."""
    for candidate in (dockerfile.with_name(dockerfile.name + ".dockerignore"), context / ".dockerignore"):
        if candidate.is_file():
            lines = (line.strip() for line in candidate.read_text(encoding="utf-8", errors="replace").splitlines())
            return [line for line in lines if line and not line.startswith("#")]
    return []


def context_files(context: str | os.PathLike[str], dockerfile: str | os.PathLike[str] = "Dockerfile") -> frozenset[str]:
    """The regular files a build of ``context`` sends (relative POSIX paths), ``.dockerignore``
    honoured by the docker SDK's own matcher, the one ``dockopt.build`` uses."""
    import docker.utils

    ctx = Path(context).resolve()
    df = Path(dockerfile)
    df = df if df.is_absolute() else ctx / df
    name = df.relative_to(ctx).as_posix() if df.resolve().is_relative_to(ctx) else None
    kept = docker.utils.exclude_paths(str(ctx), list(ignore_patterns(ctx, df)), dockerfile=name)
    return frozenset(PurePosixPath(*Path(p).parts).as_posix() for p in kept if (ctx / p).is_file())


def copy_sources(ins: Instruction) -> tuple[str, ...]:
    """The context paths (patterns) a ``COPY``/``ADD`` names, variables expanded as BuildKit does; URLs,
    git sources and words still holding an unset ``$`` left out."""
    words = ins.values
    sources = words[:-1] if len(words) > 1 else ()
    return tuple(s for s in sources if "$" not in s and "://" not in s and not s.startswith("git@"))


def input_sources(ins: Instruction) -> tuple[str, ...]:
    """The context paths an instruction reads: a context ``COPY``/``ADD``'s sources, or the ``source`` of each
    ``RUN --mount=type=bind`` of the context (no ``source``: the whole context, as BuildKit mounts it)."""
    if ins.keyword in ("COPY", "ADD"):
        return copy_sources(ins)
    if ins.keyword == "RUN":
        return tuple(m.get("source", ".") for m in ins.context_mounts() if "$" not in m.get("source", ""))
    return ()


def delivered(ins: Instruction, files: Iterable[str]) -> tuple[str, ...]:
    """The files of ``files`` (what the build sends) that ``ins`` reads from the context: a context
    ``COPY``/``ADD``, or a ``RUN`` with bind mounts of the context.

    A source is matched path component by component with Go's ``filepath.Match`` rules (``*`` stops at
    ``/``), as BuildKit does; a source that names a directory delivers everything under it.
    """
    patterns = []
    for src in input_sources(ins):
        parts = [p for p in PurePosixPath(src.lstrip("/")).parts if p not in (".", "")]
        patterns.append(parts)
    out = []
    for f in sorted(files):
        parts = f.split("/")
        for pp in patterns:
            if not pp or (len(parts) >= len(pp) and all(fnmatch.fnmatchcase(a, b) for a, b in zip(parts, pp))):
                out.append(f)
                break
    return tuple(out)


def _stage_chain(df: Dockerfile, target: str | None) -> list[int]:
    """The target stage, then the stages it builds ``FROM``, nearest first."""
    chain, stage = [], df.target(target)
    while True:
        chain.append(stage.index)
        if stage.base_stage is None or stage.base_stage in chain:
            return chain
        stage = df.stages[stage.base_stage]


def runtime_stage(df: Dockerfile, target: str | None = None) -> int:
    """The stage whose ``FROM`` names the image the target's filesystem starts from."""
    return _stage_chain(df, target)[-1]


# --- detection -------------------------------------------------------------------------------------------

#: How sure a detected value is: ``high`` (the Dockerfile says it), ``medium`` (the likeliest of several
#: readings), ``low`` (a guess: ``dockopt init`` writes it commented out for a person to confirm).
Confidence = Literal["high", "medium", "low"]
CONFIDENCES: tuple[Confidence, ...] = ("high", "medium", "low")


@dataclass(frozen=True)
class _Found:
    value: Any
    detail: str
    confidence: Confidence = "high"


def _where(df: Dockerfile, ins: Instruction) -> str:
    return f"{Path(df.path or 'Dockerfile').name}:{ins.line_start}"


# Ports a debugger or profiler listens on beside the service: never the one to probe when another is exposed.
_DEBUG_PORTS = MappingProxyType({9229: "Node inspector", 9230: "Node inspector", 5005: "Java debugger (JDWP)",
                                 5678: "Python debugpy", 2345: "Go delve", 40000: "Go delve"})
_DEBUG_ONLY = frozenset(_DEBUG_PORTS)


def detect_port(df: Dockerfile, target: str | None = None) -> _Found:
    """The port the service listens on: ``EXPOSE``d by the target stage or a stage it builds on, variables
    expanded as BuildKit does (``ARG PORT=80`` + ``EXPOSE $PORT``); a debugger's port (9229, 5005, 5678,
    2345) only when nothing else is exposed."""
    exposed: list[tuple[int, str]] = []
    for index in _stage_chain(df, target):
        for ins in df.stages[index].instructions:
            if ins.keyword != "EXPOSE":
                continue
            for arg in (w for value in ins.values for w in value.split()):
                written, _, proto = arg.partition("/")
                first = written.partition("-")[0]  # a range: its first port
                if first.isdigit() and proto.lower() in ("", "tcp") and 0 < int(first) < 65536:
                    exposed.append((int(first), f"EXPOSE {arg} ({_where(df, ins)})"))
    if not exposed:
        return _Found(None, "no EXPOSE in the target stage: readiness is the HEALTHCHECK, else the process staying up")
    service = [p for p in exposed if p[0] not in _DEBUG_ONLY]
    if service:
        port, detail = service[0]
        others = sorted({p for p, _ in exposed if p != port})
        if not others:
            return _Found(port, detail)
        return _Found(port, f"{detail}; also exposed: {', '.join(map(str, others))}",
                      "medium" if len(service) > 1 else "high")
    port, detail = exposed[0]
    return _Found(port, f"{detail}: the {_DEBUG_PORTS[port]}'s port, the only one exposed", "low")


def detect_healthcheck(df: Dockerfile, target: str | None = None) -> Instruction | None:
    """The ``HEALTHCHECK`` that applies to the target (the last one in its stage chain; ``NONE`` counts)."""
    for index in _stage_chain(df, target):
        checks = [i for i in df.stages[index].instructions if i.keyword == "HEALTHCHECK"]
        if checks:
            return None if checks[-1].args[:1] == ("NONE",) else checks[-1]
    return None


def detect_base_arg(df: Dockerfile, target: str | None = None) -> _Found:
    """The global ``ARG`` the final ``FROM`` takes (``FROM ${RUNTIME}`` or ``FROM runtime-${RUNTIME}``); the
    platform ARGs (``TARGETARCH``...) BuildKit sets itself are not one a base comparison can vary."""
    stage = df.target(target)
    written = stage.base_written
    for m in re.finditer(r"\$(\{)?([A-Za-z_][A-Za-z0-9_]*)(:?[-+?#%/])?", written):
        name = m.group(2)
        if name not in df.global_args:
            continue
        where = f"FROM {written} ({_where(df, stage.instructions[0])})"
        if m.group(3) and "+" in m.group(3):
            # ${DEBUG:+-debug}: a switch between variants, not a choice of base
            return _Found(name, f"{where}: the ARG switches a suffix on or off", "low")
        if ":" in written[:m.start()] and "/" not in written[written.index(":", 0, m.start()):m.start()]:
            # golang:${GO_VERSION}-alpine: a version of one base, not a choice between bases
            return _Found(name, f"{where}: the ARG is the tag of one image", "medium")
        return _Found(name, where)
    return _Found(None, "the final FROM names its base directly: a base comparison rewrites it in a temporary copy")


def _needed_inputs(df: Dockerfile, target: str | None) -> list[Instruction]:
    """Instructions that read the build context (context ``COPY``/``ADD``, ``RUN`` with context bind mounts)
    in the stages a build of ``target`` runs, target stage last."""
    needed = df.needed_stages(target)
    final = df.target(target).index
    order = [i for i in needed if i != final] + [final]
    return [ins for i in order for ins in df.context_inputs(i)]


def _needed_copies(df: Dockerfile, target: str | None) -> list[Instruction]:
    """Kept for callers of the old name: every context input of the needed stages (COPY, ADD, bind mounts)."""
    return _needed_inputs(df, target)


def _stacks(stack: str | None) -> list[str]:
    """``[stack]`` when dockopt knows its manifests, else every stack."""
    return [stack] if stack is not None and stack in DEPENDENCY_MANIFESTS else list(DEPENDENCY_MANIFESTS)


def _is_dependency_manifest(path: str, stack: str | None) -> bool:
    name = path.rsplit("/", 1)[-1]
    stacks = _stacks(stack)
    return name in _LOCKFILES or any(fnmatch.fnmatchcase(name, p) for s in stacks for p in DEPENDENCY_MANIFESTS[s])


def detect_stack(context: Path, files: frozenset[str], df: Dockerfile) -> _Found:
    """The stack, from the dependency manifests the build delivers (nearest the context root), else those at
    the context root, else the base images however they are written (``python``, ``docker.io/library/node``,
    ``cgr.dev/chainguard/python``, ``mcr.microsoft.com/dotnet/sdk``...)."""
    reads = {f for ins in _needed_inputs(df, None) for f in delivered(ins, files)}
    found: list[tuple[int, int, int, str, str]] = []
    for order, (stack, patterns) in enumerate(DEPENDENCY_MANIFESTS.items()):
        for pattern in patterns:
            hits = sorted((f.count("/"), f) for f in files
                          if fnmatch.fnmatchcase(f.rsplit("/", 1)[-1], pattern) and (f in reads or "/" not in f))
            if hits:
                depth, name = hits[0]
                found.append((0 if name in reads else 1, depth, order, stack, name))
                break
    if found:
        found.sort()
        delivered_by_build, _, _, stack, name = found[0]
        if delivered_by_build == 0:
            return _Found(stack, name + " (copied by the Dockerfile)")
        return _Found(stack, name + " (in the folder; the Dockerfile does not copy it)", "medium")
    for index in reversed(df.needed_stages()):
        base = df.stages[index].base
        for base_stack, base_pattern in _STACK_OF_BASE:
            if base_pattern.search(base.lower()):
                return _Found(base_stack, f"base image {base}", "medium")
    return _Found(None, "no dependency manifest and no language base image")


def _manifest_rank(path: str, stack: str | None) -> tuple[int, int] | None:
    """(depth, how telling the manifest's name is) for a dependency manifest of ``stack``, else None."""
    name = path.rsplit("/", 1)[-1]
    for s in _stacks(stack):
        for i, pattern in enumerate(DEPENDENCY_MANIFESTS[s]):
            if fnmatch.fnmatchcase(name, pattern):
                return path.count("/"), i
    return None


def detect_dependency_file(df: Dockerfile, files: frozenset[str], stack: str | None,
                           target: str | None = None) -> _Found:
    """The dependency manifest the build delivers (by ``COPY`` or a bind mount), nearest the context root,
    then the most telling name (``requirements.txt`` before ``setup.py``), so editing it invalidates a step."""
    best: tuple[tuple[int, int, int], str, Instruction] | None = None
    chain = set(_stage_chain(df, target))
    for ins in _needed_inputs(df, target):
        for f in delivered(ins, files):
            found = _manifest_rank(f, stack)
            # ties: a manifest the target's own stages read (the app's), before a helper stage's
            rank = None if found is None else (*found, 0 if ins.stage_index in chain else 1)
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, f, ins)
    if best is not None:
        _, f, ins = best
        how = "mounted by" if ins.keyword == "RUN" else "copied by"
        return _Found(f, f"{how} `{ins.original[:60]}` ({_where(df, ins)})")
    looked = ", ".join(p for s in _stacks(stack) for p in DEPENDENCY_MANIFESTS[s])
    return _Found(None, f"the Dockerfile copies no dependency manifest (looked for {looked})")


# Files that are sources of no one's edit: generated, minified, bundled, or pictures.
_GENERATED = re.compile(r"(_pb2(_grpc)?\.pyi?|\.pb\.go|_grpc\.pb\.go|\.pb\.(cc|h)|_pb\.(js|d\.ts)|\.min\.(js|css)"
                        r"|\.bundle\.js|\.chunk\.js|\.d\.ts|\.map|\.generated\.\w+|\.g\.cs|\.designer\.cs"
                        r"|(^|/)(gen|generated|__generated__)/.*)$", re.IGNORECASE)
_VENDORED = re.compile(r"(^|/)(node_modules|vendor|third_party|dist|build|target|bin|obj|\.venv|venv|"
                       r"site-packages|migrations)/")
_TEST_FILE = re.compile(r"(^|/)(tests?|spec|__tests__|testdata)/|(^|/)test_|_test\.|\.test\.|\.spec\."
                        r"|(^|/)conftest\.py$")
_ENTRY_NAME = re.compile(r"(^|/)(main|app|server|index|manage|wsgi|asgi|program|application|api|__main__)\.\w+$",
                         re.IGNORECASE)
# Source files of languages dockopt has no stack for: still a real source file to edit, with less confidence.
_OTHER_SOURCES = (".rb", ".php", ".rs", ".c", ".h", ".cc", ".cpp", ".hpp", ".swift", ".dart", ".pl", ".r", ".sh",
                  ".scala", ".ex", ".exs", ".lua")
_NOT_SOURCES = (".svg", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".pdf", ".woff", ".woff2", ".ttf")


# Tooling beside the app (configuration written as code, probes, build scripts): sources, but not the app's.
_TOOLING = re.compile(r"(^|/)([^/]*\.(config|conf|setup)\.\w+|\.[^/]*rc\.\w+|(karma|jest|webpack|babel|vite|rollup"
                      r"|gulpfile|gruntfile|tailwind|postcss|next|nuxt|svelte|playwright|cypress|vitest|eslint|"
                      r"prettier|healthcheck|setup|noxfile|fabfile|tasks|conftest)(\.\w+)+)$", re.IGNORECASE)


def _entry_words(df: Dockerfile, target: str | None) -> frozenset[str]:
    """File names the target's ``CMD``/``ENTRYPOINT`` mention (``python email_server.py`` → email_server.py)."""
    names = set()
    for index in _stage_chain(df, target):
        for ins in df.stages[index].instructions:
            if ins.keyword in ("CMD", "ENTRYPOINT"):
                for word in re.split(r"[\s\"',=]+", " ".join(ins.args)):
                    if "." in word:
                        names.add(word.rsplit("/", 1)[-1])
    return frozenset(names)


def _touch_rank(f: str, suffixes: tuple[str, ...], entry: frozenset[str] = frozenset()) -> tuple[int, ...]:
    kind = 0 if f.endswith(suffixes) else 1 if f.endswith(_OTHER_SOURCES) else 2
    return (kind, int(bool(_TEST_FILE.search(f))), int(bool(_VENDORED.search(f))), int(bool(_TOOLING.search(f))),
            0 if f.rsplit("/", 1)[-1] in entry else 1, f.count("/"), 0 if _ENTRY_NAME.search(f) else 1, len(f))


def detect_touch(df: Dockerfile, files: frozenset[str], stack: str | None, target: str | None = None) -> _Found:
    """The source file a cache experiment edits: one the build delivers (``COPY``, ``ADD``, or a bind mount),
    in the stack's language, not a test, nor generated (``_pb2.py``, ``.min.js``), vendored or a picture,
    not tooling (``karma.conf.js``, ``babel.config.js``), the file ``CMD``/``ENTRYPOINT`` names first, then
    nearest the context root, an entry point (``main``, ``app``, ``index``...) first. The last context input
    that delivers one wins (a source edit then reruns the fewest steps)."""
    suffixes = _SOURCE_SUFFIXES.get(stack or "", tuple(s for v in _SOURCE_SUFFIXES.values() for s in v))
    entry = _entry_words(df, target)
    fallback: tuple[str, Instruction] | None = None
    for ins in reversed(_needed_inputs(df, target)):
        candidates = [f for f in delivered(ins, files)
                      if not _is_dependency_manifest(f, stack) and editable(f) and not _GENERATED.search(f)
                      and not f.lower().endswith(_NOT_SOURCES) and f.rsplit("/", 1)[-1] != ".dockerignore"
                      and not fnmatch.fnmatchcase(f.rsplit("/", 1)[-1], "*Dockerfile*")]
        if not candidates:
            continue
        chosen = sorted(candidates, key=lambda f: _touch_rank(f, suffixes, entry))[0]
        how = "mounted by" if ins.keyword == "RUN" else "delivered by"
        detail = f"{how} `{ins.original[:60]}` ({_where(df, ins)})"
        if chosen.endswith(suffixes) and not _TEST_FILE.search(chosen) and not _TOOLING.search(chosen):
            return _Found(chosen, detail, "high" if stack in _SOURCE_SUFFIXES else "medium")
        if fallback is None:
            fallback = (chosen, ins)
    if fallback is not None:
        chosen, ins = fallback
        what = "a source file of another language" if chosen.endswith(_OTHER_SOURCES) else "not a source file"
        return _Found(chosen, f"{what}: delivered by `{ins.original[:60]}` ({_where(df, ins)})",
                      "medium" if chosen.endswith(_OTHER_SOURCES) else "low")
    if not _needed_inputs(df, target):
        return _Found(None, "the build reads nothing from the context (no COPY, ADD or bind mount of it)")
    return _Found(None, "no COPY or bind mount of the context delivers a file dockopt can edit (after .dockerignore)")


def detect_health_path(context: Path, df: Dockerfile, files: frozenset[str], target: str | None = None) -> _Found:
    """A health path the app obviously has: the URL its HEALTHCHECK asks, else a health route literal
    (``"/health"``, ``"/healthz"``, ``"/actuator/health"``, ``"/api/health"``...) in a source file the build
    delivers, else Spring Boot's actuator when a delivered build file depends on it."""
    check = detect_healthcheck(df, target)
    if check is not None:
        m = _URL_PATH.search(" ".join(check.values))
        if m and m.group(1) not in ("/", ""):
            return _Found(m.group(1).rstrip("/") or "/", f"the HEALTHCHECK asks it ({_where(df, check)})")
    # Every language's sources: the final stage may run another language than the build (a monorepo).
    suffixes = tuple(s for v in _SOURCE_SUFFIXES.values() for s in v) + _OTHER_SOURCES
    reads = sorted({f for ins in _needed_inputs(df, target) for f in delivered(ins, files)})
    best: tuple[int, int, int, str, str] | None = None
    actuator: str | None = None
    for f in reads:
        name = f.rsplit("/", 1)[-1]
        is_build_file = name in ("pom.xml", "build.gradle", "build.gradle.kts")
        if not (f.endswith(suffixes) or is_build_file) or _GENERATED.search(f) or _VENDORED.search(f):
            continue
        path = context / f
        try:
            if path.stat().st_size > _MAX_SCANNED_SOURCE:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if is_build_file:
            if "spring-boot-starter-actuator" in text:
                actuator = f
            continue
        prefix = _class_route_prefix(text) if f.endswith((".java", ".kt", ".groovy", ".scala")) else ""
        for m in _ROUTE_LITERAL.finditer(text):
            route = (prefix + m.group(1)).rstrip("/")
            line = text.count("\n", 0, m.start()) + 1
            candidate = (_route_rank(route), int(bool(_TEST_FILE.search(f))), f.count("/"), route,
                         f"route '{route}' in {f}:{line}")
            if best is None or candidate < best:
                best = candidate
    if best is not None:
        return _Found(best[3], best[4], "medium" if best[1] == 0 else "low")
    if actuator is not None:
        return _Found("/actuator/health", f"Spring Boot actuator in {actuator}", "medium")
    return _Found(None, "no HEALTHCHECK URL and no health route in the sources: readiness is the process staying up")


_CLASS_MAPPING = re.compile(r"""@(?:RequestMapping|Path)\(\s*(?:(?:value|path)\s*=\s*)?["'](/[^"']*)["']""")


def _class_route_prefix(text: str) -> str:
    """The path a Spring ``@RequestMapping("/utility")`` (or JAX-RS ``@Path``) on the class puts before every
    route of its methods: the annotation written before the class declaration."""
    declared = re.search(r"\b(class|object)\s+\w+", text)
    if declared is None:
        return ""
    mapped = list(_CLASS_MAPPING.finditer(text, 0, declared.start()))
    return mapped[-1].group(1).rstrip("/") if mapped else ""


def _route_rank(route: str) -> int:
    """Lower is likelier to be the service's own health endpoint."""
    last = route.rsplit("/", 1)[-1]
    return _HEALTH_NAMES.index(last) if last in _HEALTH_NAMES else len(_HEALTH_NAMES)


# --- making a project ---------------------------------------------------------------------------------------


class ManifestReader:
    """Typed access to one table of a ``dockopt.toml``, raising the error class it is given (naming file and field)."""

    def __init__(self, path: Path, data: Mapping[str, Any], prefix: str = "", *,
                 error: type[ProjectError] = ProjectError) -> None:
        self.path, self.data, self.prefix, self.error = path, data, prefix, error

    def fail(self, key: str, problem: str) -> ProjectError:
        return self.error(f"{self.path}: field {self.prefix}{key!s}: {problem}",
                          hint="see the manifest schema in dockopt/samples.py (samples) or dockopt/project.py")

    def get(self, key: str, kind: type | tuple[type, ...], *, required: bool = True, default: Any = None) -> Any:
        if key not in self.data:
            if required:
                raise self.fail(key, "missing")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if (int in kinds or float in kinds) and isinstance(value, bool):
            raise self.fail(key, f"expected a number, got {value!r}")
        if not isinstance(value, kind):
            names = "/".join(k.__name__ for k in kinds)
            raise self.fail(key, f"expected {names}, got {type(value).__name__} {value!r}")
        return value

    def table(self, key: str) -> ManifestReader:
        return ManifestReader(self.path, self.get(key, dict), f"{self.prefix}{key}.", error=self.error)

    def optional_table(self, key: str) -> ManifestReader | None:
        return self.table(key) if key in self.data else None

    def file(self, root: Path, key: str) -> Path:
        rel = self.get(key, str)
        path = root / rel
        if not path.exists():
            raise self.fail(key, f"{rel!r} does not exist in {root}")
        return path

    def optional_file(self, root: Path, key: str, *, required: bool = False) -> Path | None:
        if key in self.data or required:
            return self.file(root, key)
        return None

    def unknown(self, allowed: set[str]) -> None:
        extra = sorted(set(self.data) - allowed)
        if extra:
            raise self.fail(extra[0], f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def port(self, key: str = "port") -> int | None:
        value = self.get(key, int, required=False)
        if value is not None and not 0 < value < 65536:
            raise self.fail(key, f"{value} is not a TCP port")
        return value

    def health_path(self, key: str = "health_path") -> str | None:
        value = self.get(key, str, required=False)
        if value is not None and not value.startswith("/"):
            raise self.fail(key, f"{value!r} must start with '/'")
        return value


def read_toml(path: Path, error: type[ProjectError] = ProjectError) -> dict[str, Any]:
    if not path.is_file():
        raise error(f"{path}: no manifest here", hint=f"`dockopt init {path.parent}` writes one from what it detects")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}", hint="fix the file, or move it away and run `dockopt init`") \
            from exc


# The project-level fields of a manifest (dockopt init writes these); a sample's manifest has the
# tables below as well, which a project reads for what it needs and otherwise leaves to dockopt.samples.
_PROJECT_KEYS = {"name", "stack", "description", "port", "health_path", "dockerfile", "target", "build_args",
                 "base_arg", "stay_up_s", "cache"}
_SAMPLE_KEYS = {"registry_only", "registry_reason", "registry_reference", "dockerfiles", "targets", "bases"}


def read_manifest(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The project-level values of a ``dockopt.toml`` (validated), and for each the key it came from."""
    top = ManifestReader(path, read_toml(path))
    top.unknown(_PROJECT_KEYS | _SAMPLE_KEYS)
    root = path.parent
    out: dict[str, Any] = {}
    keys: dict[str, str] = {}

    def put(name: str, value: Any, key: str) -> None:
        if value is not None:
            out[name], keys[name] = value, key

    put("name", top.get("name", str, required=False), "name")
    put("stack", top.get("stack", str, required=False), "stack")
    put("description", top.get("description", str, required=False), "description")
    put("port", top.port(), "port")
    put("health_path", top.health_path(), "health_path")
    stay = top.get("stay_up_s", (int, float), required=False)
    if stay is not None and not 0 < stay <= 600:
        raise top.fail("stay_up_s", f"{stay} is not between 0 and 600 seconds")
    put("stay_up_s", None if stay is None else float(stay), "stay_up_s")
    put("dockerfile", top.optional_file(root, "dockerfile"), "dockerfile")
    put("target", top.get("target", str, required=False), "target")
    args = top.optional_table("build_args")
    if args is not None:
        for k in args.data:
            args.get(k, str)
        put("build_args", dict(args.data), "build_args")
    put("base_arg", top.get("base_arg", str, required=False), "base_arg")
    dfs = top.optional_table("dockerfiles")
    if dfs is not None and "dockerfile" not in out and "optimised" in dfs.data:
        opt = dfs.table("optimised")
        put("dockerfile", opt.file(root, "path"), "dockerfiles.optimised.path")
        put("target", opt.get("target", str, required=False), "dockerfiles.optimised.target")
    bases = top.optional_table("bases")
    if bases is not None and "base_arg" not in out:
        put("base_arg", bases.get("arg", str, required=False), "bases.arg")
    cache = top.optional_table("cache")
    if cache is not None:
        put("touch", cache.optional_file(root, "touch"), "cache.touch")
        put("dependency_file", cache.optional_file(root, "dependency_file"), "cache.dependency_file")
        bump_files = cache.get("bump_files", list, required=False) or []
        if "dependency_file" not in out and bump_files and (root / str(bump_files[0])).is_file():
            put("dependency_file", root / str(bump_files[0]), "cache.bump_files")
    return out, keys


def project(path: str | os.PathLike[str] = ".", dockerfile: str | os.PathLike[str] | None = None, *,
            target: str | None = None, build_args: Mapping[str, str] | None = None, name: str | None = None,
            stack: str | None = None, port: int | None = None, health_path: str | None = None,
            base_arg: str | None = None, touch: str | os.PathLike[str] | None = None,
            dependency_file: str | os.PathLike[str] | None = None, stay_up_s: float | None = None) -> Project:
    """The project in folder ``path`` (a build context; or a Dockerfile, whose folder is the context).

    Values come from the arguments (``given``), else the folder's ``dockopt.toml`` (``manifest``),
    else what the files and the parsed Dockerfile show (``detected``). ``dockerfile`` defaults to the
    manifest's, else ``Dockerfile``, relative to the context. Raises ``ContextNotFound``,
    ``DockerfileNotFound``, ``DockerfileError`` (a Dockerfile BuildKit would refuse, or a ``target``
    that is not a stage) and ``ProjectError`` (an invalid manifest or value).
    """
    where = Path(path).expanduser()
    if where.is_file() and dockerfile is None:
        where, dockerfile = where.parent, where
    if not where.is_dir():
        raise ContextNotFound(f"project {str(path)!r} is not a folder",
                              hint="pass the folder that holds the Dockerfile and the app's sources")
    context = where.resolve()
    manifest_path = context / MANIFEST
    from_manifest, manifest_keys = read_manifest(manifest_path) if manifest_path.is_file() else ({}, {})
    origins: dict[str, Origin] = {}

    def pick(field_name: str, given: Any, fallback: Any = None, fallback_origin: Origin | None = None) -> Any:
        if given is not None:
            origins[field_name] = Origin("given", "argument")
            return given
        if field_name in from_manifest:
            origins[field_name] = Origin("manifest", f"{MANIFEST}: {manifest_keys[field_name]}")
            return from_manifest[field_name]
        origins[field_name] = fallback_origin or Origin("default")
        return fallback

    df_given = None if dockerfile is None else Path(dockerfile).expanduser()
    if df_given is not None and not df_given.is_absolute():
        df_given = context / df_given
    df_path = Path(pick("dockerfile", df_given, context / "Dockerfile", Origin("default", "Dockerfile")))
    if not df_path.is_file():
        raise DockerfileNotFound(f"Dockerfile {str(df_path)!r} does not exist",
                                 hint="pass dockerfile= (relative to the folder), or `-f` on the command line")
    df_path = df_path.resolve()
    manifest_df = from_manifest.get("dockerfile")
    if manifest_df is not None and Path(manifest_df).resolve() != df_path:
        # The manifest's target and runtime-base ARG describe its own Dockerfile, not this one.
        for key in ("target", "base_arg"):
            from_manifest.pop(key, None)
    args = MappingProxyType(dict(pick("build_args", build_args, {})))
    parsed = parse(df_path, build_args=args)
    chosen_target = pick("target", target)
    if chosen_target is not None:
        parsed.stage(chosen_target)  # DockerfileError naming the stages when there is no such stage
    files = context_files(context, df_path)

    def detected(field_name: str, given: Any, found: _Found) -> Any:
        return pick(field_name, given, found.value, Origin("detected", found.detail, found.confidence))

    chosen_stack = detected("stack", stack, detect_stack(context, files, parsed))
    chosen_port = detected("port", port, detect_port(parsed, chosen_target))
    chosen_health = detected("health_path", health_path,
                             detect_health_path(context, parsed, files, chosen_target))
    if chosen_health is not None and not str(chosen_health).startswith("/"):
        raise ProjectError(f"health path {chosen_health!r} must start with '/'", hint="e.g. health_path='/health'")
    chosen_base_arg = detected("base_arg", base_arg, detect_base_arg(parsed, chosen_target))
    if chosen_base_arg is not None and chosen_base_arg not in parsed.global_args:
        raise ProjectError(f"{chosen_base_arg!r} is not an ARG declared before the first FROM of {df_path.name}",
                           hint="the runtime-base ARG must be a global ARG that the final FROM uses")
    touch_found = detect_touch(parsed, files, chosen_stack, chosen_target)
    dep_found = detect_dependency_file(parsed, files, chosen_stack, chosen_target)
    chosen_touch = detected("touch", _inside(context, touch), _Found(
        None if touch_found.value is None else context / touch_found.value, touch_found.detail,
        touch_found.confidence))
    chosen_dep = detected("dependency_file", _inside(context, dependency_file), _Found(
        None if dep_found.value is None else context / dep_found.value, dep_found.detail, dep_found.confidence))
    chosen_name = pick("name", name, context.name, Origin("default", "the folder's name"))
    chosen_stay = float(pick("stay_up_s", stay_up_s, DEFAULT_STAY_UP_S))
    origins.setdefault("context", Origin("given", "argument"))
    description = from_manifest.get("description", "")
    return Project(name=chosen_name, context=context, dockerfile=df_path, target=chosen_target, build_args=args,
                   stack=chosen_stack, port=chosen_port, health_path=chosen_health, base_arg=chosen_base_arg,
                   touch=chosen_touch, dependency_file=chosen_dep, stay_up_s=chosen_stay, description=description,
                   manifest=manifest_path if manifest_path.is_file() else None,
                   origins=MappingProxyType(origins))


def _inside(context: Path, value: str | os.PathLike[str] | None) -> Path | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    path = (path if path.is_absolute() else context / path).resolve()
    if not path.is_file() or not path.is_relative_to(context):
        raise ProjectError(f"{str(value)!r} is not a file inside {context}",
                           hint="name it relative to the project folder")
    return path


# --- dockopt init: the manifest a user can edit ------------------------------------------------------------


def _toml(value: Any) -> str:
    # TOML basic strings accept JSON's escapes; numbers and booleans are written alike.
    return json.dumps(value, ensure_ascii=False)


def manifest_text(p: Project) -> str:
    """The ``dockopt.toml`` that describes ``p``: every value with a comment saying where it came from;
    values that were not found are written commented out, for the user to fill in."""
    lines = [f"# dockopt project manifest for {p.name}: what `dockopt init` detected. Edit freely; every",
             "# dockopt command and experiment reads it (dockopt.project, dockopt report --project, dockopt lab).", ""]

    def entry(key: str, value: Any, field_name: str | None = None) -> None:
        o = p.origin(field_name or key)
        note = f"  # {o.source}" + (f": {o.described}" if o.described else "")
        if value is None:
            lines.append(f"# {key} = ...{note}")
        elif o.source == "detected" and o.confidence == "low":
            # A guess: written for a person to confirm, not read as if it were known.
            lines.append(f"# {key} = {_toml(value)}{note}")
        else:
            lines.append(f"{key} = {_toml(value)}{note}")

    entry("name", p.name)
    entry("stack", p.stack)
    if p.description:
        entry("description", p.description)
    entry("dockerfile", p.relative(p.dockerfile))
    entry("target", p.target)
    entry("port", p.port)
    entry("health_path", p.health_path)
    entry("stay_up_s", p.stay_up_s)
    entry("base_arg", p.base_arg)
    if p.build_args:
        lines += ["", "[build_args]"]
        lines += [f"{_toml(k)} = {_toml(v)}" for k, v in p.build_args.items()]
    lines += ["", "[cache]  # what cache experiments change, in a private copy of the folder"]
    entry("touch", None if p.touch is None else p.relative(p.touch))
    entry("dependency_file", None if p.dependency_file is None else p.relative(p.dependency_file))
    return "\n".join(lines) + "\n"


def init(path: str | os.PathLike[str] = ".", dockerfile: str | os.PathLike[str] | None = None, *,
         target: str | None = None, write: bool = True) -> tuple[Project, str]:
    """Detect the project in ``path`` and write its ``dockopt.toml`` (never over an existing one),
    then read it back through the manifest loader, so what was written is known to be valid.
    Returns the project as read back and the text. ``write=False``: only return them."""
    detected_project = project(path, dockerfile, target=target)
    text = manifest_text(detected_project)
    target_file = detected_project.context / MANIFEST
    if not write:
        tomllib.loads(text)
        return detected_project, text
    if target_file.exists():
        raise ProjectError(f"{target_file} exists already; dockopt never overwrites it",
                           hint="edit it, or move it away and run `dockopt init` again")
    target_file.write_text(text, encoding="utf-8")
    return project(detected_project.context), text


def with_values(p: Project, **changes: Any) -> Project:
    """``p`` with some fields replaced, each recorded as ``given``."""
    origins = dict(p.origins)
    origins.update({k: Origin("given", "argument") for k in changes})
    return replace(p, **changes, origins=MappingProxyType(origins))
