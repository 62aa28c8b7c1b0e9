"""The sample applications under ``sample_apps/``: one manifest each, one loader for all.

Every sample directory holds a ``dockopt.toml`` describing it (schema below). ``load(name)``
turns it into a frozen :class:`Sample`: a ``dockopt.project.Project`` (its optimised Dockerfile on
the default runtime base, so every experiment takes it) with the curated metadata the manifest adds;
``all_samples()`` loads every one; ``samples_table()`` is the overview as a DataFrame. A manifest
that is missing a field, has a wrong type, or names a file that does not exist raises
``SampleError`` naming the manifest and the field. (A project's own ``dockopt.toml``, as
``dockopt init`` writes it, has the project-level fields only: see ``dockopt.project``.)

The build matrix lives here too: ``Sample.builds()`` lists every image of a sample (with the reason
where one cannot be built here) and ``build_request()`` says how to build one (Dockerfile, target,
build args, tag, labels). Nothing here talks to the engine: ``dockopt.experiments`` builds,
smoke-tests and measures.

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

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from . import content, naming
from .errors import NeedsRegistry, SampleError
from .project import MANIFEST, ManifestReader, Origin, Project, Service, read_toml

if TYPE_CHECKING:
    import pandas as pd

STACKS = ("node", "vue", "go", "python", "java", "dotnet", "monorepo")
VARIANTS = ("naive", "optimised")


def samples_dir() -> Path:
    """Where the samples live: ``$DOCKOPT_SAMPLES_DIR``, else the installed ``sample_apps/`` (``dockopt.content``)."""
    return content.samples_dir()


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


@dataclass(frozen=True, kw_only=True)
class Sample(Project):
    """A sample application: a ``Project`` (its optimised Dockerfile and default runtime base) with the
    curated metadata its ``dockopt.toml`` adds: every Dockerfile by role, service and test targets, the
    runtime-base variants, what cache experiments touch and bump, and what needs a registry."""

    stack: str
    port: int
    health_path: str
    manifest: Path
    dockerfiles: tuple[DockerfileSpec, ...]
    targets: tuple[Target, ...] = ()
    default_base: str | None = None
    bases: tuple[BaseVariant, ...] = ()
    cache: CacheSpec
    registry_only: bool = False
    registry_reason: str | None = None
    registry_reference: str | None = None

    @property
    def root(self) -> Path:
        """The sample's directory (its build context)."""
        return self.context

    def dockerfile_spec(self, role: str) -> DockerfileSpec:
        """The Dockerfile of ``role`` (naive, optimised, or an extra such as spring-boot)."""
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

    def target_spec(self, name: str) -> Target:
        """The named ``--target`` of the manifest."""
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
        return tuple(self.service(t.name) for t in targets) if targets else (self.service(),)

    def service(self, target: str | None = None) -> Service:
        """The service a ``target`` runs (default: the image itself, on the default runtime base)."""
        if target is None:
            default = self.base(self.default_base).image if self.default_base else None
            return Service(self.name, None, self.port, self.health_path, default, stay_up_s=self.stay_up_s)
        t = self.target_spec(target)
        return Service(t.name, t.name, t.port or self.port, t.health_path or self.health_path, t.base,
                       stay_up_s=self.stay_up_s)

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


