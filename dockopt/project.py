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
    stack = "python"                # node | python | go | java | dotnet (or anything: no base candidates)
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
from typing import TYPE_CHECKING, Any

from .dockerfile import Dockerfile, Instruction, parse
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
})
_LOCKFILES = ("package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "Pipfile.lock", "go.sum",
              "uv.lock", "gradle.lockfile", "packages.lock.json")
_SOURCE_SUFFIXES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "python": (".py",),
    "node": (".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".vue", ".svelte"),
    "go": (".go",),
    "java": (".java", ".kt", ".scala", ".groovy"),
    "dotnet": (".cs", ".fs", ".vb", ".razor", ".cshtml"),
})
# What base images say about a stack, when the files do not.
_STACK_OF_BASE = (("python", re.compile(r"(^|/)(python|pypy)[:@]|distroless/python")),
                  ("node", re.compile(r"(^|/)node[:@]|distroless/nodejs")),
                  ("go", re.compile(r"(^|/)golang[:@]")),
                  ("java", re.compile(r"(^|/)(eclipse-temurin|openjdk|amazoncorretto|maven|gradle)[:@]"
                                      r"|distroless/java")),
                  ("dotnet", re.compile(r"dotnet/(sdk|aspnet|runtime)")))
_HEALTH_ROUTES = ("/health", "/healthz", "/healthcheck", "/health-check", "/_health", "/livez", "/readyz", "/ready",
                  "/ping", "/status")
_ROUTE_LITERAL = re.compile(r"""["'`](/(?:health|healthz|healthcheck|health-check|_health|livez|readyz|ready"""
                            r"""|ping|status))/?["'`]""")
_URL_PATH = re.compile(r"https?://[^/\s'\"]+(?::\d+)?(/[^\s'\"|;&)]*)")
_MAX_SCANNED_SOURCE = 256 * 1024
_SLUG = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class Origin:
    """Where one value of a project came from (one of ``ORIGINS``) and, briefly, how."""

    source: str
    detail: str = ""


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


@dataclass(frozen=True)
class FileEdit:
    """One file a cache experiment changed (in its private copy of the context)."""

    path: str          # relative to the context, POSIX
    how: str           # what was changed, in words
    bytes_before: int
    bytes_after: int


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
                         "detail": o.detail})
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
    """The context paths (patterns) a ``COPY``/``ADD`` names; URLs, git sources and ``$`` words left out."""
    sources = ins.args[:-1] if len(ins.args) > 1 else ()
    return tuple(s for s in sources if "$" not in s and "://" not in s and not s.startswith("git@"))


def delivered(ins: Instruction, files: Iterable[str]) -> tuple[str, ...]:
    """The files of ``files`` (what the build sends) that ``ins``, a context ``COPY``/``ADD``, delivers.

    A source is matched path component by component with Go's ``filepath.Match`` rules (``*`` stops at
    ``/``), as BuildKit does; a source that names a directory delivers everything under it.
    """
    patterns = []
    for src in copy_sources(ins):
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


@dataclass(frozen=True)
class _Found:
    value: Any
    detail: str


def _where(df: Dockerfile, ins: Instruction) -> str:
    return f"{Path(df.path or 'Dockerfile').name}:{ins.line_start}"


def detect_port(df: Dockerfile, target: str | None = None) -> _Found:
    """The first port ``EXPOSE``d by the target stage or a stage it builds on."""
    for index in _stage_chain(df, target):
        for ins in df.stages[index].instructions:
            if ins.keyword != "EXPOSE":
                continue
            for arg in ins.args:
                port, _, proto = arg.partition("/")
                if port.isdigit() and proto in ("", "tcp") and 0 < int(port) < 65536:
                    return _Found(int(port), f"EXPOSE {arg} ({_where(df, ins)})")
    return _Found(None, "no EXPOSE in the target stage: readiness is the HEALTHCHECK, else the process staying up")


def detect_healthcheck(df: Dockerfile, target: str | None = None) -> Instruction | None:
    """The ``HEALTHCHECK`` that applies to the target (the last one in its stage chain; ``NONE`` counts)."""
    for index in _stage_chain(df, target):
        checks = [i for i in df.stages[index].instructions if i.keyword == "HEALTHCHECK"]
        if checks:
            return None if checks[-1].args[:1] == ("NONE",) else checks[-1]
    return None


