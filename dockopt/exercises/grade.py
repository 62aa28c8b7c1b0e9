"""Grade a learner's Dockerfile: build it, measure every criterion with the package, hand back a Scorecard.

``check(exercise, path)`` copies the learner's folder to a private place (the exercise may add
files a developer's checkout holds, ``[plant]``), builds it through ``dockopt.build`` under the run's
image namespace and labels, and measures each criterion once: the size from the build, compressed
layers (``image.compressed``), Dockerfile steps rerun after a one-line source edit (a second build of
the copy, counted from the step records), the user and HEALTHCHECK (``engine.inspect_image``),
secrets, shells, compilers, package managers and files (one ``analyze_report`` read), and health
(``smoke``: started on 127.0.0.1, Docker's health status and HTTP 200). The images are removed
afterwards unless ``keep``; the learner's folder is never written to.
"""

from __future__ import annotations

import binascii
import contextlib
import dataclasses
import fnmatch
import functools
import os
import re
import secrets as _random
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import engine, naming
from ..build import BuildResult, build
from ..errors import (
    BuildFailed,
    DockerfileError,
    DockerfileNotFound,
    DockoptError,
    EngineError,
    ExerciseError,
    NeedsRegistry,
    SmokeFailed,
)
from ..image.table import DIR, WHITEOUT
from ..units import human_bytes, human_seconds
from . import scorecard as sc
from .spec import Criterion, Exercise, load

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis_report import AnalysisReport
    from ..image.compressed import CompressedLayers
    from ..image.table import FileTable
    from ..smoke import SmokeResult

_ANALYSIS_KINDS = frozenset({"no_secrets", "no_shell", "no_compiler", "no_package_manager", "files_absent",
                             "files_present"})
_SHOWN_PATHS = 6  # paths listed in a detail


# --- inputs: the learner's folder, the private copy, fake credentials --------------------------------


def learner_folder(ex: Exercise, path: str | os.PathLike[str] | None) -> Path:
    """The folder to grade (default: the current directory); ``ExerciseError`` if it has no Dockerfile."""
    folder = Path(path if path is not None else os.getcwd()).expanduser().resolve()
    if not folder.is_dir():
        raise ExerciseError(f"{folder} is not a folder", hint="pass the folder that holds your Dockerfile")
    if not (folder / ex.dockerfile).is_file():
        raise ExerciseError(
            f"{folder} has no {ex.dockerfile} to grade for exercise {ex.name}",
            hint=f"copy the starter (cp -r {ex.starter} my-{ex.topic}), edit its {ex.dockerfile}, and pass "
                 f"that folder: --path my-{ex.topic}; --path {ex.solution} shows a passing one")
    return folder


def random_value(n_bytes: int = 18) -> str:
    """A random, credential-shaped value (URL-safe base64)."""
    while True:
        value = _random.token_urlsafe(n_bytes)
        if re.search(r"\d", value) and re.search(r"[A-Z]", value) and re.search(r"[a-z]", value):
            return value


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def fake_github_token() -> str:
    """A made-up GitHub personal access token in the real format (``ghp_`` + 30 random base62
    characters + their CRC32 in 6 base62 characters): what secret scanners recognise, valid nowhere."""
    body = "".join(_random.choice(_BASE62) for _ in range(30))
    n, check = binascii.crc32(body.encode()), ""
    for _ in range(6):
        n, digit = divmod(n, 62)
        check = _BASE62[digit] + check
    return f"ghp_{body}{check}"


def private_copy(ex: Exercise, folder: Path, dest: Path) -> Path:
    """Copy ``folder`` to ``dest`` and add the exercise's ``[plant]`` files; returns ``dest``."""
    shutil.copytree(folder, dest, symlinks=True)
    for rel, content in ex.plant.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        # each {random} gets its own value, fresh on every check
        target.write_text(re.sub(r"\{random\}", lambda _: random_value(), content), encoding="utf-8")
    return dest


