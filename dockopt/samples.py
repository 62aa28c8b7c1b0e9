"""The sample applications under ``sample_apps/``: one manifest each, one loader for all.

Every sample directory holds a ``dockopt.toml`` describing it (schema below). ``load(name)``
turns it into a frozen :class:`Sample`; ``all_samples()`` loads every one; ``samples_table()``
is the overview as a DataFrame. A manifest that is missing a field, has a wrong type, or names
a file that does not exist raises ``SampleError`` naming the manifest and the field.

Manifest schema (TOML)::

    name = "node-express"            # must equal the directory name
    stack = "node"                   # node | vue | go | python | java | dotnet | monorepo
    description = "..."              # optional
    port = 3000                      # container port the service listens on
    health_path = "/health"          # answers 200 when the service is up
    registry_only = false            # optional: the whole sample needs a registry to build
    registry_reason = "..."          #   required when registry_only: shown as the skip reason
    registry_reference = "..."       #   optional: the image/source that cannot be reached

    [dockerfiles.naive]              # required roles: naive, optimised; any other name is extra
    path = "Dockerfile.naive"
    target = "..."                   # optional default --target
    registry_only = false            # optional, with reason = "..." when true
    [dockerfiles.optimised]
    path = "Dockerfile"

    [targets.<name>]                 # optional named --targets of the Dockerfiles
    stage = "<stage name>"           # defaults to <name>
    service = true                   # true: it is a runnable service (port/health below)
    port = 8080                      #   defaults to the sample's port
    health_path = "/health"          #   defaults to the sample's health_path
    dockerfiles = ["naive", "optimised"]   # which Dockerfiles have it (default: ["optimised"])
    base = "scratch"                 # optional: the runtime base of this target's optimised image

    [bases]                          # optional: runtime base switch of the optimised Dockerfile
    arg = "RUNTIME"                  # the build ARG
    default = "distroless"           # the value used when none is given
    [bases.variants.<value>]
    image = "gcr.io/distroless/..."  # the runtime base reference that value selects
    offline = true                   # false: cannot be built here; reason = "..." required
    note = "..."                     # optional

    [cache]                          # what cache experiments change
    touch = "src/app.js"             # a source file to edit
    dependency = "express"           # the dependency to bump (or omit it and give reason = "...")
    bump_from = "4.21.1"
    bump_to = "4.21.2"
    bump_dir = "cache-bump"          # holds the bumped versions of bump_files
    bump_files = ["package.json", "package-lock.json"]
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import naming
from .errors import NeedsRegistry, SampleError

import tomllib

if TYPE_CHECKING:
    import pandas as pd

    from .build import BuildResult
    from .smoke import SmokeResult

MANIFEST = "dockopt.toml"
STACKS = ("node", "vue", "go", "python", "java", "dotnet", "monorepo")
VARIANTS = ("naive", "optimised")


def samples_dir() -> Path:
    """Where the samples live: ``$DOCKOPT_SAMPLES_DIR``, else ``sample_apps/`` beside the package."""
    env = os.environ.get("DOCKOPT_SAMPLES_DIR")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "sample_apps"


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DockerfileSpec:
    """One Dockerfile of a sample, by role (naive, optimised, or an extra such as spring-boot)."""

    role: str
    path: Path
    target: str | None = None
    registry_only: bool = False
    reason: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Target:
    """A named ``--target`` of the sample's Dockerfiles."""

    name: str
    stage: str
    service: bool
    port: int | None
    health_path: str | None
    dockerfiles: tuple[str, ...]
    description: str | None = None
    base: str | None = None


@dataclass(frozen=True)
class BaseVariant:
    """One value of the runtime-base build ARG and the base reference it selects."""

    name: str
    image: str
    offline: bool = True
    reason: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class CacheSpec:
    """What cache experiments touch (a source file) and bump (a dependency)."""

    touch: Path
    dependency: str | None
    bump_from: str | None
    bump_to: str | None
    bump_dir: Path | None
    bump_files: tuple[str, ...]
    reason: str | None = None


@dataclass(frozen=True)
class Service:
    """Something that runs: which target to build, which port to publish, which path to probe,
    and the runtime base its optimised image starts from."""

    name: str
    target: str | None
    port: int
    health_path: str
    base: str | None = None


