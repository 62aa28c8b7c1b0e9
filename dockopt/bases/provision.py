"""``ensure(references)``: make every base image the samples need present in the local engine.

For each reference: a real local image is used as is; otherwise a pull is tried (also for a
present stand-in: a real image always wins, and the stand-in it replaces is removed once nothing
else uses it); otherwise the stand-in is built from distribution packages, parents first, up to
three at a time. Registry-only images without a recipe are reported as missing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import pandas as pd
from tqdm.auto import tqdm

from .. import engine
from ..errors import BaseUnavailable, DockoptError, EngineUnavailable, RegistryUnreachable
from . import standins
from .catalog import BASES, BaseImage, engine_reference, is_standin_of, lookup, normalize, probe

ACTIONS = ("builtin", "present", "present-stand-in", "pulled", "replaced-stand-in", "built-stand-in", "missing",
           "failed")
_COLUMNS = ["reference", "role", "requested", "action", "status", "size_bytes", "duration_s", "made_from", "detail",
            "image_id"]


def registry_of(reference: str) -> str:
    """The registry host a reference would be pulled from (``docker.io`` for Docker Hub names)."""
    first = reference.split("/", 1)[0]
    if "/" in reference and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


@dataclass
class _Row:
    reference: str
    base: BaseImage
    requested: bool
    action: str = ""
    detail: str = ""
    duration_s: float = 0.0


@dataclass
class _Puller:
    """Pull attempts, remembering registries that did not answer in this run."""

    enabled: bool = True
    unreachable: dict[str, str] = field(default_factory=dict)

    def try_pull(self, reference: str) -> tuple[bool, str]:
        if not self.enabled:
            return False, "pulls disabled"
        host = registry_of(reference)
        if host in self.unreachable:
            return False, self.unreachable[host]
        try:
            engine.pull(engine_reference(reference), timeout_s=600)
        except RegistryUnreachable as exc:
            if exc.host_unreachable:
                self.unreachable[host] = f"registry {host} unreachable"
            return False, exc.message.split("\n")[0]
        except DockoptError as exc:
            return False, exc.message.split("\n")[0]
        return True, ""


def _group(base: BaseImage) -> str:
    """Catalog entries one recipe run makes together (distroless :latest/:nonroot, alpine's two tags)."""
    if base.recipe == "distroless":
        return normalize(base.reference).split(":")[0]
    if base.recipe == "alpine":
        return "alpine"
    return base.reference


def _expand(references: Iterable[str] | None) -> list[_Row]:
    rows: dict[str, _Row] = {}
    wanted = [b.reference for b in BASES] if references is None else [normalize(r) for r in references]
    for ref in wanted:
        base = lookup(ref) or BaseImage(ref, "runtime", None, None, "not in the dockopt catalog")
        rows.setdefault(ref, _Row(ref, base, True))
    return list(rows.values())


def ensure(references: Iterable[str] | None = None, *, progress: bool = True, pull: bool = True,
           strict: bool | None = None, rebuild: bool = False, max_workers: int = 3,
           on_progress: Callable[[int, int, str, str], None] | None = None) -> pd.DataFrame:
    """Make ``references`` (default: the whole catalog) present locally; what happened, per reference.

    Each row is one base image reference: ``reference``, ``role``, ``requested`` (False for a parent
    built because a requested image needed it), ``action`` (builtin / present / present-stand-in /
    pulled / replaced-stand-in / built-stand-in / missing / failed), ``status`` afterwards (as in
    ``catalog()``), ``size_bytes``, ``duration_s`` (time spent on this reference), ``made_from``,
    ``detail`` (why missing or failed) and ``image_id``.

    ``rebuild=True`` builds present stand-ins again (fresh downloads if the cache was emptied; real
    images are never touched); the replaced stand-in is removed when nothing uses it any more.

    ``on_progress(done, total, reference, action)`` is called as each reference is settled (one line
    per image in a log, where a bar is noise).

    Raises ``BaseUnavailable`` (with the table as ``.frame``) when a stand-in fails to build, or when
    an explicitly requested reference stays missing (``strict=None``: strict only for explicit lists).
    """
    started_all = time.monotonic()
    rows = _expand(references)
    strict_missing = (references is not None) if strict is None else strict
    puller = _Puller(enabled=pull)
    by_ref = {r.reference: r for r in rows}
    bar = tqdm(total=len(rows), desc="bases", unit="image", disable=not progress, leave=False)
    to_build: dict[str, _Row] = {}
    replaced: list[tuple[str, str]] = []
    settled = 0

    def tick(row: _Row) -> None:
        nonlocal settled
        settled += 1
        bar.update(1)
        if on_progress is not None:
            on_progress(settled, len(rows), row.reference, row.action )

    def plan(row: _Row) -> None:
        t0 = time.monotonic()
        base = row.base
        if base.role == "builtin":
            row.action = "builtin"
            return
        state = probe(row.reference)
        old_standin = state.image.id if state.is_standin and state.image else None
        if state.status in ("local", "pulled"):
            row.action = "present"
        else:
            ok, reason = puller.try_pull(row.reference)
            if ok:
                row.action = "replaced-stand-in" if state.is_standin else "pulled"
                if old_standin:
                    _drop_replaced_standin(old_standin, row.reference)
            elif state.is_standin and not (rebuild and row.requested):
                row.action = "present-stand-in"
            elif base.recipe is None:
                row.action = "missing"
                row.detail = f"{reason}; {base.notes or 'no stand-in recipe'}"
            else:
                to_build[row.reference] = row
                row.detail = reason
                if old_standin:
                    replaced.append((old_standin, row.reference))
        row.duration_s = time.monotonic() - t0

    try:
        # 1. what is there, what can be pulled (parents of images to build are added as needed)
        queue = list(rows)
        while queue:
            row = queue.pop(0)
            plan(row)
            if row.reference in to_build and row.base.parent and row.base.parent != "scratch":
                parent = normalize(row.base.parent)
                if parent not in by_ref:
                    prow = _Row(parent, lookup(parent) or BaseImage(parent, "runtime", None, None), False)
                    by_ref[parent] = prow
                    rows.append(prow)
                    bar.total = (bar.total or 0) + 1
                    queue.append(prow)
            if row.reference not in to_build:
                tick(row)
        # 2. build the stand-ins, parents first, independent ones side by side
        _build_all(to_build, by_ref, tick, max_workers)
        for image_id, ref in reversed(replaced):  # children first
            _drop_replaced_standin(image_id, ref)
    except EngineUnavailable:
        raise
    finally:
        bar.close()

    frame = _frame(rows)
    failed = frame[frame["action"] == "failed"]
    missing = frame[(frame["action"] == "missing") & frame["requested"]]
    if len(failed) or (strict_missing and len(missing)):
        bad = pd.concat([failed, missing]) if strict_missing else failed
        lines = [f"{r.reference}: {r.action}: {r.detail}" for r in bad.itertuples()]
        raise BaseUnavailable(f"{len(bad)} base image(s) could not be provided:\n  " + "\n  ".join(lines),
                              frame=frame,
                              hint="registry-only images need a reachable registry (or `docker load` of a saved "
                                   "image); for a failed stand-in see its error above")
    frame.attrs["total_s"] = time.monotonic() - started_all
    return frame


def _build_all(to_build: dict[str, _Row], by_ref: dict[str, _Row], tick: Callable[[_Row], None],
               max_workers: int) -> None:
    groups: dict[str, list[_Row]] = {}
    for row in to_build.values():
        groups.setdefault(_group(row.base), []).append(row)

    def deps(group: str) -> set[str]:
        out = set()
        for row in groups[group]:
            parent = row.base.parent
            if parent and parent != "scratch":
                pbase = lookup(parent)
                if pbase is not None and normalize(parent) in to_build:
                    out.add(_group(pbase))
        return out - {group}

    waiting_on = {g: deps(g) for g in groups}
    pending = set(groups)
    failed: dict[str, str] = {}
    running: dict[Future, str] = {}
    started: dict[str, float] = {}

    def finish(group: str, error: str | None) -> None:
        took = time.monotonic() - started.get(group, time.monotonic())
        for row in groups[group]:
            row.duration_s += took
            if error is None:
                row.action = "built-stand-in"
                row.detail = ""
            else:
                row.action = "failed"
                row.detail = error
            tick(row)
        if error is not None:
            failed[group] = error

    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="dockopt-base") as pool:
        while pending or running:
            for group in sorted(pending, key=_priority):
                if waiting_on[group] & failed.keys():
                    pending.discard(group)
                    finish(group, f"its parent {sorted(waiting_on[group] & failed.keys())[0]} failed")
                elif not waiting_on[group] and len(running) < max_workers:
                    pending.discard(group)
                    started[group] = time.monotonic()
                    running[pool.submit(standins.make, groups[group][0].reference)] = group
            if not running:
                for group in sorted(pending):  # unsatisfiable parents: cannot happen with the catalog
                    finish(group, "its parent could not be scheduled")
                pending.clear()
                break
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                group = running.pop(fut)
                exc = fut.exception()
                if isinstance(exc, EngineUnavailable):
                    raise exc
                finish(group, None if exc is None else str(exc).split("\n  hint:")[0])
                if exc is None:
                    for g in pending:
                        waiting_on[g].discard(group)


