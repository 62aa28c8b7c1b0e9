"""Grade a learner's Dockerfile: build it, measure every criterion with the package, hand back a Scorecard.

``check(exercise, path)`` copies the learner's folder to a private place (the exercise may add
files a developer's checkout holds, ``[plant]``), builds it through ``dockopt.build`` under the run's
image namespace and labels, and measures each criterion once: the size from the build, compressed
layers (``image.compressed``), Dockerfile steps rerun after a one-line source edit (a second build of
the copy, counted from the step records) and whether that rebuild reused the layers holding the
dependencies (their digests) and holds the edit, the user and HEALTHCHECK (``engine.inspect_image``),
secrets, shells, compilers, package managers and files (one ``analyze_report`` read), and health
(``smoke``: started on 127.0.0.1, Docker's health status and HTTP 200). The images are removed
afterwards unless ``keep``; the learner's folder is never written to.
"""

from __future__ import annotations

import binascii
import contextlib
import dataclasses
import functools
import os
import re
import secrets as _random
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import engine, naming
from ..build import BuildResult, build
from ..checks.facts import ImageFacts, image_facts
from ..checks.packs import exercise as pack
from ..checks.rule import Outcome
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
from ..units import human_bytes, human_seconds
from ..workspace import Workspace, copy_whole, edit_file, editable
from . import scorecard as sc
from .spec import Criterion, Exercise, load

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis_report import AnalysisReport
    from ..image.compressed import CompressedLayers
    from ..image.table import FileTable
    from ..smoke import SmokeResult

# which source measures which fact: the analysis (one read of the image) or the engine's inspect
_ANALYSIS_FACTS = frozenset({"secrets", "shells", "compilers", "package_managers", "files"})
_CONFIG_FACTS = frozenset({"runs_as_root", "user", "healthcheck", "layers", "exposed_ports"})


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
    return plant(ex, copy_whole(folder, dest))


def plant(ex: Exercise, dest: Path) -> Path:
    """Add the exercise's ``[plant]`` files to ``dest`` (a private copy); returns ``dest``."""
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


# --- measurements: the exercise pack's rules (dockopt.checks.packs.exercise), as scorecard rows ----------


def _measurement(outcome: Outcome) -> sc.Measurement:
    return sc.Measurement(outcome.value, outcome.passed, outcome.message, outcome.detail)


def at_most(c: Criterion, value: float, shown: str, detail: str = "") -> sc.Measurement:
    return _measurement(pack.at_most(c, value, shown, detail))


def measure_bytes(c: Criterion, size_bytes: int, detail: str = "") -> sc.Measurement:
    return at_most(c, size_bytes, human_bytes(size_bytes), detail)


def measure_count(c: Criterion, found: list[str], what: str) -> sc.Measurement:
    """An absence criterion: passes when ``found`` is empty."""
    return _measurement(pack.count_absent(found, what))


def measure_files_absent(c: Criterion, table: FileTable) -> sc.Measurement:
    return _measurement(pack.files_absent(c, table))


def measure_files_present(c: Criterion, table: FileTable) -> sc.Measurement:
    return _measurement(pack.files_present(c, table))


def measure_secrets(c: Criterion, findings: Iterable[Any]) -> sc.Measurement:
    return _measurement(pack.secrets_absent(findings))


def measure_user(c: Criterion, user: str, runs_as_root: bool) -> sc.Measurement:
    return _measurement(pack.user_not_root(user, runs_as_root))


def measure_healthcheck(c: Criterion, healthcheck: tuple[str, ...]) -> sc.Measurement:
    return _measurement(pack.healthcheck_defined(healthcheck))


def measure_rebuild(c: Criterion, steps: Any) -> sc.Measurement:
    """``steps``: ``BuildResult.dockerfile_steps`` of the rebuild after the edit."""
    return _measurement(pack.rebuild_steps(c, steps))


def measure_health(c: Criterion, result: SmokeResult) -> sc.Measurement:
    return _measurement(pack.healthy_in_time(c, result))


outermost, matches, matching_paths = pack.outermost, pack.matches, pack.matching_paths