def image_tag(ex: Exercise, learner: str, suffix: str = "") -> str:
    """``<namespace>/exercise-<name>:<learner>[-<suffix>]`` (a valid tag whatever the learner's folder is called)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", learner).strip("-.") or "learner"
    tag = f"{slug[:100]}-{suffix}" if suffix else slug[:120]
    return f"{naming.namespace()}/exercise-{ex.name}:{tag}"


def _labels(ex: Exercise) -> dict[str, str]:
    return naming.image_labels("exercise", **{naming.LABEL_EXERCISE: ex.name})


def _mounted_secrets(dockerfile: Path) -> set[str]:
    """Ids of the build secrets the Dockerfile mounts (``RUN --mount=type=secret``)."""
    from ..dockerfile import parse

    try:
        parsed = parse(dockerfile)
    except DockoptError:  # the build reports a broken Dockerfile with its line
        return set()
    ids = set()
    for instruction in parsed.instructions:
        for mount in instruction.mounts:
            if mount.get("type") == "secret":
                ids.add(mount.get("id") or os.path.basename(mount.get("target", "")))
    return ids


def _build(ex: Exercise, context: Path, tag: str, secret_dir: Path, token: str | None, progress: bool) -> BuildResult:
    kwargs: dict[str, Any] = {}
    build_args: dict[str, str] = {}
    if ex.token is not None and token is not None:
        if ex.token.arg:
            build_args[ex.token.arg] = token
        if ex.token.secret and ex.token.secret in _mounted_secrets(context / ex.dockerfile):
            secret_file = secret_dir / ex.token.secret
            secret_file.write_text(token, encoding="utf-8")
            kwargs["secrets"] = {ex.token.secret: str(secret_file)}
    return build(context, dockerfile=ex.dockerfile, target=ex.target, tag=tag, build_args=build_args or None,
                 labels=_labels(ex), progress=progress, **kwargs)


# --- measurements: one function per kind, over facts the package measured -----------------------------


def _paths_text(paths: Iterable[str]) -> str:
    paths = list(paths)
    shown = ", ".join(paths[:_SHOWN_PATHS])
    return shown + (f" and {len(paths) - _SHOWN_PATHS} more" if len(paths) > _SHOWN_PATHS else "")


def at_most(c: Criterion, value: float, shown: str, detail: str = "") -> sc.Measurement:
    return sc.Measurement(value, value <= c.threshold, shown, detail)


def measure_bytes(c: Criterion, size_bytes: int, detail: str = "") -> sc.Measurement:
    return at_most(c, size_bytes, human_bytes(size_bytes), detail)


def measure_count(c: Criterion, found: list[str], what: str) -> sc.Measurement:
    """An absence criterion: passes when ``found`` is empty."""
    return sc.Measurement(len(found), not found, "none found" if not found else f"{len(found)} {what} found",
                          _paths_text(found))


def outermost(paths: Iterable[str]) -> dict[str, int]:
    """Each path not inside another of ``paths``, with how many of ``paths`` it holds (itself included)."""
    out: dict[str, int] = {}
    top: str | None = None
    for p in sorted(paths):
        if top is not None and p.startswith(top.rstrip("/") + "/"):
            out[top] += 1
        else:
            top = p
            out[p] = 1
    return out


def matches(path: str, pattern: str) -> bool:
    """``pattern`` (``*`` crosses ``/``) matches ``path``, or names a directory ``path`` is inside."""
    return fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern.rstrip("/") + "/")


def matching_paths(table: FileTable, patterns: Iterable[str], *, any_layer: bool,
                   files_only: bool = False) -> list[str]:
    """Paths of entries matching any pattern: in any layer (what ships, even if a later layer hides it)
    or only in the final filesystem; whiteouts are never matches."""
    pats = list(patterns)
    out: dict[str, None] = {}
    for i, path in enumerate(table.path):
        kind = table.kind[i]
        if kind == WHITEOUT or (files_only and kind == DIR) or (not any_layer and not table.visible[i]):
            continue
        if any(matches(path, p) for p in pats):
            out[path] = None
    return list(out)


def measure_files_absent(c: Criterion, table: FileTable) -> sc.Measurement:
    """Counts the outermost matches (``/app/.git``, not each file in it); the detail says how many entries each holds
    and whether a later layer deleted them (they still ship: a pull downloads every layer)."""
    found = outermost(matching_paths(table, c.paths, any_layer=c.any_layer))
    visible = set(matching_paths(table, c.paths, any_layer=False)) if c.any_layer else set(found)
    hidden = [p for p in found if p not in visible]
    words = []
    for path, n in found.items():
        notes = [f"{n} entries"] if n > 1 else []
        if path in hidden and len(hidden) < len(found):
            notes.append("deleted by a later layer, still shipped")
        words.append(f"{path} ({', '.join(notes)})" if notes else path)
    m = measure_count(c, words, "path" if len(words) == 1 else "paths")
    if hidden and len(hidden) == len(found):
        return sc.Measurement(m.value, m.passed, m.shown, "all deleted by a later layer, still shipped: " + m.detail)
    return m


def measure_files_present(c: Criterion, table: FileTable) -> sc.Measurement:
    missing = [p for p in c.paths if not matching_paths(table, [p], any_layer=False)]
    return sc.Measurement(len(missing), not missing, "all present" if not missing else f"{len(missing)} missing",
                          ("missing: " + _paths_text(missing)) if missing else "")


def measure_secrets(c: Criterion, findings: Iterable[Any]) -> sc.Measurement:
    """``findings``: ``AnalysisReport.secret_rows`` (path, rule, layer, deleted_later); counts every finding,
    lists each place once."""
    places: dict[str, int] = {}
    for f in findings:
        key = f"{f.path} ({f.rule}, layer {f.layer}{', deleted later, still shipped' if f.deleted_later else ''})"
        places[key] = places.get(key, 0) + 1
    n = sum(places.values())
    detail = _paths_text(f"{k} ×{v}" if v > 1 else k for k, v in places.items())
    return sc.Measurement(n, n == 0, "none found" if n == 0 else f"{n} secret{'s' if n > 1 else ''} found", detail)


def measure_user(c: Criterion, user: str, runs_as_root: bool) -> sc.Measurement:
    shown = f"root (USER {user})" if runs_as_root and user else ("root (no USER)" if runs_as_root else f"USER {user}")
    return sc.Measurement(1 if runs_as_root else 0, not runs_as_root, shown)


def measure_healthcheck(c: Criterion, healthcheck: tuple[str, ...]) -> sc.Measurement:
    defined = bool(healthcheck) and healthcheck[0] != "NONE"
    shown = "defined" if defined else ("disabled (NONE)" if healthcheck else "none")
    return sc.Measurement(0 if defined else 1, defined, shown, " ".join(healthcheck[1:])[:200] if defined else "")


def measure_rebuild(c: Criterion, steps: Any) -> sc.Measurement:
    """``steps``: ``BuildResult.dockerfile_steps`` of the rebuild after the edit."""
    executed = steps[~steps["cached"].astype(bool)]
    names = []
    for r in executed.to_dict("records"):
        stage = f"{r['stage']} " if isinstance(r["stage"], str) and r["stage"] else ""  # None or NaN: unnamed
        names.append(f"[{stage}{r['index']}/{r['total']}] {r['instruction']}")
    n = len(names)
    return at_most(c, n, f"{n} step" + ("" if n == 1 else "s"), ("rerun: " + "; ".join(names)) if names else "")


def measure_health(c: Criterion, result: SmokeResult) -> sc.Measurement:
    ready = result.healthy_s if result.has_healthcheck and result.healthy_s is not None else result.http_ok_s
    if ready is None:  # ready by another check (the process staying up): docker run to ready
        ready = result.ready_s
    shown = f"{'healthy' if result.has_healthcheck else 'HTTP 200'} after {human_seconds(ready)}"
    detail = (f"HTTP {result.http_status} on {result.health_path} after {human_seconds(result.http_ok_s)}"
              + (f"; Docker reported healthy after {human_seconds(result.healthy_s)}" if result.has_healthcheck
                 else "; no HEALTHCHECK, so only the HTTP answer was checked"))
    return at_most(c, ready, shown, detail)


class _Facts:
    """What one graded image is, measured once each, on first use."""

    def __init__(self, ex: Exercise, result: BuildResult, work: Path, tag: str, progress: bool,
                 created: list[str], build_again: Any) -> None:
        self.ex, self.result, self.work, self.tag, self.progress = ex, result, work, tag, progress
        self.created, self.build_again = created, build_again

    @functools.cached_property
    def info(self) -> engine.ImageInfo:
        return engine.inspect_image(self.tag)

    @functools.cached_property
    def report(self) -> AnalysisReport:
        from ..analysis_report import analyze_report

        return analyze_report(self.tag, build=self.result)

    @functools.cached_property
    def compressed(self) -> CompressedLayers:
        from ..image.compressed import compressed_layers

        return compressed_layers(self.tag)

    @functools.cached_property
    def smoke(self) -> SmokeResult | SmokeFailed | EngineError:
        from ..samples import Service
        from ..smoke import smoke

        timeout = max((c.threshold for c in self.ex.criteria if c.kind == "health"), default=90.0)
        try:
            return smoke(self.tag, Service(name=self.ex.name, target=self.ex.target, port=self.ex.port,
                                           health_path=self.ex.health_path), timeout_s=timeout)
        except (SmokeFailed, EngineError) as exc:  # EngineError: the runtime refused to start it (no such ENTRYPOINT)
            return exc

    def measure(self, c: Criterion) -> sc.Measurement:
        kind = c.kind
        if kind == "size":
            return measure_bytes(c, self.result.size_bytes)
        if kind == "compressed_size":
            comp = self.compressed
            return measure_bytes(c, comp.total_bytes,
                                 f"{human_bytes(sum(comp.layer_bytes))} of layers, gzip level 6, "
                                 f"in {len(comp.layer_bytes)} layers")
        if kind == "layers":
            n = len(self.info.layers)
            return at_most(c, n, f"{n} layer" + ("" if n == 1 else "s"))
        if kind == "non_root":
            return measure_user(c, self.info.user, self.info.runs_as_root)
        if kind == "healthcheck":
            return measure_healthcheck(c, self.info.healthcheck)
        if kind == "health":
            outcome = self.smoke
            if isinstance(outcome, EngineError):
                said = outcome.message.split("the engine refused: ")[-1]
                said = said.split("unable to start container process: ")[-1]  # runc's words, past its prefixes
                return sc.Measurement(None, False, "did not start", f"the container could not start: {said}")
            if isinstance(outcome, SmokeFailed):
                logs = [x.strip() for x in outcome.logs.strip().splitlines()[-3:]]
                said = f"; its log ends: {' | '.join(logs)}" if logs else "; it logged nothing"
                return sc.Measurement(None, False, "not healthy", outcome.message.splitlines()[0] + said)
            return measure_health(c, outcome)
        if kind == "rebuild_steps":
            return self.measure_rebuild(c)
        if kind in _ANALYSIS_KINDS:
            r = self.report
            surface = r.surface
            if kind == "no_secrets":
                return measure_secrets(c, r.secret_rows)
            if kind == "files_absent":
                return measure_files_absent(c, r.contents.entries)
            if kind == "files_present":
                return measure_files_present(c, r.contents.entries)
            assert surface is not None  # scanners ran
            found = {"no_shell": surface.shells, "no_compiler": surface.compilers,
                     "no_package_manager": surface.package_managers}[kind]
            return measure_count(c, list(found), "program" if len(found) == 1 else "programs")
        raise ExerciseError(f"criterion kind {kind!r} has no measurement")  # spec validation prevents this

    def measure_rebuild(self, c: Criterion) -> sc.Measurement:
        assert c.edit is not None
        edited = self.work / c.edit
        if not edited.is_file():
            return sc.not_measured(f"{c.edit} is not in your folder: the check appends a comment to it to see "
                                   "what a source edit reruns")
        # A new text every time: an edit BuildKit has seen before (an earlier check) would be a cache hit.
        append_comment(edited, f"edited by dockopt exercise check {_random.token_hex(8)}")
        tag = self.tag + "-edited"
        try:
            again = self.build_again(tag)
        except DockoptError as exc:
            return sc.not_measured(f"the rebuild after editing {c.edit} failed: {exc.message.splitlines()[0]}")
        self.created.append(tag)
        return measure_rebuild(c, again.dockerfile_steps)


_COMMENT = {".py": ("#", ""), ".sh": ("#", ""), ".toml": ("#", ""), ".txt": ("#", ""), ".yaml": ("#", ""),
            ".yml": ("#", ""), ".conf": ("#", ""), ".html": ("<!--", " -->"), ".vue": ("<!--", " -->"),
            ".css": ("/*", " */")}


def append_comment(path: Path, text: str) -> None:
    """Append a one-line comment in the file's own syntax (``//`` unless its suffix says otherwise)."""
    opening, closing = _COMMENT.get(path.suffix, ("//", ""))
    with path.open("a", encoding="utf-8") as f:
        f.write(f"\n{opening} {text}{closing}\n")


