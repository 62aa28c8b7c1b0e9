"""Image facts, each decided in one function here and read by every rule pack.

Two kinds of facts:

- **image facts** (``ImageFacts``, built by ``image_facts``): what one image *is*, from whatever was
  measured: the analysis (``AnalysisReport``: file table, dive's figures, secrets, packages, attack
  surface), the image config (``engine.ImageInfo`` or a raw ``Config`` mapping), and optionally a
  smoke run, compressed layer sizes and rebuilds after a source edit. A field is ``None`` when its
  source was not given (not measured), never a guess.
- **Dockerfile facts** (``declared_user``, ``secret_named_args``): what static lint can say before
  anything is built, decided by the same functions the image facts use (``runs_as_root``,
  ``is_secret_name``) so "runs as root" and "a secret-named ARG" mean the same in every pack.

Nothing here imports pandas or the engine: the command line's lint pays only for what it uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from ..dockerfile import Dockerfile, Instruction

# The sources are described by what is read of them, not imported: the analysis, the engine and the
# surface all ask this module, so it imports none of them (not even for type checkers).
SecretFinding = Any  # ``analysis_report.SecretFinding``: path, rule, layer, deleted_later, ...
FileTable = Any  # ``image.table.FileTable``


class DiveMetrics(Protocol):
    """What is read of ``dive_compat.metrics.DiveMetrics``."""

    @property
    def size_bytes(self) -> int: ...
    @property
    def efficiency(self) -> float: ...
    @property
    def wasted_bytes(self) -> int: ...
    @property
    def user_wasted_percent(self) -> float: ...


class ImageInfo(Protocol):
    """What is read of ``engine.ImageInfo``."""

    @property
    def id(self) -> str: ...
    @property
    def user(self) -> str: ...
    @property
    def healthcheck(self) -> tuple[str, ...]: ...
    @property
    def exposed_ports(self) -> tuple[str, ...]: ...
    @property
    def layers(self) -> tuple[str, ...]: ...


AnalysisReport = Any  # ``analysis_report.AnalysisReport``: image, contents, dive, secret_rows, surface


# --- runs as root ------------------------------------------------------------------------------------

ROOT_USERS = ("", "root", "0")  # the user part of Config.User that means uid 0 (empty: the runtime's default)

# Base images whose config sets a non-root user, recognisable from the reference alone (static lint
# has no image to inspect). distroless: every ``nonroot`` tag (``:nonroot``, ``:debug-nonroot``,
# ``:latest-nonroot``) sets User 65532 ("nonroot"); the other tags run as root.
_NONROOT_TAG = re.compile(r":(?:[\w.-]*-)?nonroot$")
NONROOT_BASE_USER = "65532"


def runs_as_root(user: str | None) -> bool:
    """Whether a container of an image with this ``Config.User`` runs as uid 0.

    ``""`` (unset: the runtime's default), ``root``, ``0``, and any ``root:GROUP`` / ``0:GROUP`` are root;
    a name or uid other than those is not (``nonroot``, ``65532``, ``app:app``, ``1000:0``). The one
    place this is decided: every pack, the engine's ``ImageInfo`` and the attack surface call it.
    """
    return (user or "").strip().split(":", 1)[0] in ROOT_USERS


def base_image_user(reference: str) -> str | None:
    """The ``User`` a base image is known to set from its reference alone, or None when unknown.

    Only references whose tag promises it: distroless ``...:nonroot`` (and ``debug-nonroot``) images set
    ``65532``. Anything else needs the image's config (``image_facts``).
    """
    ref = reference.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return NONROOT_BASE_USER if ":" in last and _NONROOT_TAG.search(last) else None


@dataclass(frozen=True)
class DeclaredUser:
    """The user the final stage of a Dockerfile runs as, read statically.

    ``user``: the last ``USER`` of the target's chain of stages, else what the base image is known to set
    (``base_image_user``), else None (unset: the base image's own, root unless it sets one).
    ``origin``: where the value comes from, for messages; ``instruction``: the deciding ``USER``, if any.
    """

    user: str | None
    runs_as_root: bool
    origin: str
    instruction: Instruction | None = field(default=None, compare=False)


def declared_user(dockerfile: Dockerfile, target: str | int | None = None) -> DeclaredUser:
    """What ``USER`` the target stage ends with (``DeclaredUser``), following ``FROM <stage>`` chains."""
    chain = dockerfile.chain(target)
    users = [i for st in chain for i in st.instructions if i.keyword == "USER" and i.args]
    if users:
        last = users[-1]
        return DeclaredUser(last.args[0], runs_as_root(last.args[0]), f"USER on line {last.line_start}", last)
    base = chain[0].base if chain else ""
    known = base_image_user(base)
    if known is not None:
        return DeclaredUser(known, runs_as_root(known), f"base image {base} (its nonroot tag sets User {known})")
    return DeclaredUser(None, True, "no USER: the base image's user, root unless it sets one")


# --- secret-named ARG / ENV: Docker's SecretsUsedInArgOrEnv ------------------------------------------

# BuildKit's dockerfile2llb (getSecretsRegex): a name is secret-like when one of these words is the whole
# name or one of its ``_``-separated words, and none of the allowed words is.
SECRET_NAME_WORDS = ("apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd", "secret",
                     "token")
NOT_SECRET_NAME_WORDS = ("public", "file", "version")
_SECRET_WORD = re.compile(r"(?i)(?:_|^)(?:" + "|".join(SECRET_NAME_WORDS) + r")(?:_|$)")
_ALLOWED_WORD = re.compile(r"(?i)(?:_|^)(?:" + "|".join(NOT_SECRET_NAME_WORDS) + r")(?:_|$)")


def is_secret_name(name: str) -> bool:
    """Docker's ``SecretsUsedInArgOrEnv`` name test, exactly: ``GITHUB_TOKEN``, ``GIT_KEY``, ``AUTH``,
    ``api_key``, ``SECRET_MESSAGE`` are secret-like; ``PUBLIC_TOKEN``, ``KEY_FILE``, ``TOKEN_VERSION``,
    ``TOKENIZER``, ``MONKEY`` are not (a word must stand alone between ``_`` or the ends)."""
    return bool(_SECRET_WORD.search(name)) and not _ALLOWED_WORD.search(name)


@dataclass(frozen=True)
class SecretNamedArg:
    """One ``ARG`` or ``ENV`` key that ``is_secret_name``: its instruction keyword, name and line."""

    keyword: str
    name: str
    line: int
    instruction: Instruction = field(compare=False)

    @property
    def message(self) -> str:
        """BuildKit's own wording of the check."""
        return f'Do not use ARG or ENV instructions for sensitive data ({self.keyword} "{self.name}")'


def arg_env_names(instruction: Instruction) -> list[str]:
    """The keys an ``ARG`` or ``ENV`` instruction declares (``ARG A=1 B``, ``ENV A=1 B=2``, legacy ``ENV A 1``)."""
    if instruction.keyword == "ARG":
        return [a.partition("=")[0] for a in instruction.args]
    if instruction.keyword == "ENV":
        return list(instruction.args[::2])
    return []


def secret_named_args(dockerfile: Dockerfile) -> tuple[SecretNamedArg, ...]:
    """Every secret-like ``ARG``/``ENV`` key inside a stage, as BuildKit checks them when it dispatches the
    stage (global ARGs before the first FROM are meta args: BuildKit does not check them, nor does this)."""
    out: list[SecretNamedArg] = []
    for ins in dockerfile.instructions:
        if ins.stage_index is None or ins.keyword not in ("ARG", "ENV"):
            continue
        out.extend(SecretNamedArg(ins.keyword, name, ins.line_start, ins)
                   for name in arg_env_names(ins) if is_secret_name(name))
    return tuple(out)


# --- healthcheck, history --------------------------------------------------------------------------------

def healthcheck_declared(test: Sequence[str] | None) -> bool:
    """Whether a config's ``Healthcheck.Test`` defines a check (``["NONE"]`` disables an inherited one)."""
    return bool(test) and test[0] != "NONE"  # type: ignore[index]


_UPDATE_ONLY = re.compile(r"\b(?:apt-get|apt|apk|yum|dnf)\s+update\b")
_INSTALLS = re.compile(r"\b(?:install|add|upgrade)\b")
_ADD = re.compile(r"^\s*ADD\b")


def update_only_steps(history: Iterable[str]) -> tuple[str, ...]:
    """History steps that refresh package lists without installing anything (Docker Bench 4.7)."""
    return tuple(h for h in history if _UPDATE_ONLY.search(h) and not _INSTALLS.search(h))


def add_steps(history: Iterable[str]) -> tuple[str, ...]:
    """History steps made by ``ADD`` (Docker Bench 4.9 prefers COPY)."""
    return tuple(h for h in history if _ADD.match(h))


def privileged_ports(ports: Iterable[str]) -> tuple[str, ...]:
    """Exposed ports below 1024: binding one as non-root needs a capability (Docker Bench 5.8)."""
    out = []
    for port in ports:
        number = port.split("/", 1)[0]
        if number.isdigit() and int(number) < 1024:
            out.append(port)
    return tuple(out)


# --- the image facts -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImageFacts:
    """What one image is, measured once; every rule pack reads these. ``None``: not measured.

    Config: ``user`` (``Config.User``), ``runs_as_root``, ``healthcheck`` (the ``Test``; ``()`` when none),
    ``exposed_ports``, ``layers`` (count), ``history`` (``created_by`` of each entry).
    Analysis: ``size_bytes``, dive's ``efficiency`` / ``wasted_bytes`` / ``user_wasted_percent``,
    ``secrets`` (``SecretFinding`` rows: every finding in any layer, also deleted ones), the attack
    surface (``shells``, ``package_managers``, ``compilers``, ``setuid_files``, ``setgid_files``,
    ``world_writable_dirs``), ``files`` (the file table). Runs: ``smoke`` (a ``SmokeResult``, or the
    error that stopped it), ``compressed`` (``CompressedLayers``), ``rebuilds`` (edited file -> the
    rebuild's step table, or why it could not be measured).
    """

    image: str = ""
    user: str | None = None
    runs_as_root: bool | None = None
    healthcheck: tuple[str, ...] | None = None
    exposed_ports: tuple[str, ...] | None = None
    layers: int | None = None
    history: tuple[str, ...] | None = field(default=None, repr=False)
    size_bytes: int | None = None
    efficiency: float | None = None
    wasted_bytes: int | None = None
    user_wasted_percent: float | None = None
    secrets: tuple[SecretFinding, ...] | None = field(default=None, repr=False)
    shells: tuple[str, ...] | None = None
    package_managers: tuple[str, ...] | None = None
    compilers: tuple[str, ...] | None = None
    setuid_files: tuple[str, ...] | None = field(default=None, repr=False)
    setgid_files: tuple[str, ...] | None = field(default=None, repr=False)
    world_writable_dirs: tuple[str, ...] | None = field(default=None, repr=False)
    files: FileTable | None = field(default=None, repr=False, compare=False)
    smoke: Any = field(default=None, repr=False, compare=False)
    compressed: Any = field(default=None, repr=False, compare=False)
    rebuilds: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    # runs that try what an exercise is for (criterion id → ``Probe``): a CA bundle loaded as TLS would,
    # the image's health with the app broken
    probes: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def healthcheck_declared(self) -> bool | None:
        return None if self.healthcheck is None else healthcheck_declared(self.healthcheck)

    @property
    def healthcheck_works(self) -> bool | None:
        """Whether a smoke run saw the container healthy (None: no smoke run, or no HEALTHCHECK to run)."""
        if self.smoke is None:
            return None
        if not hasattr(self.smoke, "has_healthcheck"):  # not a SmokeResult: the error that stopped the run
            return False
        return self.smoke.healthy_s is not None if self.smoke.has_healthcheck else None

    @property
    def has_shell(self) -> bool | None:
        return None if self.shells is None else bool(self.shells)

    @property
    def has_package_manager(self) -> bool | None:
        return None if self.package_managers is None else bool(self.package_managers)

    @property
    def secret_count(self) -> int | None:
        return None if self.secrets is None else len(self.secrets)

    @property
    def secret_paths(self) -> tuple[str, ...] | None:
        """Each path a secret was found in, once, in the order found."""
        return None if self.secrets is None else tuple(dict.fromkeys(str(s.path) for s in self.secrets))

    @property
    def update_only_steps(self) -> tuple[str, ...] | None:
        return None if self.history is None else update_only_steps(self.history)

    @property
    def add_steps(self) -> tuple[str, ...] | None:
        return None if self.history is None else add_steps(self.history)

    @property
    def privileged_ports(self) -> tuple[str, ...] | None:
        return None if self.exposed_ports is None else privileged_ports(self.exposed_ports)


def _config_of(info: ImageInfo | None, config: Mapping[str, Any] | None) -> dict[str, Any]:
    if config is not None:
        return dict(config)
    if info is not None:
        return {"User": info.user, "Healthcheck": {"Test": list(info.healthcheck)} if info.healthcheck else None,
                "ExposedPorts": dict.fromkeys(info.exposed_ports, {})}
    return {}


class _Secret:
    """A secret location given as a bare path (old ``evaluate_ci(secrets=[paths])`` callers)."""

    def __init__(self, path: str) -> None:
        self.path, self.rule, self.layer, self.deleted_later = path, "", -1, False


def image_facts(report: AnalysisReport | None = None, *, info: ImageInfo | None = None,
                config: Mapping[str, Any] | None = None, metrics: DiveMetrics | None = None,
                size_bytes: int | None = None, secrets: Iterable[Any] | None = None, smoke: Any = None,
                compressed: Any = None, rebuilds: Mapping[str, Any] | None = None,
                image: str | None = None, probes: Mapping[str, Any] | None = None) -> ImageFacts:
    """Every fact the given sources support, each decided once.

    ``report``: an ``AnalysisReport`` (file table, dive figures, secrets, surface, config); ``info`` /
    ``config``: the image config when there is no report (``engine.ImageInfo`` or ``Config`` as in
    ``docker image inspect``); ``metrics``: dive's figures without a report; ``size_bytes``: the image's
    size when it differs from dive's (``docker images``); ``secrets``: findings or bare paths, when not
    from the report; ``smoke``, ``compressed``, ``rebuilds``: results of those runs.
    """
    cfg = _config_of(info, config)
    layers = len(info.layers) if info is not None else None
    history: tuple[str, ...] | None = None
    files = None
    surf = None
    found: tuple[Any, ...] | None = None
    if report is not None:
        if config is None:
            cfg = dict(report.contents.image_config)
        metrics = metrics or report.dive
        history = tuple(str(h.get("created_by") or "") for h in report.contents.history)
        files = report.contents.entries
        surf = report.surface
        if surf is not None:  # the scanners ran: the secret scan is a measurement, also when it found nothing
            found = tuple(report.secret_rows)
        if layers is None:
            layers = len(report.contents.layer_info)
    if secrets is not None:
        found = tuple(s if hasattr(s, "path") else _Secret(str(s)) for s in secrets)
    has_config = report is not None or info is not None or config is not None
    user = str(cfg.get("User") or "") if has_config else None
    health = (cfg.get("Healthcheck") or {}).get("Test") if cfg else None
    return ImageFacts(
        image=image if image is not None else (report.image if report is not None else (info.id if info else "")),
        user=user, runs_as_root=None if user is None else runs_as_root(user),
        healthcheck=None if user is None else tuple(health or ()),
        exposed_ports=None if user is None else tuple(sorted(cfg.get("ExposedPorts") or {})),
        layers=layers, history=history,
        size_bytes=size_bytes if size_bytes is not None else (metrics.size_bytes if metrics is not None else None),
        efficiency=None if metrics is None else metrics.efficiency,
        wasted_bytes=None if metrics is None else metrics.wasted_bytes,
        user_wasted_percent=None if metrics is None else metrics.user_wasted_percent,
        secrets=found,
        shells=None if surf is None else surf.shells,
        package_managers=None if surf is None else surf.package_managers,
        compilers=None if surf is None else surf.compilers,
        setuid_files=None if surf is None else surf.setuid_files,
        setgid_files=None if surf is None else surf.setgid_files,
        world_writable_dirs=None if surf is None else surf.world_writable_dirs,
        files=files, smoke=smoke, compressed=compressed, rebuilds=rebuilds, probes=probes)
