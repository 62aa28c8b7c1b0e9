"""Exercise specs: ``exercises/NN-topic/exercise.toml``, loaded and validated.

An exercise folder holds ``README.md`` (the task for learners), ``exercise.toml`` (this schema),
``starter/`` (a small real app with a naive Dockerfile) and ``solution/`` (the same app with a
Dockerfile that passes). The schema::

    title = "..."                 # one line
    level = "easy"                # easy | medium | hard
    summary = "..."               # what changes, one line (``dockopt exercise list``)
    hints = ["...", "..."]        # optional: shown one at a time by ``dockopt exercise hint``, gentlest first
    chapters = ["02", "04"]       # optional: the course chapters it practises, the main one first

    [app]
    port = 3000                   # the port the app listens on in the container
    health_path = "/health"       # answers 200 when the app works
    dockerfile = "Dockerfile"     # the file learners edit (default), relative to their folder
    target = "runtime"            # optional build target

    [plant]                       # optional: files the grader adds to its copy of the learner's folder
    ".env" = "SECRET={random}\\n"  # ({random}: a fresh random value per check)

    [token]                       # optional: a credential the build needs (a fresh fake per check)
    arg = "API_TOKEN"             # offered as this build argument (as CI exposes a variable)
    secret = "api_token"          # and as this build secret, when the Dockerfile mounts one

    [[criteria]]                  # one table per criterion, graded in order
    kind = "size"                 # see KINDS
    max_bytes = 200_000_000       # the kind's threshold field (THRESHOLD_FIELD)
    hint = "..."                  # shown when the criterion fails
    id = "size"                   # optional (default: the kind), unique in the exercise
    title = "..."                 # optional (default: DEFAULT_TITLES[kind])

Nothing here builds or talks to the engine: specs are data, loaded by unit tests without one.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .. import content as shipped
from ..errors import ExerciseError
from .limits import apply_limits

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SPEC_FILE = "exercise.toml"
LEVELS = ("easy", "medium", "hard")

# kind -> the threshold field it needs (None: a fact that must be absent or true; no number to set)
THRESHOLD_FIELD: Mapping[str, str | None] = MappingProxyType({
    "size": "max_bytes",                # the image's size as the engine reports it
    "compressed_size": "max_bytes",     # its layers gzip-compressed, as a registry stores them
    "rebuild_steps": "max_steps",       # Dockerfile steps executed again after a one-line source edit
    "layers": "max_layers",             # filesystem layers of the image, its base's included
    "health": "timeout_s",              # seconds to become healthy and answer 200 (a deadline)
    "non_root": None,                   # the image's USER is not root
    "healthcheck": None,                # the image defines a HEALTHCHECK
    "no_secrets": None,                 # the secret scanner finds nothing in any layer, Env or history
    "no_shell": None,                   # no sh/bash/busybox... in the final filesystem
    "no_compiler": None,                # no gcc/cc/go/javac... in the final filesystem
    "no_package_manager": None,         # no apt/dpkg/pip/npm... in the final filesystem
    "files_absent": None,               # no file matches ``paths`` (in any layer with any_layer = true)
    "files_present": None,              # every pattern in ``paths`` matches a file of the final filesystem
    # what an exercise is *for*, tried on the running image rather than read off its files:
    "ca_bundle": "min_certs",           # the file at ``paths[0]`` holds at least this many CA certificates TLS loads
    "detects_failure": "timeout_s",     # with the app broken (``break_with``), Docker reports unhealthy in time
    "reused_after_edit": None,          # after editing ``edit``, the layers holding ``paths`` are reused (same
                                        # digest) and the edit is in the rebuilt image
})
KINDS = tuple(THRESHOLD_FIELD)

UNITS: Mapping[str, str] = MappingProxyType({
    "size": "bytes", "compressed_size": "bytes", "rebuild_steps": "steps", "layers": "layers", "health": "s",
    "non_root": "root user", "healthcheck": "missing", "no_secrets": "findings", "no_shell": "programs",
    "no_compiler": "programs", "no_package_manager": "programs", "files_absent": "paths",
    "files_present": "missing", "ca_bundle": "certificates", "detects_failure": "s",
    "reused_after_edit": "layers rebuilt",
})

DEFAULT_TITLES: Mapping[str, str] = MappingProxyType({
    "size": "image size", "compressed_size": "compressed size (as a registry stores it)",
    "rebuild_steps": "steps rerun after a source edit", "layers": "filesystem layers",
    "health": "starts and answers its health check", "non_root": "runs as a non-root user",
    "healthcheck": "defines a HEALTHCHECK", "no_secrets": "no secret in any layer, Env or history",
    "no_shell": "no shell in the runtime", "no_compiler": "no compiler in the runtime",
    "no_package_manager": "no package manager in the runtime", "files_absent": "files absent",
    "files_present": "files present", "ca_bundle": "a CA bundle TLS can verify peers with",
    "detects_failure": "the HEALTHCHECK notices a broken app",
    "reused_after_edit": "a source edit ships without rebuilding these paths",
})
# how ``detects_failure`` breaks the app: a read-only root filesystem (the app runs, but cannot write)
BREAK_WITH = ("read_only",)

_DEFAULT_HEALTH_TIMEOUT_S = 90.0
_NAME = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
_ID = re.compile(r"^[a-z][a-z0-9-]*$")
_SECRET_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_ARG_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CRITERION_KEYS = {"kind", "id", "title", "hint", "paths", "any_layer", "edit", "max_bytes", "max_steps",
                   "max_layers", "timeout_s", "min_certs", "break_with"}


@dataclass(frozen=True)
class Criterion:
    """One graded criterion: what is measured (``kind``), the limit, and the hint shown when it fails.

    ``threshold`` is the largest passing value (bytes, steps, layers; for ``health`` the deadline in
    seconds); absence kinds pass at 0 (nothing found). ``paths``: glob patterns (``*`` crosses
    ``/``) for ``files_absent``/``files_present``; a pattern also matches everything under a
    directory it names. ``edit``: the file ``rebuild_steps`` and ``reused_after_edit`` edit,
    relative to the learner's folder (``reused_after_edit``: ``paths`` are what the edit must not rebuild).
    """

    id: str
    kind: str
    title: str
    threshold: float
    unit: str
    hint: str
    paths: tuple[str, ...] = ()
    any_layer: bool = False
    edit: str | None = None
    calibrated: bool = False   # the threshold was set relative to the solution measured on this engine
    break_with: str | None = None  # detects_failure: how the app is broken (BREAK_WITH)


@dataclass(frozen=True)
class Token:
    """A credential the build needs: a fresh fake per check, offered as build argument ``arg`` and, when
    the Dockerfile mounts one, as build secret ``secret``."""

    arg: str | None
    secret: str | None


@dataclass(frozen=True)
class Exercise:
    """One exercise: its folder, the app it builds, and the criteria it is graded on."""

    name: str                  # the folder name, "01-dockerignore"
    title: str
    level: str
    summary: str
    root: Path
    port: int
    health_path: str
    dockerfile: str
    target: str | None
    criteria: tuple[Criterion, ...]
    plant: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    token: Token | None = None
    hints: tuple[str, ...] = ()
    chapters: tuple[str, ...] = ()

    @property
    def number(self) -> int:
        return int(self.name[:2])

    @property
    def topic(self) -> str:
        return self.name[3:]

    @property
    def starter(self) -> Path:
        return self.root / "starter"

    @property
    def solution(self) -> Path:
        return self.root / "solution"

    @property
    def readme(self) -> Path:
        return self.root / "README.md"

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise ExerciseError(f"exercise {self.name!r} has no criterion {criterion_id!r}",
                            hint="its criteria: " + ", ".join(c.id for c in self.criteria))


def exercises_dir() -> Path:
    """Where the exercises live: ``$DOCKOPT_EXERCISES_DIR``, else the installed ``exercises/`` (``dockopt.content``)."""
    return shipped.exercises_dir()


def names() -> list[str]:
    """Every exercise folder (``NN-topic`` holding an ``exercise.toml``), in order."""
    root = exercises_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _NAME.match(p.name) and (p / SPEC_FILE).is_file())


def resolve_name(name: str) -> str:
    """``01-dockerignore``, ``01``, ``1`` or ``dockerignore`` → the folder name; ``ExerciseError`` otherwise."""
    known = names()
    wanted = name.strip().rstrip("/").rsplit("/", 1)[-1]
    if wanted in known:
        return wanted
    matches = [n for n in known if (wanted.isdigit() and int(n[:2]) == int(wanted)) or n[3:] == wanted]
    if len(matches) == 1:
        return matches[0]
    raise ExerciseError(f"no exercise called {name!r}",
                        hint=("known exercises: " + ", ".join(known)) if known
                        else f"no exercises found under {exercises_dir()} (set DOCKOPT_EXERCISES_DIR)")


def load(name: str) -> Exercise:
    """The exercise ``name`` (see ``resolve_name``), validated, with the limits calibrated on this
    engine where ``dockopt class calibrate`` wrote some (``calibrate.apply_limits``)."""
    folder = exercises_dir() / resolve_name(name)
    return apply_limits(load_spec(folder / SPEC_FILE))


def all_exercises() -> list[Exercise]:
    return [load(n) for n in names()]


class _Fields:
    """Reads one TOML table with errors that name the file and the field."""

    def __init__(self, path: Path, data: Mapping[str, Any], prefix: str = "") -> None:
        self.path, self.data, self.prefix = path, data, prefix

    def error(self, key: str, problem: str, hint: str | None = None) -> ExerciseError:
        return ExerciseError(f"{self.path}: field {self.prefix}{key}: {problem}", hint=hint)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False) -> Any:
        if key not in self.data:
            if required:
                raise self.error(key, "missing")
            return default
        value = self.data[key]
        # TOML booleans are not numbers here, even though bool is an int in Python
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.error(key, f"expected {_kind_name(kind)}, got {value!r}")
        if not isinstance(value, kind):
            raise self.error(key, f"expected {_kind_name(kind)}, got {value!r}")
        return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
                        "list": "a list", "dict": "a table"}.get(k.__name__, k.__name__) for k in kinds)


def load_spec(path: str | os.PathLike[str]) -> Exercise:
    """Read and validate one ``exercise.toml``; its folder name is the exercise's name."""
    path = Path(path)
    if not path.is_file():
        raise ExerciseError(f"{path}: no exercise spec here", hint=f"each exercise folder needs a {SPEC_FILE}")
    name = path.parent.name
    if not _NAME.match(name):
        raise ExerciseError(f"{path.parent}: an exercise folder is named NN-topic (e.g. 01-dockerignore)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ExerciseError(f"{path}: not valid TOML: {exc}") from exc
    top = _Fields(path, data)
    unknown = set(data) - {"title", "level", "summary", "hints", "chapters", "app", "plant", "token", "criteria"}
    if unknown:
        raise top.error(sorted(unknown)[0], "unknown field",
                        hint="top-level fields: title, level, summary, hints, chapters, [app], [plant], [token], "
                             "[[criteria]]")
    hints = top.get("hints", list, [])
    if not all(isinstance(h, str) and h.strip() for h in hints):
        raise top.error("hints", "a list of non-empty strings, gentlest first")
    chapters = top.get("chapters", list, [])
    if not all(isinstance(c, str) and re.fullmatch(r"\d{2}", c) for c in chapters):
        raise top.error("chapters", "a list of two-digit chapter numbers, e.g. [\"02\", \"04\"]")
    level = top.get("level", str, required=True)
    if level not in LEVELS:
        raise top.error("level", f"{level!r} is not one of {', '.join(LEVELS)}")

    app = _Fields(path, top.get("app", dict, required=True), "app.")
    port = app.get("port", int, required=True)
    if not 0 < port < 65536:
        raise app.error("port", f"{port} is not a TCP port")
    health_path = app.get("health_path", str, "/health")
    if not health_path.startswith("/"):
        raise app.error("health_path", f"{health_path!r} must start with /")
    dockerfile = app.get("dockerfile", str, "Dockerfile")
    _relative(app, "dockerfile", dockerfile)

    plant = top.get("plant", dict, {})
    for rel, content in plant.items():
        _relative(_Fields(path, plant, "plant."), rel, rel)
        if not isinstance(content, str):
            raise _Fields(path, plant, "plant.").error(rel, "the file's contents must be a string")

    token = None
    if "token" in data:
        t = _Fields(path, top.get("token", dict), "token.")
        arg, secret = t.get("arg", str), t.get("secret", str)
        if arg is None and secret is None:
            raise t.error("arg", "a token needs `arg` (a build argument), `secret` (a build secret id) or both")
        if arg is not None and not _ARG_NAME.match(arg):
            raise t.error("arg", f"{arg!r} is not a build argument name")
        if secret is not None and not _SECRET_ID.match(secret):
            raise t.error("secret", f"{secret!r} is not a secret id")
        token = Token(arg=arg, secret=secret)

    raw = top.get("criteria", list, required=True)
    if not raw:
        raise top.error("criteria", "an exercise needs at least one criterion")
    criteria = tuple(_criterion(path, i, c) for i, c in enumerate(raw))
    seen: set[str] = set()
    for c in criteria:
        if c.id in seen:
            raise ExerciseError(f"{path}: two criteria are called {c.id!r}",
                                hint="give one of them its own `id = \"...\"`")
        seen.add(c.id)
    return Exercise(name=name, title=top.get("title", str, required=True), level=level,
                    summary=top.get("summary", str, ""), root=path.parent.resolve(), port=port,
                    health_path=health_path, dockerfile=dockerfile, target=app.get("target", str),
                    criteria=criteria, plant=MappingProxyType(dict(plant)), token=token, hints=tuple(hints),
                    chapters=tuple(chapters))


def _relative(fields: _Fields, key: str, value: str) -> None:
    p = Path(value)
    if not value or p.is_absolute() or ".." in p.parts:
        raise fields.error(key, f"{value!r} must be a path inside the learner's folder (relative, no '..')")


def _criterion(path: Path, index: int, raw: Any) -> Criterion:
    if not isinstance(raw, dict):
        raise ExerciseError(f"{path}: criteria[{index}] must be a table ([[criteria]])")
    f = _Fields(path, raw, f"criteria[{index}].")
    kind = f.get("kind", str, required=True)
    if kind not in THRESHOLD_FIELD:
        raise f.error("kind", f"unknown kind {kind!r}", hint="kinds: " + ", ".join(KINDS))
    unknown = set(raw) - _CRITERION_KEYS
    if unknown:
        raise f.error(sorted(unknown)[0], "unknown field")
    cid = f.get("id", str, kind.replace("_", "-"))
    if not _ID.match(cid):
        raise f.error("id", f"{cid!r}: use lower-case letters, digits and '-'")
    field_name = THRESHOLD_FIELD[kind]
    for other in ("max_bytes", "max_steps", "max_layers", "timeout_s", "min_certs"):
        if other in raw and other != field_name:
            raise f.error(other, f"does not apply to kind {kind!r}" +
                          (f" (its threshold is {field_name})" if field_name else " (it has no threshold)"))
    threshold = 0.0
    if field_name == "timeout_s":
        threshold = float(f.get("timeout_s", (int, float), _DEFAULT_HEALTH_TIMEOUT_S))
    elif field_name is not None:
        threshold = float(f.get(field_name, int, required=True))
    if threshold < 0 or (field_name == "timeout_s" and threshold == 0):
        raise f.error(field_name or "threshold", f"{threshold:g} must be positive")
    paths = tuple(f.get("paths", list, []))
    if kind == "ca_bundle":
        if len(paths) != 1 or not isinstance(paths[0], str) or not paths[0].startswith("/"):
            raise f.error("paths", "one absolute path: the CA bundle, e.g. [\"/etc/ssl/certs/ca-certificates.crt\"]")
    elif kind in ("files_absent", "files_present", "reused_after_edit"):
        if not paths or not all(isinstance(p, str) and p.startswith(("/", "*")) for p in paths):
            raise f.error("paths", "a list of absolute paths or glob patterns in the image, e.g. [\"/app/.env\"]")
    elif paths:
        raise f.error("paths", f"does not apply to kind {kind!r}")
    edit = f.get("edit", str)
    if kind in ("rebuild_steps", "reused_after_edit"):
        if edit is None:
            raise f.error("edit", "missing: the source file the check edits, relative to the learner's folder")
        _relative(f, "edit", edit)
    elif edit is not None:
        raise f.error("edit", f"does not apply to kind {kind!r}")
    any_layer = f.get("any_layer", bool, False)
    if any_layer and kind != "files_absent":
        raise f.error("any_layer", "applies to files_absent only")
    break_with = f.get("break_with", str)
    if kind == "detects_failure":
        if break_with not in BREAK_WITH:
            raise f.error("break_with", f"{break_with!r}: how to break the app, one of {', '.join(BREAK_WITH)}")
    elif break_with is not None:
        raise f.error("break_with", f"does not apply to kind {kind!r}")
    return Criterion(id=cid, kind=kind, title=f.get("title", str, DEFAULT_TITLES[kind]), threshold=threshold,
                     unit=UNITS[kind], hint=f.get("hint", str, required=True), paths=paths, any_layer=any_layer,
                     edit=edit, break_with=break_with)


def catalog() -> pd.DataFrame:
    """Each row is one exercise: ``name``, ``level``, ``title``, ``summary``, ``criteria`` (their ids)."""
    import pandas as pd

    return pd.DataFrame([{"name": e.name, "level": e.level, "title": e.title, "summary": e.summary,
                          "criteria": ", ".join(c.id for c in e.criteria)} for e in all_exercises()],
                        columns=["name", "level", "title", "summary", "criteria"])
