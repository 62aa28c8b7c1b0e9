"""``optimise(project)``: propose a multi-stage Dockerfile for a project and prove every change.

The proposal is climbed as a ladder over a private copy of the context (the user's folder is never
written): the original first, then one change per rung (``recipes.RUNGS``). Each rung is built,
started and checked with the project's own readiness check (``Project.service``, the same check as the
original image), a source file is edited and the rung rebuilt (``rebuild_s``), and the image is
measured (size, compressed size, packages, shell, user, credential files). A rung that does not build
or does not pass the check is dropped, its reason kept, and the later rungs climb from the last one
that held. The runtime base is chosen by building the app on each candidate this engine has and
keeping the smallest that passes.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import naming
from ..bases.catalog import probe
from ..build import BuildResult, build
from ..errors import BuildFailed, DockerfileError, DockoptError, NeedsRegistry, ProjectError, SmokeFailed
from ..project import Project, context_files
from ..smoke import smoke
from ..units import human_bytes
from ..workspace import Workspace, copy_whole
from . import ignore as ignore_mod
from . import recipes
from .facts import AppFacts, read_facts
from .recipes import CHANGES, Draft, Rendered

COLUMNS = ["step", "rung", "applied", "reason", "image", "size_bytes", "compressed_bytes", "build_s", "rebuild_s",
           "packages", "has_shell", "user", "healthy", "ready_s", "credential_files", "dockerfile_change"]
BASE_COLUMNS = ["base", "base_image", "size_bytes", "healthy", "chosen", "note"]


@dataclass(frozen=True)
class Proposal:
    """What ``optimise`` proposes for a project, and the proof.

    ``dockerfile``: the proposed Dockerfile (a comment above each block says what its change measured);
    ``dockerignore``: the proposed ``.dockerignore`` (None: the project's own needs nothing added);
    ``ladder``: each row one rung (``optimise`` docstring); ``bases``: each row one runtime base measured;
    ``diff``: unified diff of the original Dockerfile against the proposal; ``stopped``: why the climb
    stopped short of a multi-stage build (the generic stack), else None.
    """

    project: str
    context: Path
    original_path: Path
    original: str
    dockerfile: str
    dockerignore: str | None
    ladder: pd.DataFrame = field(repr=False, compare=False)
    bases: pd.DataFrame = field(repr=False, compare=False)
    diff: str = field(repr=False)
    facts: AppFacts = field(repr=False)
    image: str | None = None            # the final rung's image
    stopped: str | None = None

    @property
    def final(self) -> pd.Series:
        """The last applied rung's row."""
        applied = self.ladder[self.ladder["applied"]]
        return applied.iloc[-1]

    @property
    def baseline(self) -> pd.Series:
        return self.ladder.iloc[0]

    @property
    def size_ratio(self) -> float:
        """Final size over the original's."""
        return float(self.final["size_bytes"]) / float(self.baseline["size_bytes"])

    def write(self, *, replace: bool = True) -> list[Path]:
        """Write the proposal into the project (what ``--write`` does): the Dockerfile replaced after a
        backup to ``<name>.orig`` (``replace=False``: written beside it as ``<name>.optimised``), and the
        ``.dockerignore`` (the existing one backed up to ``.dockerignore.orig``). Never overwrites a backup:
        a second write numbers it. Returns the paths written."""
        written = []
        target = self.original_path if replace else self.original_path.with_name(self.original_path.name + ".optimised")
        if replace:
            written.append(_backup(self.original_path))
        target.write_text(self.dockerfile, encoding="utf-8")
        written.append(target)
        if self.dockerignore is not None:
            ign = self.context / ".dockerignore"
            if ign.exists():
                written.append(_backup(ign))
            ign.write_text(self.dockerignore, encoding="utf-8")
            written.append(ign)
        return written


def _backup(path: Path) -> Path:
    dest = path.with_name(path.name + ".orig")
    n = 1
    while dest.exists():
        dest = path.with_name(f"{path.name}.orig.{n}")
        n += 1
    shutil.copy2(path, dest)
    return dest


# --- the private copy ---------------------------------------------------------------------------------------


def private_copy(context: Path, dest: Path) -> Path:
    """Deprecated: ``optimise`` climbs in a ``dockopt.workspace.Workspace`` (``whole=True``); use that, or
    ``dockopt.workspace.copy_whole``, which this now calls."""
    import warnings

    warnings.warn("dockopt.optimise.private_copy is deprecated: use dockopt.workspace.Workspace(context, whole=True) "
                  "or dockopt.workspace.copy_whole", DeprecationWarning, stacklevel=2)
    return copy_whole(context, dest)


# --- measuring one image -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Measured:
    compressed_bytes: int
    packages: int
    has_shell: bool
    user: str
    credential_files: tuple[str, ...]


def _measure(image: str, layer_gzip: dict[str, tuple[int, int]]) -> _Measured:
    """The ladder experiment's file facts of ``image`` (cached on disk by its layers, so an image whose
    layers were read before costs nothing), the user from its config, and the files where the secret
    scanner found credentials."""
    from .. import engine
    from ..experiments.ladder import image_facts

    facts = image_facts(image, layer_gzip=layer_gzip)
    info = engine.inspect_image(image)
    leaked = set(facts["secret_paths"])
    return _Measured(compressed_bytes=int(facts["compressed_bytes"]), packages=int(facts["packages"]),
                     has_shell=bool(facts["shells"]), user=info.user or "root (unset)",
                     credential_files=tuple(sorted(leaked)))


# --- the climb ------------------------------------------------------------------------------------------------


@dataclass
class _Climber:
    p: Project
    facts: AppFacts
    root: Path            # the private copy of the context
    dfdir: Path           # where rung Dockerfiles go (outside the copy: never part of the context)
    touch: str | None
    progress: bool
    say: Callable[[str], None]
    rows: list[dict[str, Any]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    # gzip sizes of layers already measured (shared with the ladder experiment, kept on disk): a base's
    # layers are compressed once, not once per rung
    layer_gzip: dict[str, tuple[int, int]] = field(default_factory=dict)

    def tag(self, label: str) -> str:
        return f"{naming.namespace()}/optimise-{self.p.slug}:{label}"

    def build(self, label: str, text: str, ignore: str | None) -> BuildResult:
        path = self.dfdir / f"{label}.Dockerfile"
        path.write_text(text, encoding="utf-8")
        ign = self.root / ".dockerignore"
        if ignore is None:
            ign.unlink(missing_ok=True)
        else:
            ign.write_text(ignore, encoding="utf-8")
        labels = naming.image_labels("experiment", **{naming.LABEL_PROJECT: self.p.name})
        result = build(self.root, dockerfile=path, tag=self.tag(label), build_args=dict(self.p.build_args),
                       labels=labels, progress=self.progress)
        self.images.append(result.ref)
        return result

    def rung(self, step: int, name: str, text: str, ignore: str | None, *, change: str) -> dict[str, Any]:
        """Build, start, edit-rebuild and measure one rung; a row (``applied`` False: the reason)."""
        row: dict[str, Any] = {"step": step, "rung": name, "applied": False, "reason": None,
                               "dockerfile_change": change}
        self.say(f"rung {step} {name}: building")
        try:
            first = self.build(f"{step}-{name}", text, ignore)
        except (BuildFailed, NeedsRegistry, DockerfileError) as exc:
            row["reason"] = f"does not build: {exc.message.splitlines()[0]}"
            return row
        row.update(image=first.ref, size_bytes=first.size_bytes, build_s=round(first.wall_s, 2))
        self.say(f"rung {step} {name}: {human_bytes(first.size_bytes)}, starting")
        try:
            ran = smoke(first.ref, self.p.service(), timeout_s=90, memory=False)
        except SmokeFailed as exc:
            row.update(healthy=False, reason=f"fails the readiness check ({self.p.service().readiness}): "
                                             f"{exc.message.splitlines()[0]}")
            return row
        row.update(healthy=True, ready_s=ran.ready_s)
        row["rebuild_s"] = self.edit_rebuild(step, name, text, ignore)
        m = _measure(first.ref, self.layer_gzip)
        row.update(applied=True, compressed_bytes=m.compressed_bytes, packages=m.packages, has_shell=m.has_shell,
                   user=m.user, credential_files=", ".join(m.credential_files) or None)
        return row

    def edit_rebuild(self, step: int, name: str, text: str, ignore: str | None) -> float | None:
        """Seconds to rebuild after a one-line edit of a source file (unique per run: a warm cache must
        still redo what a real edit redoes); the file is restored afterwards."""
        if self.touch is None:
            return None
        from ..project import edit_file

        path = self.root / self.touch
        before = path.read_bytes()
        try:
            edit_file(path, relative=self.touch, marker=f"dockopt optimise {uuid.uuid4().hex}")
            again = self.build(f"{step}-{name}-edited", text, ignore)
            return round(again.wall_s, 2)
        except (BuildFailed, NeedsRegistry, DockerfileError, ProjectError):
            return None
        finally:
            path.write_bytes(before)


def _layer_gzip_path() -> Path:
    from ..experiments.ladder import _cache_dir

    return _cache_dir() / "layer-gzip.json"


def _load_layer_gzip() -> dict[str, tuple[int, int]]:
    from ..experiments.ladder import _read_json

    data = _read_json(_layer_gzip_path()) or {}
    return {k: (int(v[0]), int(v[1])) for k, v in data.items()} if isinstance(data, dict) else {}


def _save_layer_gzip(known: dict[str, tuple[int, int]]) -> None:
    from ..experiments.ladder import _read_json, _write_json

    merged = {**(_read_json(_layer_gzip_path()) or {}), **{k: list(v) for k, v in known.items()}}
    _write_json(_layer_gzip_path(), merged)


def _touch_of(p: Project, facts: AppFacts, files: frozenset[str]) -> str | None:
    """The source file a rebuild edits: the project's (manifest or argument), else the file the app starts."""
    if p.touch is not None and p.origin("touch").source in ("given", "manifest"):
        return p.relative(p.touch)
    if facts.entry and facts.entry in files:
        return facts.entry
    return p.relative(p.touch) if p.touch is not None else None


def _slim_builder(base: str) -> str:
    """The slim variant of a language image that this engine has (``node:24-bookworm`` → ``node:24-bookworm-slim``),
    else ``base`` itself."""
    repo, _, tag = base.partition(":")
    tries = []
    if tag.endswith("-bookworm"):
        tries += [f"{repo}:{tag}-slim", f"{repo}:{tag.removesuffix('-bookworm')}-slim-bookworm"]
    elif tag and "slim" not in tag:
        tries += [f"{repo}:{tag}-slim"]
    for ref in tries:
        if probe(ref).present:
            return ref
    return base


def optimise(target: Project | str | os.PathLike[str], *, dockerfile: str | os.PathLike[str] | None = None,
             stage: str | None = None, progress: bool = False, keep_images: bool = False,
             on_step: Callable[[str], None] | None = None) -> Proposal:
    """Propose a multi-stage Dockerfile (and ``.dockerignore``) for a project, each change proven by a build.

    ``target``: a ``Project``, a folder or a sample name (``experiments.resolve``); ``dockerfile`` /
    ``stage``: another Dockerfile of the context and its ``--target``. The climb works on a private copy;
    nothing of the user's is written (``Proposal.write`` does that, when asked).

    The ladder (``Proposal.ladder``): each row is one rung: ``step``, ``rung`` (``recipes.RUNGS``),
    ``applied`` (built and passed the readiness check), ``reason`` (why not applied), ``image``,
    ``size_bytes``, ``compressed_bytes`` (gzip of each layer, as a registry stores it), ``build_s``,
    ``rebuild_s`` (after a one-line edit of a source file), ``packages``, ``has_shell``, ``user``,
    ``healthy``, ``ready_s``, ``credential_files`` (credentials-like files of the context found in a layer)
    and ``dockerfile_change``. Images are removed at the end unless ``keep_images`` (the final one is
    kept either way, as ``Proposal.image``).
    """
    from ..experiments.builds import resolve

    p = resolve(target)
    if dockerfile is not None or stage is not None:
        p = p.with_dockerfile(dockerfile or p.dockerfile, target=stage)
    original = p.dockerfile.read_text(encoding="utf-8")
    say = on_step or (lambda _msg: None)
    files = context_files(p.context, p.dockerfile)
    all_files = frozenset(f.relative_to(p.context).as_posix() for f in p.context.rglob("*")
                          if f.is_file() and ".git/" not in f.relative_to(p.context).as_posix() + "/"
                          and "node_modules/" not in f.relative_to(p.context).as_posix())
    facts = read_facts(p, all_files - {".dockerignore"})
    own_ignore_path = p.dockerfile.with_name(p.dockerfile.name + ".dockerignore")
    if not own_ignore_path.is_file():
        own_ignore_path = p.context / ".dockerignore"
    own_ignore = own_ignore_path.read_text(encoding="utf-8") if own_ignore_path.is_file() else None
    ignore_text, added = ignore_mod.merged(own_ignore, ignore_mod.patterns(facts, original))
    proposed_ignore: str | None = ignore_text if added else None
    touch = _touch_of(p, facts, files)
    builder = _slim_builder(facts.base) if facts.stack in ("node", "python") else facts.base
    # The whole folder, clutter included: what a missing .dockerignore lets in is part of what is measured.
    with Workspace(p.context, whole=True, name="context", prefix="dockopt-optimise-") as ws:
        root = ws.root
        dfdir = ws.outside("dockerfiles")
        # A Dockerfile-specific ignore file in the copy would win over the context's: move it away.
        root.joinpath(p.dockerfile.name + ".dockerignore").unlink(missing_ok=True)
        if own_ignore is None:
            root.joinpath(".dockerignore").unlink(missing_ok=True)
        climber = _Climber(p, facts, root, dfdir, touch, progress, say, layer_gzip=_load_layer_gzip())
        try:
            result = _climb(climber, original, own_ignore, ignore_text if added else None, builder)
        finally:
            _save_layer_gzip(climber.layer_gzip)
        final_image = None
        for ref in climber.images:
            if ref == result["final_image"]:
                final_image = ref
            elif not keep_images:
                _remove(ref)
    ladder = pd.DataFrame(climber.rows, columns=COLUMNS)
    for col in ("size_bytes", "compressed_bytes", "packages"):
        ladder[col] = ladder[col].astype("Int64")
    bases = pd.DataFrame(result["bases"], columns=BASE_COLUMNS)
    bases["size_bytes"] = bases["size_bytes"].astype("Int64")
    text = annotate(result["rendered"], ladder, facts, result["stopped"])
    if not result["use_ignore"]:
        proposed_ignore = None
    name = p.relative(p.dockerfile)
    diff = "".join(difflib.unified_diff(original.splitlines(keepends=True), text.splitlines(keepends=True),
                                        fromfile=name, tofile=name + " (proposed)"))
    return Proposal(project=p.name, context=p.context, original_path=p.dockerfile, original=original, dockerfile=text,
                    dockerignore=proposed_ignore, ladder=ladder, bases=bases, diff=diff, facts=facts,
                    image=final_image, stopped=result["stopped"])


def _remove(ref: str) -> None:
    from .. import engine

    # still used by a container, or already gone: the session's cleanup takes it
    with contextlib.suppress(DockoptError):
        engine.remove_image(ref)


def _climb(c: _Climber, original: str, own_ignore: str | None, new_ignore: str | None, builder: str) -> dict[str, Any]:
    facts = c.facts
    step = 0
    row = c.rung(step, "original", original, own_ignore, change=CHANGES["original"])
    c.rows.append(row)
    if not row["applied"]:
        raise ProjectError(f"{c.p.name}: the original Dockerfile {row['reason']}",
                           hint="optimise compares every change with the original: make it build and pass its "
                                "readiness check first (`dockopt build`, then `dockopt report --project`)")
    current_ignore = own_ignore
    current: Rendered = Rendered((recipes.Block(tuple(original.rstrip("\n").splitlines())),))
    final_image = row["image"]
    use_ignore = False

    def attempt(name: str, rendered: Rendered | str, ignore: str | None, change: str) -> bool:
        nonlocal step, current, current_ignore, final_image
        step += 1
        if isinstance(rendered, str):
            c.rows.append({"step": step, "rung": name, "applied": False, "reason": rendered,
                           "dockerfile_change": change})
            return False
        r = c.rung(step, name, rendered.text, ignore, change=change)
        c.rows.append(r)
        if r["applied"]:
            current, current_ignore, final_image = rendered, ignore, r["image"]
        return bool(r["applied"])

    # 1. .dockerignore
    if new_ignore is None:
        step += 1
        c.rows.append({"step": step, "rung": "dockerignore", "applied": False,
                       "reason": "the project's .dockerignore already excludes what dockopt would",
                       "dockerfile_change": CHANGES["dockerignore"]})
    else:
        use_ignore = attempt("dockerignore", current, new_ignore, CHANGES["dockerignore"])
    ign = current_ignore
    stopped = None
    draft = Draft()
    bases: list[dict[str, Any]] = []
    if facts.flavour == "generic":
        stopped = (f"stack {c.p.stack or 'unknown'}: dockopt has no recipe for it, so it applied only the safe rungs "
                   "(.dockerignore, package-manager hygiene, non-root, HEALTHCHECK); a build/runtime split needs "
                   "to know what the app reads at run time")
        hy, changes = recipes.hygiene(original)
        attempt("order", recipes.generic(facts, original, hygiene_on=True, nonroot=False, healthcheck=False)
                if changes else "the RUN lines already keep no package-manager caches",
                ign, "package-manager hygiene: " + (", ".join(changes) or "nothing to change"))
        hygiene_on = c.rows[-1]["applied"]
        for name in ("multistage", "base"):
            step += 1
            c.rows.append({"step": step, "rung": name, "applied": False, "reason": stopped,
                           "dockerfile_change": CHANGES[name]})
        nonroot_ok = attempt("nonroot", recipes.generic(facts, original, hygiene_on=hygiene_on, nonroot=True,
                                                        healthcheck=False), ign, CHANGES["nonroot"])
        attempt("healthcheck", recipes.generic(facts, original, hygiene_on=hygiene_on, nonroot=nonroot_ok,
                                               healthcheck=True) if facts.port else
                "no port: nothing for a HEALTHCHECK to ask", ign, CHANGES["healthcheck"])
        return {"rendered": current, "bases": bases, "stopped": stopped, "final_image": final_image,
                "use_ignore": use_ignore}

    # 2. dependencies before sources (single stage)
    attempt("order", recipes.single_stage(facts, original), ign, CHANGES["order"])
    # 3. multi-stage on the conventional runtime
    draft = Draft(order=True, multistage=True)
    multi_ok = attempt("multistage", recipes.multistage(facts, draft, builder), ign, CHANGES["multistage"])
    # 4. runtime base by measurement
    cands = recipes.candidates(facts)
    first_row = c.rows[-1]
    measured: list[tuple[int, str]] = []
    for cand in cands:
        entry: dict[str, Any] = {"base": cand.name, "base_image": cand.reference, "chosen": False}
        if cand.skipped:
            entry["note"] = cand.skipped
        elif cand.reference != "scratch" and not probe(cand.reference).present:
            entry["note"] = "not on this engine (no registry to pull it from here)"
        elif cand.name == cands[0].name and multi_ok:
            entry.update(size_bytes=first_row["size_bytes"], healthy=True)
            measured.append((int(first_row["size_bytes"]), cand.name))
        else:
            rendered = recipes.multistage(facts, Draft(order=True, multistage=True, runtime=cand.name), builder)
            if isinstance(rendered, str):
                entry["note"] = rendered
            else:
                c.say(f"base {cand.name}: building")
                try:
                    built = c.build(f"base-{cand.name}", rendered.text, ign)
                    entry["size_bytes"] = built.size_bytes
                    smoke(built.ref, c.p.service(), timeout_s=60, memory=False)
                    entry["healthy"] = True
                    measured.append((built.size_bytes, cand.name))
                except (BuildFailed, NeedsRegistry, DockerfileError) as exc:
                    entry.update(healthy=False, note=f"does not build: {exc.message.splitlines()[0]}")
                except SmokeFailed as exc:
                    entry.update(healthy=False, note=f"fails the readiness check: {exc.message.splitlines()[0]}")
        bases.append(entry)
    if measured:
        size, best = min(measured)
        for entry in bases:
            entry["chosen"] = entry["base"] == best
        if best == cands[0].name and multi_ok:
            step += 1
            c.rows.append({"step": step, "rung": "base", "applied": False,
                           "reason": f"{best} ({cands[0].reference}) is already the smallest runtime that passes",
                           "dockerfile_change": CHANGES["base"]})
            draft = Draft(order=True, multistage=True, runtime=None)
        else:
            draft = Draft(order=True, multistage=True, runtime=best)
            chosen_ref = next(cd.reference for cd in cands if cd.name == best)
            if not attempt("base", recipes.multistage(facts, draft, builder), ign,
                           f"runtime base {best} ({chosen_ref}): the smallest of {len(measured)} that pass"):
                draft = Draft(order=True, multistage=True, runtime=None)
    else:
        step += 1
        c.rows.append({"step": step, "rung": "base", "applied": False,
                       "reason": "no runtime candidate built and passed the readiness check",
                       "dockerfile_change": CHANGES["base"]})
    if not (multi_ok or draft.runtime):
        # Without a multi-stage build the later rungs have nothing of ours to add to.
        for name in ("nonroot", "healthcheck"):
            step += 1
            c.rows.append({"step": step, "rung": name, "applied": False,
                           "reason": "no multi-stage build held, so the later rungs were not tried",
                           "dockerfile_change": CHANGES[name]})
        return {"rendered": current, "bases": bases, "stopped": stopped, "final_image": final_image,
                "use_ignore": use_ignore}
    # 5. non-root, 6. HEALTHCHECK
    nonroot = Draft(order=True, multistage=True, runtime=draft.runtime, nonroot=True)
    if attempt("nonroot", recipes.multistage(facts, nonroot, builder), ign, CHANGES["nonroot"]):
        draft = nonroot
    hc = Draft(order=True, multistage=True, runtime=draft.runtime, nonroot=draft.nonroot, healthcheck=True)
    attempt("healthcheck", recipes.multistage(facts, hc, builder) if facts.port else
            "no port: nothing for a HEALTHCHECK to ask", ign, CHANGES["healthcheck"])
    return {"rendered": current, "bases": bases, "stopped": stopped, "final_image": final_image,
            "use_ignore": use_ignore}


# --- the reviewable output -------------------------------------------------------------------------------------


def _effect(ladder: pd.DataFrame, rung: str) -> str:
    """What ``rung`` measured against the applied rung before it, in words."""
    rows = ladder.reset_index(drop=True)
    hit = rows.index[(rows["rung"] == rung) & rows["applied"]]
    if len(hit) == 0:
        return ""
    i = int(hit[0])
    before = rows.iloc[:i][rows.iloc[:i]["applied"]]
    if before.empty:
        return ""
    a, b = before.iloc[-1], rows.iloc[i]
    parts = [f"image {human_bytes(int(a['size_bytes']))} -> {human_bytes(int(b['size_bytes']))}"]
    if pd.notna(a.get("rebuild_s")) and pd.notna(b.get("rebuild_s")):
        parts.append(f"source-edit rebuild {a['rebuild_s']:.1f} s -> {b['rebuild_s']:.1f} s")
    if rung in ("base", "multistage") and a.get("has_shell") != b.get("has_shell"):
        parts.append("no shell" if not b.get("has_shell") else "a shell")
    if rung == "nonroot":
        parts = [f"user {a['user']} -> {b['user']}"]
    if rung == "healthcheck":
        parts = [f"Docker reports health; ready in {b['ready_s']:.1f} s"] if pd.notna(b.get("ready_s")) else []
    if rung == "dockerignore" and a.get("credential_files") and not b.get("credential_files"):
        parts.append(f"credentials files no longer shipped ({a['credential_files']})")
    return "measured: " + "; ".join(parts)


def annotate(rendered: Rendered, ladder: pd.DataFrame, facts: AppFacts, stopped: str | None) -> str:
    """The final Dockerfile: a header (what was measured, first row to last), a comment above each block."""
    first = ladder.iloc[0]
    applied = ladder[ladder["applied"]]
    last = applied.iloc[-1]
    head = ["# Proposed by `dockopt optimise`: every change below was built, started and checked with the",
            "# project's readiness check; a change that broke the app was left out (see the ladder).",
            f"# measured: image {human_bytes(int(first['size_bytes']))} -> {human_bytes(int(last['size_bytes']))}"
            + (f", source-edit rebuild {first['rebuild_s']:.1f} s -> {last['rebuild_s']:.1f} s"
               if pd.notna(first.get("rebuild_s")) and pd.notna(last.get("rebuild_s")) else "")
            + f", user {last['user']}."]
    if stopped:
        head.append(f"# stopped before a multi-stage build: {stopped}.")
    dropped = ladder[~ladder["applied"] & (ladder["rung"] != "original")]
    for r in dropped.itertuples():
        head.append(f"# not applied: {r.rung}: {str(r.reason)[:150]}")
    out = ["\n".join(head), ""]
    ignore_effect = _effect(ladder, "dockerignore")
    if ignore_effect:
        out[0] += f"\n# .dockerignore ({ignore_effect})"
    for block in rendered.blocks:
        if not block.lines:
            continue
        comment = []
        if block.rung:
            why = block.note or CHANGES.get(block.rung, "")
            effect = _effect(ladder, block.rung)
            comment.append(f"# {why}" + (f" ({effect})" if effect else ""))
        first_line = block.lines[0]
        if first_line.startswith("FROM ") and out and out[-1] != "":
            out.append("")
        out.append("\n".join(comment + list(block.lines)))
    return "\n".join(out).rstrip("\n") + "\n"