@dataclass(frozen=True)
class BuildSpec:
    """One build of the sample matrix: Dockerfile role, base value, target; with why not, if not."""

    sample: str
    variant: str
    base: str | None
    target: str | None
    buildable: bool
    reason: str | None = None

    @property
    def label(self) -> str:
        parts = [self.variant] + ([self.base] if self.base else []) + ([self.target] if self.target else [])
        return "-".join(parts)


@dataclass(frozen=True)
class Sample:
    """A sample application, as its ``dockopt.toml`` describes it."""

    name: str
    stack: str
    description: str
    root: Path
    manifest: Path
    port: int
    health_path: str
    dockerfiles: tuple[DockerfileSpec, ...]
    targets: tuple[Target, ...]
    base_arg: str | None
    default_base: str | None
    bases: tuple[BaseVariant, ...]
    cache: CacheSpec
    registry_only: bool = False
    registry_reason: str | None = None
    registry_reference: str | None = None

    def dockerfile(self, role: str) -> DockerfileSpec:
        for spec in self.dockerfiles:
            if spec.role == role:
                return spec
        raise SampleError(f"sample {self.name!r} has no Dockerfile with role {role!r}",
                          hint=f"roles: {', '.join(s.role for s in self.dockerfiles)}")

    def base(self, name: str) -> BaseVariant:
        for b in self.bases:
            if b.name == name:
                return b
        raise SampleError(f"sample {self.name!r} has no base variant {name!r}",
                          hint=f"variants: {', '.join(b.name for b in self.bases) or '(none)'}")

    def target(self, name: str) -> Target:
        for t in self.targets:
            if t.name == name:
                return t
        raise SampleError(f"sample {self.name!r} has no target {name!r}",
                          hint=f"targets: {', '.join(t.name for t in self.targets) or '(none)'}")

    @property
    def offline_bases(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.bases if b.offline)

    def services(self, variant: str = "optimised") -> tuple[Service, ...]:
        """What runs from this Dockerfile: the service targets, else the image itself."""
        targets = [t for t in self.targets if t.service and variant in t.dockerfiles]
        if targets:
            return tuple(Service(t.name, t.name, t.port or self.port, t.health_path or self.health_path, t.base)
                         for t in targets)
        default = self.base(self.default_base).image if self.default_base else None
        return (Service(self.name, None, self.port, self.health_path, default),)

    def builds(self) -> tuple[BuildSpec, ...]:
        """The whole build matrix: naive, optimised on every base variant, every extra Dockerfile,
        once per service target; ``buildable=False`` with the reason where it cannot be built here."""
        out: list[BuildSpec] = []
        for spec in self.dockerfiles:
            blocked = self.registry_reason if self.registry_only else (spec.reason if spec.registry_only else None)
            bases: list[BaseVariant | None] = list(self.bases) if (spec.role == "optimised" and self.bases) else [None]
            service_targets: list[str | None] = [t.name for t in self.targets
                                                 if t.service and spec.role in t.dockerfiles] or [None]
            for target in service_targets:
                for b in bases:
                    reason = blocked or (b.reason if b is not None and not b.offline else None)
                    out.append(BuildSpec(self.name, spec.role, b.name if b else None, target,
                                         buildable=reason is None, reason=reason))
        return tuple(out)


# --- loading -------------------------------------------------------------------------------------