def load_manifest(path: Path | str) -> Sample:
    """Load one manifest file (the directory it sits in is the sample's root)."""
    path = Path(path)
    if not path.is_file():
        raise SampleError(f"{path}: no sample manifest here", hint=f"each sample directory needs a {MANIFEST}")
    data = read_toml(path, SampleError)
    root = path.parent.resolve()
    top = ManifestReader(path, data, error=SampleError)
    top.unknown({"name", "stack", "description", "port", "health_path", "registry_only", "registry_reason",
                 "registry_reference", "dockerfiles", "targets", "bases", "cache"})

    name = top.get("name", str)
    if name != root.name:
        raise top.fail("name", f"{name!r} differs from the directory name {root.name!r}")
    stack = top.get("stack", str)
    if stack not in STACKS:
        raise top.fail("stack", f"{stack!r} is not one of {', '.join(STACKS)}")
    port = top.get("port", int)
    top.port()  # in range
    health_path = top.get("health_path", str)
    top.health_path()  # starts with "/"
    registry_only = top.get("registry_only", bool, required=False, default=False)
    registry_reason = top.get("registry_reason", str, required=registry_only)

    # Dockerfiles
    dfs = top.table("dockerfiles")
    for role in VARIANTS:
        dfs.get(role, dict)
    dockerfiles = []
    for role in dfs.data:
        t = dfs.table(role)
        t.unknown({"path", "target", "registry_only", "reason", "description"})
        spec_registry_only = t.get("registry_only", bool, required=False, default=False)
        dockerfiles.append(DockerfileSpec(
            role=role, path=t.file(root, "path"), target=t.get("target", str, required=False),
            registry_only=spec_registry_only, reason=t.get("reason", str, required=spec_registry_only),
            description=t.get("description", str, required=False)))

    # Targets
    targets = []
    tt = top.optional_table("targets") or ManifestReader(path, {}, "targets.", error=SampleError)
    for tname in tt.data:
        t = tt.table(tname)
        t.unknown({"stage", "service", "port", "health_path", "dockerfiles", "description", "base"})
        roles = tuple(t.get("dockerfiles", list, required=False, default=["optimised"]))
        for r in roles:
            if r not in dfs.data:
                raise t.fail("dockerfiles", f"{r!r} is not a Dockerfile role of this sample")
        targets.append(Target(name=tname, stage=t.get("stage", str, required=False, default=tname),
                              service=t.get("service", bool, required=False, default=False),
                              port=t.get("port", int, required=False),
                              health_path=t.get("health_path", str, required=False),
                              dockerfiles=roles, description=t.get("description", str, required=False),
                              base=t.get("base", str, required=False)))

    # Bases
    base_arg = default_base = None
    bases: list[BaseVariant] = []
    bt = top.optional_table("bases")
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
            raise bt.fail("default", f"{default_base!r} is not one of bases.variants")

    # Cache experiments
    ct = top.table("cache")
    ct.unknown({"touch", "dependency", "bump_from", "bump_to", "bump_dir", "bump_files", "reason"})
    dependency = ct.get("dependency", str, required=False)
    bump_dir = ct.optional_file(root, "bump_dir", required=dependency is not None)
    bump_files = tuple(ct.get("bump_files", list, required=dependency is not None, default=[]))
    for f in bump_files:
        if not isinstance(f, str):
            raise ct.fail("bump_files", f"expected file names, got {f!r}")
        for where in (root, bump_dir) if bump_dir else (root,):
            if not (where / f).is_file():
                raise ct.fail("bump_files", f"{f!r} does not exist in {where}")
    cache = CacheSpec(touch=ct.file(root, "touch"), dependency=dependency,
                      bump_from=ct.get("bump_from", str, required=dependency is not None),
                      bump_to=ct.get("bump_to", str, required=dependency is not None),
                      bump_dir=bump_dir, bump_files=bump_files,
                      reason=ct.get("reason", str, required=dependency is None))

    optimised = next(d for d in dockerfiles if d.role == "optimised")
    dependency_file = root / bump_files[0] if bump_files else None
    from_manifest = {"name": "name", "stack": "stack", "dockerfile": "dockerfiles.optimised.path",
                     "target": "dockerfiles.optimised.target", "port": "port", "health_path": "health_path",
                     "base_arg": "bases.arg", "touch": "cache.touch", "dependency_file": "cache.bump_files"}
    origins = {k: Origin("manifest", f"{MANIFEST}: {v}") for k, v in from_manifest.items()}
    origins["context"] = Origin("manifest", "the sample's directory")
    return Sample(name=name, stack=stack, description=top.get("description", str, required=False, default=""),
                  context=root, dockerfile=optimised.path.resolve(), target=optimised.target, manifest=path,
                  port=port, health_path=health_path, base_arg=base_arg, touch=cache.touch,
                  dependency_file=dependency_file, origins=MappingProxyType(origins),
                  dockerfiles=tuple(dockerfiles), targets=tuple(targets),
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
            "naive": s.dockerfile_spec("naive").path.name, "optimised": s.dockerfile_spec("optimised").path.name,
            "extra_dockerfiles": ", ".join(d.path.name for d in s.dockerfiles if d.role not in VARIANTS),
            "targets": ", ".join(t.name for t in s.targets),
            "base_arg": s.base_arg, "default_base": s.default_base,
            "bases": ", ".join(b.name for b in s.bases), "offline_bases": ", ".join(s.offline_bases),
            "touch": str(s.cache.touch.relative_to(s.root)), "dependency": s.cache.dependency,
            "registry_only": s.registry_only,
            "buildable_images": sum(b.buildable for b in s.builds()),
        })
    return pd.DataFrame(rows)