def detect_base_arg(df: Dockerfile, target: str | None = None) -> _Found:
    """The global ``ARG`` the final ``FROM`` takes (``FROM ${RUNTIME}`` or ``FROM runtime-${RUNTIME}``)."""
    stage = df.target(target)
    names = re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", stage.base_written)
    for name in names:
        if name in df.global_args:
            return _Found(name, f"FROM {stage.base_written} ({_where(df, stage.instructions[0])})")
    return _Found(None, "the final FROM names its base directly: a base comparison rewrites it in a temporary copy")


def _needed_copies(df: Dockerfile, target: str | None) -> list[Instruction]:
    """Context ``COPY``/``ADD`` instructions of the stages a build of ``target`` runs, target stage last."""
    needed = df.needed_stages(target)
    final = df.target(target).index
    order = [i for i in needed if i != final] + [final]
    return [ins for i in order for ins in df.context_copies(i)]


def _stacks(stack: str | None) -> list[str]:
    """``[stack]`` when dockopt knows its manifests, else every stack."""
    return [stack] if stack is not None and stack in DEPENDENCY_MANIFESTS else list(DEPENDENCY_MANIFESTS)


def _is_dependency_manifest(path: str, stack: str | None) -> bool:
    name = path.rsplit("/", 1)[-1]
    stacks = _stacks(stack)
    return name in _LOCKFILES or any(fnmatch.fnmatchcase(name, p) for s in stacks for p in DEPENDENCY_MANIFESTS[s])


def detect_stack(context: Path, files: frozenset[str], df: Dockerfile) -> _Found:
    """The stack, from its dependency manifests (those the Dockerfile copies first), else the base images."""
    copied = {f for ins in _needed_copies(df, None) for f in delivered(ins, files)}
    found: list[tuple[int, str, str]] = []
    for stack, patterns in DEPENDENCY_MANIFESTS.items():
        for pattern in patterns:
            hits = sorted(f for f in files if "/" not in f and fnmatch.fnmatchcase(f, pattern))
            if hits:
                found.append((0 if hits[0] in copied else 1, stack, hits[0]))
                break
    if found:
        found.sort(key=lambda t: t[0])  # stable: the order of DEPENDENCY_MANIFESTS breaks ties
        copied_first, stack, name = found[0]
        return _Found(stack, name + (" (copied by the Dockerfile)" if copied_first == 0 else ""))
    for stage in df.stages:
        for base_stack, base_pattern in _STACK_OF_BASE:
            if base_pattern.search(stage.base):
                return _Found(base_stack, f"base image {stage.base}")
    return _Found(None, "no dependency manifest and no language base image")


def detect_dependency_file(df: Dockerfile, files: frozenset[str], stack: str | None,
                           target: str | None = None) -> _Found:
    """The dependency manifest a build copies (the stack's, most telling first), so editing it invalidates a step."""
    copies = _needed_copies(df, target)
    stacks = _stacks(stack)
    for s in stacks:
        for pattern in DEPENDENCY_MANIFESTS[s]:
            for ins in copies:
                for f in delivered(ins, files):
                    if fnmatch.fnmatchcase(f.rsplit("/", 1)[-1], pattern):
                        return _Found(f, f"copied by `{ins.original[:60]}` ({_where(df, ins)})")
    looked = ", ".join(p for s in stacks for p in DEPENDENCY_MANIFESTS[s])
    return _Found(None, f"the Dockerfile copies no dependency manifest (looked for {looked})")


def detect_touch(df: Dockerfile, files: frozenset[str], stack: str | None, target: str | None = None) -> _Found:
    """A source file the target's last context ``COPY`` delivers (stages it needs before it, if it has none)."""
    suffixes = _SOURCE_SUFFIXES.get(stack or "", tuple(s for v in _SOURCE_SUFFIXES.values() for s in v))
    for ins in reversed(_needed_copies(df, target)):
        candidates = [f for f in delivered(ins, files) if not _is_dependency_manifest(f, stack) and editable(f)]
        if not candidates:
            continue

        def rank(f: str) -> tuple[int, int, int, str]:
            is_test = bool(re.search(r"(^|/)(tests?|spec|__tests__)/|(^|/)test_|_test\.|\.test\.|\.spec\.", f))
            return (0 if f.endswith(suffixes) else 1, int(is_test), f.count("/"), f)

        chosen = sorted(candidates, key=rank)[0]
        return _Found(chosen, f"delivered by `{ins.original[:60]}` ({_where(df, ins)})")
    return _Found(None, "no COPY of the context delivers a source file (after .dockerignore)")