# Longest chains first: the slim stand-in and the buildpack-deps chain gate most of the catalog.
_FIRST = ("debian:bookworm-slim", "buildpack-deps:bookworm-curl", "buildpack-deps:bookworm-scm",
          "buildpack-deps:bookworm", "eclipse-temurin:17-jdk", "node:24-bookworm", "python:3.11-bookworm")


def _priority(group: str) -> tuple[int, str]:
    return (_FIRST.index(group) if group in _FIRST else len(_FIRST), group)


def _drop_replaced_standin(image_id: str, reference: str) -> None:
    """Remove the stand-in for ``reference`` that a pull or rebuild has just untagged, if unused."""
    with contextlib.suppress(DockoptError):
        image = engine.inspect_image(image_id)
        if not is_standin_of(reference, image.labels):
            return  # never remove anything that is not ours
        if not image.tags:
            engine.remove_image(image_id)  # fails (suppressed) while other images build on it


def _frame(rows: list[_Row]) -> pd.DataFrame:
    out = []
    for row in rows:
        state = probe(row.reference)
        out.append({"reference": row.reference, "role": row.base.role, "requested": row.requested,
                    "action": row.action, "status": state.status, "size_bytes": state.size_bytes,
                    "duration_s": round(row.duration_s, 3), "made_from": state.made_from, "detail": row.detail,
                    "image_id": state.image.id if state.image else None})
    df = pd.DataFrame(out, columns=_COLUMNS)
    df["size_bytes"] = df["size_bytes"].astype("Int64")
    return df