# --- the build matrix: what one build of a sample asks for ------------------------------------------


@dataclass(frozen=True)
class BuildRequest:
    """Everything ``dockopt.build`` needs for one image of a sample (``experiments.build_sample`` runs it)."""

    sample: str
    variant: str
    context: Path
    dockerfile: str
    target: str | None
    build_args: Mapping[str, str]
    tag: str
    labels: Mapping[str, str]


def image_tag(sample: Sample, variant: str = "optimised", base: str | None = None, target: str | None = None) -> str:
    """``<namespace>/<sample>:<variant>[-<base>][-<target>]``; the namespace is ``naming.namespace()``."""
    parts = [variant] + ([base] if base else []) + ([target] if target else [])
    return f"{naming.namespace()}/{sample.name}:{'-'.join(parts)}"


def check_buildable(sample: Sample, variant: str = "optimised", base: str | None = None) -> None:
    """Raise ``NeedsRegistry`` (with the manifest's reason) if this build cannot work here."""
    spec = sample.dockerfile_spec(variant)
    if sample.registry_only:
        raise NeedsRegistry(sample.registry_reason or "needs registry access",
                            reference=sample.registry_reference)
    if spec.registry_only:
        raise NeedsRegistry(spec.reason or "needs registry access", reference=sample.registry_reference)
    if base is not None:
        variant_spec = sample.base(base)
        if not variant_spec.offline:
            raise NeedsRegistry(variant_spec.reason or "needs registry access", reference=variant_spec.image)


def build_request(sample: Sample | str, variant: str = "optimised", base: str | None = None, *,
                  target: str | None = None, tag: str | None = None) -> BuildRequest:
    """What to build for one image of a sample: Dockerfile, ``--target``, build args, tag and labels.

    ``variant`` is a Dockerfile role (naive, optimised, or an extra); ``base`` a value of the
    sample's runtime-base ARG (optimised only; default: the manifest's default); ``target`` a
    service or test target (default: the Dockerfile's own). Raises ``NeedsRegistry`` for what
    cannot be built here and ``SampleError`` for a combination the manifest does not have.
    """
    if isinstance(sample, str):
        sample = load(sample)
    spec = sample.dockerfile_spec(variant)
    check_buildable(sample, variant, base)
    build_args: dict[str, str] = {}
    if base is not None:
        if variant != "optimised" or not sample.base_arg:
            raise SampleError(f"sample {sample.name!r}: a base variant applies to the optimised Dockerfile only")
        build_args[sample.base_arg] = base
    if target is not None:
        t = sample.target_spec(target)
        if spec.role not in t.dockerfiles:
            raise SampleError(f"sample {sample.name!r}: target {target!r} is not in {spec.path.name}")
    stage = sample.target_spec(target).stage if target is not None else spec.target
    labels = naming.image_labels("sample", **{
        naming.LABEL_SAMPLE: sample.name, naming.LABEL_VARIANT: variant,
        naming.LABEL_BASE: base or (sample.default_base if variant == "optimised" and sample.default_base else "")})
    return BuildRequest(sample=sample.name, variant=variant, context=sample.root, dockerfile=spec.path.name,
                        target=stage, build_args=build_args, tag=tag or image_tag(sample, variant, base, target),
                        labels=labels)