def detect_health_path(context: Path, df: Dockerfile, files: frozenset[str], target: str | None = None) -> _Found:
    """A health path the app obviously has: the URL its HEALTHCHECK asks, else a health route literal
    (``"/health"``, ``"/healthz"``, ...) in a source file the build delivers."""
    check = detect_healthcheck(df, target)
    if check is not None:
        m = _URL_PATH.search(" ".join(check.args))
        if m and m.group(1) != "/":
            return _Found(m.group(1), f"the HEALTHCHECK asks it ({_where(df, check)})")
    # Every language's sources: the final stage may run another language than the build (a monorepo).
    suffixes = tuple(s for v in _SOURCE_SUFFIXES.values() for s in v)
    sources = sorted({f for ins in _needed_copies(df, target) for f in delivered(ins, files) if f.endswith(suffixes)})
    best: tuple[int, str, str] | None = None
    for f in sources:
        path = context / f
        try:
            if path.stat().st_size > _MAX_SCANNED_SOURCE:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for m in _ROUTE_LITERAL.finditer(text):
            route = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            candidate = (_HEALTH_ROUTES.index(route), route, f"route '{route}' in {f}:{line}")
            if best is None or candidate < best:
                best = candidate
    if best is not None:
        return _Found(best[1], best[2])
    return _Found(None, "no HEALTHCHECK URL and no health route in the sources: readiness is the process staying up")


# --- edits a cache experiment makes ------------------------------------------------------------------------

_HASH = (".py", ".rb", ".sh", ".toml", ".txt", ".yaml", ".yml", ".cfg", ".ini", ".conf", ".r", ".pl", ".properties",
         ".dockerignore", ".env")
_SLASHES = (".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".java", ".kt", ".scala", ".groovy", ".cs", ".fs",
            ".c", ".h", ".cc", ".cpp", ".hpp", ".rs", ".swift", ".gradle", ".kts", ".php", ".dart", ".svelte", ".mod")
_MARKUP = (".html", ".htm", ".vue", ".xml", ".csproj", ".fsproj", ".vbproj", ".svg", ".md", ".razor", ".cshtml",
           ".xhtml")
_BLOCK = (".css", ".scss", ".less")
_WHITESPACE = (".json",)
_HASH_NAMES = ("Pipfile", "Gemfile", "Makefile", "requirements.txt")


def editable(path: str) -> bool:
    """Whether dockopt knows how to change ``path`` without breaking it (a comment, or whitespace for JSON)."""
    name = path.rsplit("/", 1)[-1]
    return name in _HASH_NAMES or name.endswith(_HASH + _SLASHES + _MARKUP + _BLOCK + _WHITESPACE)


def edit_file(path: Path, *, relative: str, marker: str = "dockopt cache experiment") -> FileEdit:
    """Change ``path`` by a few bytes that keep it valid: a comment line in its own syntax holding
    ``marker``, or (JSON, which has no comments) trailing whitespace that spells ``marker`` in spaces and
    tabs. BuildKit's cache key is the content: a marker no earlier run wrote makes a step miss for sure."""
    name = path.name
    before = path.read_bytes()
    if name in _HASH_NAMES or name.endswith(_HASH):
        added, how = f"\n# {marker}\n", "appended a # comment line"
    elif name.endswith(_SLASHES):
        added, how = f"\n// {marker}\n", "appended a // comment line"
    elif name.endswith(_MARKUP):
        added, how = f"\n<!-- {marker} -->\n", "appended an <!-- --> comment"
    elif name.endswith(_BLOCK):
        added, how = f"\n/* {marker} */\n", "appended a /* */ comment"
    elif name.endswith(_WHITESPACE):
        bits = "".join(f"{byte:08b}" for byte in marker.encode()[-8:])
        added = "\n" + bits.replace("0", " ").replace("1", "\t") + "\n"
        how = "appended whitespace (JSON has no comments; whitespace keeps it valid)"
    else:
        raise ProjectError(f"{relative}: dockopt does not know how to change this kind of file safely",
                           hint="name a source file in dockopt.toml ([cache] touch = ...)")
    path.write_bytes(before + added.encode())
    return FileEdit(path=relative, how=how, bytes_before=len(before), bytes_after=len(before) + len(added.encode()))


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
        return pick(field_name, given, found.value, Origin("detected", found.detail))

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
        None if touch_found.value is None else context / touch_found.value, touch_found.detail))
    chosen_dep = detected("dependency_file", _inside(context, dependency_file), _Found(
        None if dep_found.value is None else context / dep_found.value, dep_found.detail))
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
        note = f"  # {o.source}" + (f": {o.detail}" if o.detail else "")
        if value is None:
            lines.append(f"# {key} = ...{note}")
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