class _Facts:
    """What one graded image is, measured once each, on first use."""

    def __init__(self, ex: Exercise, result: BuildResult, work: Path, tag: str, progress: bool,
                 created: list[str], build_again: Any) -> None:
        self.ex, self.result, self.work, self.tag, self.progress = ex, result, work, tag, progress
        self.created, self.build_again = created, build_again
        self._rebuilt: dict[str, tuple[str, BuildResult, str] | str] = {}

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

    @functools.cached_property
    def facts(self) -> ImageFacts:
        """The image's facts, measuring only what the exercise's criteria read."""
        needs = pack.reads(self.ex.criteria)
        return image_facts(
            self.report if needs & _ANALYSIS_FACTS else None,
            info=self.info if needs & _CONFIG_FACTS else None, size_bytes=self.result.size_bytes,
            smoke=self.smoke if "smoke" in needs else None,
            compressed=self.compressed if "compressed" in needs else None,
            rebuilds={c.edit: self.rebuild(c) for c in self.ex.criteria if c.kind == "rebuild_steps" and c.edit},
            image=self.tag, probes=self.probes if "probes" in needs else None)

    @functools.cached_property
    def probes(self) -> dict[str, Any]:
        """Criterion id → what a run that tries the exercise's goal measured (``packs.exercise.Probe``)."""
        out: dict[str, Any] = {}
        for c in self.ex.criteria:
            if c.kind == "ca_bundle":
                out[c.id] = ca_bundle_probe(self.tag, c.paths[0])
            elif c.kind == "detects_failure":
                out[c.id] = broken_app_probe(self.tag, c.threshold)
            elif c.kind == "reused_after_edit":
                out[c.id] = self.reuse(c)
        return out

    def measure(self, c: Criterion) -> sc.Measurement:
        return _measurement(pack.measure(c, self.facts))

    def rebuild(self, c: Criterion) -> Any:
        """The rebuild's step table after a one-line edit of ``c.edit``, or why it could not be measured."""
        again = self.rebuilt(c)
        return again if isinstance(again, str) else again[1].dockerfile_steps

    def rebuilt(self, c: Criterion) -> tuple[str, BuildResult, str] | str:
        """The image rebuilt after a one-line edit of ``c.edit`` (tag, build, the text the edit added), once per
        edited file, or why it could not be built."""
        assert c.edit is not None
        if c.edit not in self._rebuilt:
            self._rebuilt[c.edit] = self._rebuild_after_edit(c.edit)
        return self._rebuilt[c.edit]

    def _rebuild_after_edit(self, edit: str) -> tuple[str, BuildResult, str] | str:
        edited = self.work / edit
        if not edited.is_file():
            return (f"{edit} is not in your folder: the check appends a comment to it to see "
                    "what a source edit reruns")
        if not editable(edited):
            return f"dockopt does not know how to add a comment to {edit} safely"
        # A new text every time: an edit BuildKit has seen before (an earlier check) would be a cache hit.
        marker = f"edited by dockopt exercise check {_random.token_hex(8)}"
        append_comment(edited, marker)
        tag = self.tag + "-edited"
        try:
            again = self.build_again(tag)
        except DockoptError as exc:
            return f"the rebuild after editing {edit} failed: {exc.message.splitlines()[0]}"
        self.created.append(tag)
        return tag, again, marker

    def reuse(self, c: Criterion) -> pack.Probe | str:
        """``reused_after_edit``: the layers holding ``c.paths`` against the rebuild's, and the edit in it."""
        again = self.rebuilt(c)
        if isinstance(again, str):
            return again
        tag, _, marker = again
        contents = self.report.contents
        layers = self.info.layers if len(self.info.layers) == contents.entries.n_layers else \
            tuple(str(li.digest) for li in contents.layer_info)
        return reuse_probe(contents.entries, layers, tag, c.paths, c.edit or "", marker)