class _Reader:
    """Typed access to one manifest table, raising SampleError naming the file and field."""

    def __init__(self, path: Path, data: Mapping[str, Any], prefix: str = "") -> None:
        self.path, self.data, self.prefix = path, data, prefix

    def _fail(self, key: str, problem: str) -> SampleError:
        return SampleError(f"{self.path}: field {self.prefix}{key!s}: {problem}",
                           hint="see the manifest schema in dockopt/samples.py")

    def get(self, key: str, kind: type | tuple[type, ...], *, required: bool = True, default: Any = None) -> Any:
        if key not in self.data:
            if required:
                raise self._fail(key, "missing")
            return default
        value = self.data[key]
        if kind is int and isinstance(value, bool):
            raise self._fail(key, f"expected int, got {value!r}")
        if not isinstance(value, kind):
            names = "/".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise self._fail(key, f"expected {names}, got {type(value).__name__} {value!r}")
        return value

    def table(self, key: str, *, required: bool = True) -> _Reader | None:
        value = self.get(key, dict, required=required)
        return None if value is None else _Reader(self.path, value, f"{self.prefix}{key}.")

    def file(self, root: Path, key: str, *, required: bool = True) -> Path | None:
        rel = self.get(key, str, required=required)
        if rel is None:
            return None
        path = (root / rel)
        if not path.exists():
            raise self._fail(key, f"{rel!r} does not exist in {root}")
        return path

    def unknown(self, allowed: set[str]) -> None:
        extra = sorted(set(self.data) - allowed)
        if extra:
            raise self._fail(extra[0], f"unknown field (allowed: {', '.join(sorted(allowed))})")


