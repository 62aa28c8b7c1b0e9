"""Attack-surface facts of an image: what an intruder would find in a running container.

Facts come from the final filesystem (``files`` with ``visible``) and the image config. CVE
counts come only from a scanner (trivy or grype) installed here with its local database; when
none is, the report says so and gives no number.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import proc
from .errors import DockoptError
from .image.table import DIR, FILE, KINDS, as_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SHELLS = ("sh", "bash", "ash", "dash", "zsh", "ksh", "busybox")
PACKAGE_MANAGERS = ("apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm", "pip", "pip3", "npm", "yarn",
                    "gem")
COMPILERS = ("gcc", "cc", "g++", "c++", "clang", "go", "rustc", "cargo", "javac", "tcc", "make")
_BIN_DIRS = ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")
_MAX_LINK_HOPS = 40  # what Linux allows before ELOOP


@dataclass(frozen=True)
class SurfaceReport:
    """Attack-surface facts; ``cve_counts`` is None when no scanner was available (``scanner_note``)."""

    shells: tuple[str, ...]
    package_managers: tuple[str, ...]
    compilers: tuple[str, ...]
    setuid_files: tuple[str, ...]
    setgid_files: tuple[str, ...]
    world_writable_dirs: tuple[str, ...]
    user: str
    runs_as_root: bool
    exposed_ports: tuple[str, ...]
    healthcheck: bool
    packages: int | None
    cve_counts: Mapping[str, int] | None
    scanner_note: str

    def facts(self) -> pd.DataFrame:
        """Each row is one fact: ``fact``, ``value``, ``detail``."""
        import pandas as pd

        rows = [
            ("shell present", bool(self.shells), ", ".join(self.shells)),
            ("package manager present", bool(self.package_managers), ", ".join(self.package_managers)),
            ("compilers present", bool(self.compilers), ", ".join(self.compilers)),
            ("setuid files", len(self.setuid_files), ", ".join(self.setuid_files[:10])),
            ("setgid files", len(self.setgid_files), ", ".join(self.setgid_files[:10])),
            ("world-writable directories", len(self.world_writable_dirs), ", ".join(self.world_writable_dirs[:10])),
            ("runs as root", self.runs_as_root, self.user or "(User unset)"),
            ("exposed ports", len(self.exposed_ports), ", ".join(self.exposed_ports)),
            ("healthcheck defined", self.healthcheck, ""),
            ("packages", self.packages, ""),
            ("CVEs", None if self.cve_counts is None else sum(self.cve_counts.values()),
             self.scanner_note if self.cve_counts is None else json.dumps(dict(self.cve_counts))),
        ]
        return pd.DataFrame(rows, columns=["fact", "value", "detail"])


def resolve(view: Mapping[str, tuple[str, str]], path: str) -> str | None:
    """Follow symlinks in the final filesystem ``view`` (path -> (kind, link_target)).

    Every component is resolved (``/bin`` may itself link to ``usr/bin``). Returns the final
    path, or None for a dangling link or a loop (more than 40 hops, as Linux's ELOOP).
    """
    hops = 0
    parts = deque(path.strip("/").split("/"))
    resolved = "/"
    while parts:
        part = parts.popleft()
        if part in ("", "."):
            continue
        if part == "..":
            resolved = posixpath.dirname(resolved)
            continue
        candidate = posixpath.join(resolved, part)
        entry = view.get(candidate)
        if entry is None:
            return None
        if entry[0] == "symlink":
            hops += 1
            if hops > _MAX_LINK_HOPS:
                return None
            target = entry[1]
            if target.startswith("/"):
                resolved = "/"
            parts.extendleft(reversed(target.strip("/").split("/")))
            continue
        resolved = candidate
    return resolved


def _present(view: Mapping[str, tuple[str, str]], names: tuple[str, ...]) -> tuple[str, ...]:
    found = []
    for name in names:
        for d in _BIN_DIRS:
            p = f"{d}/{name}"
            if p in view and resolve(view, p) is not None:
                found.append(p)
                break
    return tuple(found)


def scanner_cve_counts(archive: str | os.PathLike[str] | None) -> tuple[dict[str, int] | None, str]:
    """CVE counts by severity from trivy or grype with a local database, else (None, why not)."""
    trivy, grype = proc.which("trivy"), proc.which("grype")
    if not trivy and not grype:
        return None, "no scanner available (install trivy or grype with a local database for CVE counts)"
    if archive is None:
        return None, "no scanner run (no image archive to give it)"
    try:
        if trivy:
            done = proc.run([trivy, "image", "--input", str(archive), "--offline-scan", "--skip-db-update",
                             "--format", "json", "--quiet"], timeout=600)
            doc = json.loads(done.stdout or "{}")
            counts: dict[str, int] = {}
            for result in doc.get("Results") or []:
                for v in result.get("Vulnerabilities") or []:
                    sev = str(v.get("Severity", "UNKNOWN")).upper()
                    counts[sev] = counts.get(sev, 0) + 1
            return counts, "trivy"
        assert grype is not None  # one of the two is installed (checked above)
        done = proc.run([grype, f"docker-archive:{archive}", "-o", "json"], timeout=600,
                        env={"GRYPE_DB_AUTO_UPDATE": "false"})
        doc = json.loads(done.stdout or "{}")
        counts = {}
        for m in doc.get("matches") or []:
            sev = str((m.get("vulnerability") or {}).get("severity", "Unknown")).upper()
            counts[sev] = counts.get(sev, 0) + 1
        return counts, "grype"
    except (DockoptError, ValueError) as exc:
        return None, f"scanner failed, no CVE counts: {str(exc).splitlines()[0]}"


def surface(files: Any, config: Mapping[str, Any], *, packages: int | None = None,
            archive: str | os.PathLike[str] | None = None) -> SurfaceReport:
    """Attack-surface facts from the final filesystem (``files``: ``dockopt.image.files`` output or
    its ``ImageContents``) and the image config (``ImageContents.image_config``)."""
    t = as_table(files)
    visible = [i for i, v in enumerate(t.visible) if v]
    view = {t.path[i]: (KINDS[t.kind[i]], t.link[i]) for i in visible}
    setuid = tuple(sorted(t.path[i] for i in visible if t.kind[i] == FILE and t.mode[i] & 0o4000))
    setgid = tuple(sorted(t.path[i] for i in visible if t.kind[i] == FILE and t.mode[i] & 0o2000))
    world = tuple(sorted(t.path[i] for i in visible if t.kind[i] == DIR and t.mode[i] & 0o002))
    from .checks.facts import healthcheck_declared, runs_as_root  # each decided there, once

    user = str(config.get("User") or "")
    ports = tuple(sorted((config.get("ExposedPorts") or {}).keys()))
    has_health = healthcheck_declared((config.get("Healthcheck") or {}).get("Test"))
    counts, note = scanner_cve_counts(archive)
    return SurfaceReport(shells=_present(view, SHELLS), package_managers=_present(view, PACKAGE_MANAGERS),
                         compilers=_present(view, COMPILERS), setuid_files=setuid, setgid_files=setgid,
                         world_writable_dirs=world, user=user, runs_as_root=runs_as_root(user),
                         exposed_ports=ports, healthcheck=has_health, packages=packages, cve_counts=counts,
                         scanner_note=note)