def reuse_probe(table: FileTable, layers: tuple[str, ...], edited: str, paths: Iterable[str], edit: str,
                marker: str) -> pack.Probe:
    """Which layers of the image hold ``paths`` (in its final filesystem) and whether the image ``edited`` (rebuilt
    after appending ``marker`` to ``edit``) still has each, by digest; and whether ``marker`` is in that image at a
    path ending in ``/edit``. ``value``: the layers rebuilt; ``noticed``: the edit is in the rebuilt image."""
    import io
    import tarfile

    from ..image.table import DIR, FILE, WHITEOUT

    pats = list(paths)
    holding: dict[int, None] = {}
    candidates: list[str] = []
    for i, path in enumerate(table.path):
        if not table.visible[i] or table.kind[i] == WHITEOUT:
            continue
        if table.kind[i] != DIR and any(matches(path, p) for p in pats):
            holding[table.layer[i]] = None
        if table.kind[i] == FILE and path.endswith("/" + edit.lstrip("./")):
            candidates.append(path)
    if not holding:
        return pack.Probe(0, "not in the image", f"nothing at {pack.paths_text(pats)} in the image: "
                          "nothing the edit could have left alone", noticed=False)
    now = set(engine.inspect_image(edited).layers)
    rebuilt = [i for i in holding if layers[i] not in now]
    shipped = False
    for path in candidates:
        with contextlib.suppress(DockoptError, tarfile.TarError):
            with tarfile.open(fileobj=io.BytesIO(engine.copy_from_image(edited, path))) as tar:
                member = next((m for m in tar.getmembers() if m.isfile()), None)
                data = tar.extractfile(member).read() if member is not None else b""  # type: ignore[union-attr]
            if marker.encode() in data:
                shipped = True
                break
    where = pack.paths_text(pats)
    if not shipped:
        said = (f"{edit} is not in the image" if not candidates else
                f"the edited {edit} is not in the rebuilt image ({pack.paths_text(candidates)} is the old one)")
        return pack.Probe(len(rebuilt), "edit not shipped", said + ": the edit must reach the image", noticed=False)
    n = len(rebuilt)
    if n:
        return pack.Probe(n, f"{n} layer{'' if n == 1 else 's'} rebuilt",
                          f"{where} rebuilt after editing {edit}: the layer{'' if n == 1 else 's'} holding "
                          f"{'it' if len(pats) == 1 else 'them'} changed digest (installed again)", noticed=True)
    return pack.Probe(0, "reused", f"{where}: the same {len(holding)} layer{'' if len(holding) == 1 else 's'} "
                      f"before and after editing {edit}, which is in the rebuilt image", noticed=True)


def ca_bundle_probe(image: str, path: str) -> pack.Probe:
    """How many CA certificates the file at ``path`` holds, loaded as a TLS client loads its trust store."""
    import io
    import ssl
    import tarfile

    try:
        stream = engine.copy_from_image(image, path)
    except DockoptError:
        return pack.Probe(0, "no bundle", f"{path} is not in the image")
    with tarfile.open(fileobj=io.BytesIO(stream)) as tar:
        member = next((m for m in tar.getmembers() if m.isfile()), None)
        data = tar.extractfile(member).read() if member is not None else b""  # type: ignore[union-attr]
    if not data:
        return pack.Probe(0, "0 certificates", f"{path} is empty or not a regular file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cadata=data.decode("ascii", errors="replace"))
    except ssl.SSLError as exc:
        return pack.Probe(0, "not a CA bundle", f"TLS cannot load {path}: {exc.reason or exc}")
    n = int(context.cert_store_stats().get("x509_ca", 0))
    return pack.Probe(n, f"{n} CA certificate{'' if n == 1 else 's'}", f"{path}, {human_bytes(len(data))}")


def broken_app_probe(image: str, timeout_s: float) -> pack.Probe:
    """Run ``image`` with a read-only root filesystem (the app keeps running but cannot write) and wait
    for Docker's health status to turn unhealthy: seconds until it did, or why it never did."""
    info = engine.inspect_image(image)
    if not info.healthcheck or info.healthcheck[0] == "NONE":
        return pack.Probe(0.0, "no HEALTHCHECK", "Docker has nothing to run, so a broken app looks fine", noticed=False)
    started = time.monotonic()
    status = "starting"
    with engine.running(image, read_only=True) as container:
        while time.monotonic() - started < timeout_s:
            state = engine.container_state(container.id)
            status = str((state.get("Health") or {}).get("Status") or "none")
            if status == "unhealthy":
                took = time.monotonic() - started
                return pack.Probe(round(took, 1), f"unhealthy after {human_seconds(took)}",
                                  "the app could not write (read-only filesystem) and the HEALTHCHECK said so",
                                  noticed=True)
            if not state.get("Running"):
                return pack.Probe(round(time.monotonic() - started, 1), "exited",
                                  f"the container stopped (exit {state.get('ExitCode')}) before its HEALTHCHECK said "
                                  "anything", noticed=False)
            time.sleep(1)
    return pack.Probe(round(time.monotonic() - started, 1), f"still {status} after {timeout_s:g} s",
                      "with the app unable to write, the HEALTHCHECK kept passing: it does not ask the app",
                      noticed=False)


def append_comment(path: Path, text: str) -> None:
    """Append a one-line comment in the file's own syntax (``dockopt.workspace.edit_file``)."""
    edit_file(path, relative=path.name, marker=text)


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
    with Workspace(folder, whole=True, name="context", prefix=f"dockopt-exercise-{ex.name}-") as ws:
        work = plant(ex, ws.root)
        secret_dir = ws.outside("secrets")  # outside the build context
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