def load_manifest(path: Path | str) -> Sample:
    """Load one manifest file (the directory it sits in is the sample's root)."""
    path = Path(path)
    if not path.is_file():
        raise SampleError(f"{path}: no sample manifest here", hint=f"each sample directory needs a {MANIFEST}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SampleError(f"{path}: not valid TOML: {exc}") from exc
    root = path.parent
    top = _Reader(path, data)
    top.unknown({"name", "stack", "description", "port", "health_path", "registry_only", "registry_reason",
                 "registry_reference", "dockerfiles", "targets", "bases", "cache"})

    name = top.get("name", str)
    if name != root.name:
        raise top._fail("name", f"{name!r} differs from the directory name {root.name!r}")
    stack = top.get("stack", str)
    if stack not in STACKS:
        raise top._fail("stack", f"{stack!r} is not one of {', '.join(STACKS)}")
    port = top.get("port", int)
    if not 0 < port < 65536:
        raise top._fail("port", f"{port} is not a TCP port")
    health_path = top.get("health_path", str)
    if not health_path.startswith("/"):
        raise top._fail("health_path", f"{health_path!r} must start with '/'")
    registry_only = top.get("registry_only", bool, required=False, default=False)
    registry_reason = top.get("registry_reason", str, required=registry_only)

    # Dockerfiles
    dfs = top.table("dockerfiles")
    assert dfs is not None
    for role in VARIANTS:
        dfs.get(role, dict)
    dockerfiles = []
    for role in dfs.data:
        t = dfs.table(role)
        assert t is not None
        t.unknown({"path", "target", "registry_only", "reason", "description"})
        spec_registry_only = t.get("registry_only", bool, required=False, default=False)
        dockerfiles.append(DockerfileSpec(
            role=role, path=t.file(root, "path"), target=t.get("target", str, required=False),
            registry_only=spec_registry_only, reason=t.get("reason", str, required=spec_registry_only),
            description=t.get("description", str, required=False)))

    # Targets
    targets = []
    tt = top.table("targets", required=False)
    for tname in (tt.data if tt else {}):
        t = tt.table(tname)
        t.unknown({"stage", "service", "port", "health_path", "dockerfiles", "description", "base"})
        roles = tuple(t.get("dockerfiles", list, required=False, default=["optimised"]))
        for r in roles:
            if r not in dfs.data:
                raise t._fail("dockerfiles", f"{r!r} is not a Dockerfile role of this sample")
        targets.append(Target(name=tname, stage=t.get("stage", str, required=False, default=tname),
                              service=t.get("service", bool, required=False, default=False),
                              port=t.get("port", int, required=False), health_path=t.get("health_path", str, required=False),
                              dockerfiles=roles, description=t.get("description", str, required=False),
                              base=t.get("base", str, required=False)))

    # Bases
    base_arg = default_base = None
    bases: list[BaseVariant] = []
    bt = top.table("bases", required=False)
    if bt is not None:
        bt.unknown({"arg", "default", "variants"})
        base_arg = bt.get("arg", str)
        default_base = bt.get("default", str)
        vt = bt.table("variants")
        for vname in vt.data:
            v = vt.table(vname)
            v.unknown({"image", "offline", "reason", "note"})
            offline = v.get("offline", bool, required=False, default=True)
            bases.append(BaseVariant(name=vname, image=v.get("image", str), offline=offline,
                                     reason=v.get("reason", str, required=not offline),
                                     note=v.get("note", str, required=False)))
        if default_base not in {b.name for b in bases}:
            raise bt._fail("default", f"{default_base!r} is not one of bases.variants")

    # Cache experiments
    ct = top.table("cache")
    ct.unknown({"touch", "dependency", "bump_from", "bump_to", "bump_dir", "bump_files", "reason"})
    dependency = ct.get("dependency", str, required=False)
    bump_dir = ct.file(root, "bump_dir", required=dependency is not None)
    bump_files = tuple(ct.get("bump_files", list, required=dependency is not None, default=[]))
    for f in bump_files:
        if not isinstance(f, str):
            raise ct._fail("bump_files", f"expected file names, got {f!r}")
        for where in (root, bump_dir):
            if not (where / f).is_file():
                raise ct._fail("bump_files", f"{f!r} does not exist in {where}")
    cache = CacheSpec(touch=ct.file(root, "touch"), dependency=dependency,
                      bump_from=ct.get("bump_from", str, required=dependency is not None),
                      bump_to=ct.get("bump_to", str, required=dependency is not None),
                      bump_dir=bump_dir, bump_files=bump_files,
                      reason=ct.get("reason", str, required=dependency is None))

    return Sample(name=name, stack=stack, description=top.get("description", str, required=False, default=""),
                  root=root, manifest=path, port=port, health_path=health_path,
                  dockerfiles=tuple(dockerfiles), targets=tuple(targets), base_arg=base_arg,
                  default_base=default_base, bases=tuple(bases), cache=cache, registry_only=registry_only,
                  registry_reason=registry_reason,
                  registry_reference=top.get("registry_reference", str, required=False))


def load(name: str) -> Sample:
    """The sample called ``name`` (its directory under ``samples_dir()``)."""
    path = samples_dir() / name / MANIFEST
    if not path.is_file():
        known = ", ".join(names()) or "(none)"
        raise SampleError(f"no sample called {name!r} ({path} does not exist)", hint=f"known samples: {known}")
    return load_manifest(path)


def names() -> list[str]:
    root = samples_dir()
    return sorted(p.parent.name for p in root.glob(f"*/{MANIFEST}")) if root.is_dir() else []


def all_samples() -> list[Sample]:
    """Every sample with a manifest, sorted by name."""
    return [load(n) for n in names()]


def samples_table(samples: list[Sample] | None = None) -> pd.DataFrame:
    """Each row is one sample: stack, port, health path, Dockerfiles, targets, base variants, cache inputs."""
    import pandas as pd

    rows = []
    for s in samples if samples is not None else all_samples():
        rows.append({
            "name": s.name, "stack": s.stack, "port": s.port, "health_path": s.health_path,
            "naive": s.dockerfile("naive").path.name, "optimised": s.dockerfile("optimised").path.name,
            "extra_dockerfiles": ", ".join(d.path.name for d in s.dockerfiles if d.role not in VARIANTS),
            "targets": ", ".join(t.name for t in s.targets),
            "base_arg": s.base_arg, "default_base": s.default_base,
            "bases": ", ".join(b.name for b in s.bases), "offline_bases": ", ".join(s.offline_bases),
            "touch": str(s.cache.touch.relative_to(s.root)), "dependency": s.cache.dependency,
            "registry_only": s.registry_only,
            "buildable_images": sum(b.buildable for b in s.builds()),
        })
    return pd.DataFrame(rows)


# --- building and running --------------------------------------------------------------------------


def image_tag(sample: Sample, variant: str = "optimised", base: str | None = None, target: str | None = None) -> str:
    """``<namespace>/<sample>:<variant>[-<base>][-<target>]``; the namespace is ``naming.namespace()``."""
    parts = [variant] + ([base] if base else []) + ([target] if target else [])
    return f"{naming.namespace()}/{sample.name}:{'-'.join(parts)}"


def check_buildable(sample: Sample, variant: str = "optimised", base: str | None = None) -> None:
    """Raise ``NeedsRegistry`` (with the manifest's reason) if this build cannot work here."""
    spec = sample.dockerfile(variant)
    if sample.registry_only:
        raise NeedsRegistry(sample.registry_reason or "needs registry access",
                            reference=sample.registry_reference)
    if spec.registry_only:
        raise NeedsRegistry(spec.reason or "needs registry access", reference=sample.registry_reference)
    if base is not None:
        variant_spec = sample.base(base)
        if not variant_spec.offline:
            raise NeedsRegistry(variant_spec.reason or "needs registry access", reference=variant_spec.image)


def build_sample(sample: Sample | str, variant: str = "optimised", base: str | None = None, *,
                 target: str | None = None, tag: str | None = None, no_cache: bool = False,
                 progress: bool = True) -> BuildResult:
    """Build one image of a sample through ``dockopt.build``.

    ``variant`` is a Dockerfile role (naive, optimised, or an extra); ``base`` a value of the
    sample's runtime-base ARG (optimised only; default: the manifest's default); ``target`` a
    ``--target`` (default: the Dockerfile's own). Raises ``NeedsRegistry`` for what cannot be built here.
    """
    from .build import build

    if isinstance(sample, str):
        sample = load(sample)
    spec = sample.dockerfile(variant)
    check_buildable(sample, variant, base)
    build_args: dict[str, str] = {}
    if base is not None:
        if variant != "optimised" or not sample.base_arg:
            raise SampleError(f"sample {sample.name!r}: a base variant applies to the optimised Dockerfile only")
        build_args[sample.base_arg] = base
    if target is not None:
        t = sample.target(target)
        if spec.role not in t.dockerfiles:
            raise SampleError(f"sample {sample.name!r}: target {target!r} is not in {spec.path.name}")
        stage = t.stage
    else:
        stage = spec.target
    labels = naming.image_labels("sample", **{
        naming.LABEL_SAMPLE: sample.name, naming.LABEL_VARIANT: variant,
        naming.LABEL_BASE: base or (sample.default_base if variant == "optimised" and sample.default_base else "")})
    return build(sample.root, dockerfile=spec.path.name, target=stage, build_args=build_args,
                 tag=tag or image_tag(sample, variant, base, target), no_cache=no_cache, labels=labels,
                 progress=progress)


def smoke(sample: Sample | str, image: str, *, target: str | None = None, timeout_s: float = 90) -> SmokeResult:
    """Start ``image``, wait for Docker's health status (if it has a HEALTHCHECK) and for HTTP 200 on
    the health path at 127.0.0.1; always removes the container. See :func:`dockopt.smoke.smoke`."""
    from .smoke import smoke as _smoke

    if isinstance(sample, str):
        sample = load(sample)
    return _smoke(sample, image, target=target, timeout_s=timeout_s)


# --- cache experiments -------------------------------------------------------------------------------


def copy_tree(sample: Sample, dest: Path | str) -> Path:
    """Copy the sample's directory to ``dest`` (for experiments that edit files); returns ``dest``."""
    dest = Path(dest)
    shutil.copytree(sample.root, dest, ignore=shutil.ignore_patterns("node_modules", "__pycache__", ".venv",
                                                                     "dist", "target", "bin", "obj"),
                    dirs_exist_ok=True)
    return dest


def touch_source(sample: Sample, tree: Path | str, marker: str = "cache experiment") -> Path:
    """Append a comment to the manifest's ``touch`` file inside ``tree`` (a copy); returns its path."""
    rel = sample.cache.touch.relative_to(sample.root)
    path = Path(tree) / rel
    comment = {".py": "#", ".toml": "#", ".txt": "#", ".html": None, ".vue": None}.get(path.suffix, "//")
    text = path.read_text(encoding="utf-8")
    if comment is None:
        line = f"\n<!-- {marker} -->\n"
    else:
        line = f"\n{comment} {marker}\n"
    path.write_text(text + line, encoding="utf-8")
    return path


def bump_dependency(sample: Sample, tree: Path | str) -> tuple[Path, ...]:
    """Replace the dependency files in ``tree`` (a copy) by their bumped versions; returns them."""
    c = sample.cache
    if c.dependency is None or c.bump_dir is None:
        raise SampleError(f"sample {sample.name!r} has no dependency to bump: {c.reason}")
    out = []
    for f in c.bump_files:
        target = Path(tree) / f
        shutil.copyfile(c.bump_dir / f, target)
        out.append(target)
    return tuple(out)


# --- sizes: naive vs optimised vs floor --------------------------------------------------------------

#: The issue's size goals: optimised at least this much smaller than naive, per stack.
SIZE_TARGETS = {"node": 0.80, "vue": 0.90, "go": 0.97, "java": 0.65, "python": 0.50}
#: The optimised image may exceed its floor (runtime base + the app's artefacts) by at most this.
FLOOR_TOLERANCE = 0.10
def base_kind(ref: str | None) -> str:
    """``upstream`` or ``stand-in`` (the image at ``ref`` is dockopt's stand-in for it); ``none`` for
    scratch; ``missing`` when the engine does not have it."""
    from . import engine
    from .bases.catalog import is_standin_of
    from .errors import ImageNotFound

    if not ref or ref == "scratch":
        return "none"
    try:
        labels = (engine.inspect_image(ref).get("Config") or {}).get("Labels") or {}
    except ImageNotFound:
        return "missing"
    return "stand-in" if is_standin_of(ref, labels) else "upstream"


def _base_size_and_layers(ref: str | None) -> tuple[int, int]:
    from . import engine

    if not ref or ref == "scratch":
        return 0, 0
    info = engine.inspect_image(ref)
    return int(info.get("Size") or 0), len((info.get("RootFS") or {}).get("Layers") or [])


def artefact_bytes(image: str, base_layers: int) -> int:
    """Bytes of the files the image adds on top of its runtime base's ``base_layers`` layers, as the
    final filesystem shows them (each path once; overwritten or deleted copies not counted)."""
    from .image import files

    df = files(image)
    added = df[(df["layer"] >= base_layers) & df["visible"] & (df["kind"] == "file")]
    return int(added["size_bytes"].sum())


def measure_sizes(samples: list[Sample] | None = None, *, progress: bool = False) -> pd.DataFrame:
    """Each row is one service of one sample built both ways (default runtime base):

    ``naive_bytes``, ``optimised_bytes``, ``reduction_pct`` against ``target_pct`` (``meets_target``);
    ``naive_base``/``runtime_base`` with their kind (upstream / stand-in / none); ``floor_bytes`` =
    runtime base + the app's artefacts (files the optimised image adds on top of its base) and
    ``floor_distance_pct`` = how far the optimised image is above that floor (``within_floor``: at
    most ``FLOOR_TOLERANCE``). Registry-only samples get a row with ``skipped`` set to the reason.
    """
    import pandas as pd

    rows = []
    for s in samples if samples is not None else all_samples():
        if s.registry_only:
            rows.append({"sample": s.name, "stack": s.stack, "service": s.name, "skipped": s.registry_reason})
            continue
        for svc in s.services("optimised"):
            naive = build_sample(s, "naive", target=svc.target, progress=progress)
            opt = build_sample(s, "optimised", target=svc.target, progress=progress)
            base_size, base_layers = _base_size_and_layers(svc.base)
            floor = base_size + artefact_bytes(opt.ref, base_layers)
            naive_base = naive.base_images[0] if naive.base_images else None
            target = SIZE_TARGETS.get(s.stack)
            reduction = 1 - opt.size_bytes / naive.size_bytes
            distance = opt.size_bytes / floor - 1 if floor else 0.0
            rows.append({
                "sample": s.name, "stack": s.stack, "service": svc.name,
                "naive_bytes": naive.size_bytes, "optimised_bytes": opt.size_bytes,
                "reduction_pct": round(100 * reduction, 1),
                "target_pct": None if target is None else round(100 * target),
                "meets_target": None if target is None else bool(reduction >= target),
                "naive_base": naive_base, "naive_base_kind": base_kind(naive_base),
                "runtime_base": svc.base, "runtime_base_kind": base_kind(svc.base),
                "floor_bytes": floor, "floor_distance_pct": round(100 * distance, 1),
                "within_floor": bool(distance <= FLOOR_TOLERANCE),
                "naive_image": naive.ref, "optimised_image": opt.ref, "skipped": None,
            })
    return pd.DataFrame(rows)