# --- the check -----------------------------------------------------------------------------------------


def not_graded(ex: Exercise, folder: str | os.PathLike[str], reason: str, *, short: str | None = None,
               learner: str | None = None) -> sc.Scorecard:
    """The scorecard of a folder that could not be graded (no Dockerfile, a failed build): every criterion
    failed, not measured because of ``short`` (default: the first line of ``reason``), ``reason`` in
    ``build_error``."""
    rows = [sc.row(c, sc.not_measured(short or reason.splitlines()[0])) for c in ex.criteria]
    return sc.Scorecard(exercise=ex.name, title=ex.title, path=str(folder), learner=learner or Path(folder).name,
                        image=None, build_error=reason, build_s=None, check_s=0.0, bases=(), criteria=sc.frame(rows))


def check(exercise: Exercise | str, path: str | os.PathLike[str] | None = None, *, learner: str | None = None,
          keep: bool = False, progress: bool = True) -> sc.Scorecard:
    """Grade the Dockerfile in ``path`` (default: the current directory) against ``exercise``.

    Builds a private copy, measures every criterion, removes the images it made unless ``keep``.
    A Dockerfile that does not build is a scorecard with ``build_error`` (every criterion failed),
    not an exception. Raises ``ExerciseError`` for an unknown exercise or a folder without the
    Dockerfile, ``EngineUnavailable`` when no engine answers.
    """
    ex = exercise if isinstance(exercise, Exercise) else load(exercise)
    folder = learner_folder(ex, path)
    who = learner or folder.name
    started = time.monotonic()
    tag = image_tag(ex, who)
    created: list[str] = []
    with tempfile.TemporaryDirectory(prefix=f"dockopt-exercise-{ex.name}-") as tmp:
        work = private_copy(ex, folder, Path(tmp) / "context")
        secret_dir = Path(tmp) / "secrets"  # outside the build context
        secret_dir.mkdir()
        token = fake_github_token() if ex.token is not None else None
        try:
            try:
                result = _build(ex, work, tag, secret_dir, token, progress)
            except (BuildFailed, DockerfileError, DockerfileNotFound, NeedsRegistry) as exc:
                # the learner knows their folder, not the private copy the build ran in
                reason = str(exc).replace(str(work), str(folder))
                card = not_graded(ex, folder, reason, short="the Dockerfile did not build", learner=who)
                return dataclasses.replace(card, check_s=round(time.monotonic() - started, 2))
            created.append(tag)

            def build_again(edited_tag: str) -> BuildResult:
                return _build(ex, work, edited_tag, secret_dir, token, progress)

            facts = _Facts(ex, result, work, tag, progress, created, build_again)
            rows = [sc.row(c, facts.measure(c)) for c in ex.criteria]
            return sc.Scorecard(exercise=ex.name, title=ex.title, path=str(folder), learner=who,
                                image=tag, build_error=None, build_s=round(result.wall_s, 2),
                                check_s=round(time.monotonic() - started, 2), bases=result.base_images,
                                criteria=sc.frame(rows), kept=keep)
        finally:
            if not keep:
                for t in created:
                    # best effort: an image in use stays, tagged and labelled as the run's
                    with contextlib.suppress(DockoptError):
                        engine.remove_image(t, force=True)
