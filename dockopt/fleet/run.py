"""``audit(registry)``: discover a registry's images, analyse each distinct digest once, on this
machine's processes or on a Dask cluster, and keep the answers as tables."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DockoptError
from . import store
from .discover import TagSelection, Target, discover, host_platform_name
from .work import analyse_digest, failed_result

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DEFAULT_OUTPUT = "dockopt-fleet"

Progress = Callable[[int, int, str, dict[str, Any] | None], None]


@dataclass(frozen=True)
class FleetAudit:
    """What an audit found. ``images``: each row is one (repository, tag) and its digest's facts;
    ``layers``: each row is one layer of one distinct digest; ``findings``: each row is one finding
    of one distinct digest. ``analysed``: digests analysed by this run; ``skipped``: found done."""

    output: str
    images: pd.DataFrame = field(repr=False)
    layers: pd.DataFrame = field(repr=False)
    findings: pd.DataFrame = field(repr=False)
    targets: int
    digests: int
    analysed: int
    skipped: int
    failed: int


def _serial(tasks: list[tuple[Any, ...]]) -> Iterator[dict[str, Any]]:
    for task in tasks:
        yield analyse_digest(*task)


def _processes(tasks: list[tuple[Any, ...]], jobs: int) -> Iterator[dict[str, Any]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn: the parent may run threads (HTTP pools); a forked child would inherit their locks
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(analyse_digest, *task): task[2] for task in tasks}
        try:
            for future in as_completed(futures):
                try:
                    yield future.result()
                except Exception as exc:  # noqa: BLE001 - a worker process died: a row, tried again next run
                    yield failed_result(futures[future], f"worker failed: {type(exc).__name__}: {exc}")
        finally:
            for f in futures:
                f.cancel()


def _dask(tasks: list[tuple[Any, ...]], cluster: Any) -> Iterator[dict[str, Any]]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise DockoptError("--dask needs Dask's distributed scheduler client",
                           hint="pip install 'dockopt[fleet]' (dask, distributed, pyarrow)") from exc
    own = not isinstance(cluster, Client)
    client = Client(cluster) if own else cluster
    try:
        # pure=False: a digest is analysed once per audit even if the cluster saw it before
        futures = {client.submit(analyse_digest, *task, pure=False, key=f"dockopt-fleet-{task[2]}-{task[4]}"): task[2]
                   for task in tasks}
        try:
            for future in as_completed(list(futures)):
                try:
                    yield future.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker (KilledWorker): a row, tried again next run
                    yield failed_result(futures[future], f"worker failed: {type(exc).__name__}: {exc}")
        finally:
            client.cancel(list(futures))
    finally:
        if own:
            client.close()


def audit(registry: str, *, repo: str = "*", tags: TagSelection = "latest",
          output: str | os.PathLike[str] = DEFAULT_OUTPUT, jobs: int = 1, dask: Any = None,
          platform: str | None = None, on_progress: Progress | None = None,
          on_status: Callable[[str], None] | None = None) -> FleetAudit:
    """Audit every image ``registry`` (``HOST[:PORT]``) holds in the repositories matching ``repo`` (a
    glob), for the tags ``tags`` selects (``"latest"``, ``"all"`` or the last N), each resolved to its
    image manifest for ``platform`` (default: this machine's).

    Each distinct digest is analysed once, straight from the registry (no engine), in this process
    (``jobs=1``), in ``jobs`` worker processes, or on Dask (``dask``: a scheduler address or a
    ``distributed.Client``). Each result is written under ``output`` as it arrives, so a run that was
    interrupted skips the digests already done when run again. A digest that fails is a row with its
    ``error``. Returns the consolidated tables (also written as Parquet under ``output``).
    """
    from ..registry import Registry

    if jobs < 1:
        raise DockoptError(f"--jobs {jobs}: need at least 1")
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    say = on_status or (lambda _msg: None)
    reg = Registry(registry)
    reg.ping()
    wanted_platform = platform or host_platform_name()
    say(f"listing {registry} (repositories matching {repo!r}, tags: {tags})")
    targets = discover(reg, repo=repo, which=tags, platform=wanted_platform)
    if not targets:
        raise DockoptError(f"{registry}: no repository matches {repo!r}",
                           hint="list them: curl http://HOST/v2/_catalog, or widen --repo")
    store.save_targets(out, targets)
    store.save_meta(out, {"registry": registry, "repo": repo, "tags": tags, "platform": wanted_platform})
    digests = sorted({t.digest for t in targets if t.digest})
    done = store.done_digests(out)
    todo = [d for d in digests if d not in done]
    first_repo: dict[str, Target] = {}
    for t in targets:
        if t.digest and t.digest not in first_repo:
            first_repo[t.digest] = t
    now = datetime.now(UTC).isoformat()
    tasks = [(registry, first_repo[d].repository, d, wanted_platform, now) for d in todo]
    say(f"{len(targets)} tags, {len(digests)} distinct digests: {len(done & set(digests))} done already, "
        f"{len(todo)} to analyse")
    if dask is not None:
        results = _dask(tasks, dask)
    elif jobs > 1 and len(tasks) > 1:
        results = _processes(tasks, min(jobs, len(tasks)))
    else:
        results = _serial(tasks)
    failed = 0
    for n, result in enumerate(results, 1):
        store.save_result(out, result)
        failed += bool(result["image"].get("error"))
        if on_progress is not None:
            on_progress(n, len(tasks), str(result["image"]["digest"]), result)
    images, layers, findings = store.consolidate(out)
    return FleetAudit(output=str(out), images=images, layers=layers, findings=findings, targets=len(targets),
                      digests=len(digests), analysed=len(tasks), skipped=len(digests) - len(tasks), failed=failed)
