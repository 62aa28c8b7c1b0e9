"""Debian packages on the host side: a private apt (its own sources, lists and .deb cache),
dependency closures, downloads and unpacking.

The private apt never touches the host's package state: sources, lists, the .deb cache and the
dpkg status it resolves against all live under the dockopt cache directory
(``${XDG_CACHE_HOME:-~/.cache}/dockopt/apt``). Recipes use it to

- compute the dependency closure of a distroless variant (no Recommends, without debconf / perl /
  dpkg machinery) and unpack it with ``dpkg-deb -x``;
- download, ahead of a Dockerfile build, exactly the .debs an image needs on top of its parent
  (resolved against the parent's own ``/var/lib/dpkg/status``), so a build installs from local files
  and a second build downloads nothing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import proc, settings
from ..errors import BaseUnavailable, ProcessFailed

MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
SUITES = ("bookworm", "bookworm-updates", "bookworm-backports")
SECURITY_SUITES = ("bookworm-security",)

# Never part of a distroless closure: package-management and configuration machinery, shells
# and interpreters that upstream distroless leaves out too.
DISTROLESS_EXCLUDE = frozenset({
    "debconf", "debconf-2.0", "cdebconf", "perl", "perl-base", "perl-modules-5.36", "dpkg", "install-info",
    "libc-bin", "dash", "bash", "coreutils", "debianutils", "sensible-utils", "init-system-helpers",
    "lsb-base", "sysvinit-utils", "adduser", "passwd", "login", "ucf", "readline-common",
    "mime-support", "python3-minimal", "python3", "java-common", "ca-certificates-java",
    "util-linux", "mount", "libpam-runtime", "openssl", "dpkg-dev",
})


def cache_dir() -> Path:
    """``$DOCKOPT_CACHE_DIR``, else ``${XDG_CACHE_HOME:-~/.cache}/dockopt`` (created on demand)."""
    return settings.cache_dir()


@dataclass(frozen=True)
class Deb:
    """One downloaded binary package."""

    package: str
    version: str
    path: Path


# --- apt-cache depends output and closures (pure) ------------------------------------------------

_DEP_LINE = re.compile(r"^\s+(\|)?(PreDepends|Depends):\s+(\S+)")
_PROVIDER_LINE = re.compile(r"^\s{4}(\S+)$")


def parse_depends(text: str) -> tuple[dict[str, list[list[str]]], dict[str, list[str]]]:
    """Parse ``apt-cache depends [--recurse]`` output.

    Returns ``(depends, providers)``: ``depends[pkg]`` is a list of alternatives groups (each a
    list of names, first preferred); ``providers[virtual]`` the real packages providing a virtual
    name (``<virtual>`` lines, indented providers below).
    """
    depends: dict[str, list[list[str]]] = {}
    providers: dict[str, list[str]] = {}
    current: str | None = None
    last_virtual: str | None = None
    continue_group = False
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            current = line.strip()
            if current.startswith("<") and current.endswith(">"):
                current = current[1:-1]
            depends.setdefault(current, [])
            continue_group = False
            last_virtual = None
            continue
        m = _DEP_LINE.match(line)
        if m and current is not None:
            alt, _kind, name = m.groups()
            virtual = name.startswith("<") and name.endswith(">")
            name = name.strip("<>")
            if continue_group and depends[current]:
                depends[current][-1].append(name)
            else:
                depends[current].append([name])
            continue_group = bool(alt)
            last_virtual = name if virtual else None
            continue
        p = _PROVIDER_LINE.match(line)
        if p and last_virtual is not None:
            providers.setdefault(last_virtual, [])
            if p.group(1) not in providers[last_virtual]:
                providers[last_virtual].append(p.group(1))
    return depends, providers


def closure(roots: Iterable[str], depends: Mapping[str, list[list[str]]], providers: Mapping[str, list[str]],
            *, exclude: Iterable[str] = (), have: Iterable[str] = ()) -> set[str]:
    """Packages needed for ``roots``: one choice per alternatives group, excluded names dropped.

    A group is satisfied by a package already chosen or in ``have`` (the parent image), else by its
    first real package (a virtual name resolves to its first provider). Groups naming only excluded
    packages are dropped, so what the excluded machinery would have pulled in is not followed.
    """
    excluded = set(exclude)
    present = set(have)
    chosen: set[str] = set()
    queue = list(roots)

    def real(name: str) -> str | None:
        if name in excluded:
            return None
        if depends.get(name) is not None and name not in providers:
            return name
        for p in providers.get(name, []):
            if p not in excluded:
                return p
        return name if name in depends else None

    while queue:
        pkg = queue.pop(0)
        if pkg in chosen or pkg in excluded:
            continue
        chosen.add(pkg)
        for group in depends.get(pkg, []):
            options = [o for o in map(real, group) if o]
            if not options or any(o in chosen or o in present for o in options):
                continue
            queue.append(options[0])
    return chosen - present


# --- the private apt ------------------------------------------------------------------------------

_apt_lock = threading.RLock()


class HostApt:
    """A private apt on the host for Debian bookworm (+ updates, security, backports)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or cache_dir() / "apt"
        self.debs = cache_dir() / "debs"
        self._updated = False
        for d in ("etc/apt.conf.d", "etc/preferences.d", "lists/partial", "cache", "status"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        (self.debs / "partial").mkdir(parents=True, exist_ok=True)
        sources = self.root / "etc" / "debian.sources"
        text = (f"Types: deb\nURIs: {MIRROR}\nSuites: {' '.join(SUITES)}\nComponents: main\nSigned-By: {KEYRING}\n\n"
                f"Types: deb\nURIs: {SECURITY_MIRROR}\nSuites: {' '.join(SECURITY_SUITES)}\nComponents: main\n"
                f"Signed-By: {KEYRING}\n")
        if not sources.exists() or sources.read_text() != text:
            sources.write_text(text)
        (self.root / "etc" / "sources.list").touch()
        self.empty_status = self.root / "status" / "empty"
        self.empty_status.touch()

    def options(self, status: Path | None = None) -> list[str]:
        opts = {
            "Dir::Etc::SourceList": str(self.root / "etc" / "sources.list"),
            "Dir::Etc::SourceParts": str(self.root / "etc"),
            "Dir::Etc::Preferences": str(self.root / "etc" / "preferences"),
            "Dir::Etc::PreferencesParts": str(self.root / "etc" / "preferences.d"),
            "Dir::State": str(self.root),
            "Dir::State::Lists": str(self.root / "lists"),
            "Dir::State::status": str(status or self.empty_status),
            "Dir::Cache": str(self.root / "cache"),
            "Dir::Cache::archives": str(self.debs),
            "Dir::Cache::pkgcache": "",
            "Dir::Cache::srcpkgcache": "",
            "APT::Architecture": "amd64",
            "APT::Architectures": "amd64",
            "APT::Install-Recommends": "false",
            "APT::Get::Assume-Yes": "true",
            "Acquire::Languages": "none",
            "Debug::NoLocking": "true",
            "APT::Sandbox::User": "root",
        }
        return [f"-o{k}={v}" for k, v in opts.items()]

    def update(self, *, max_age_s: float = 6 * 3600) -> None:
        """``apt-get update`` of the private lists (skipped when they are younger than ``max_age_s``)."""
        with _apt_lock:
            if self._updated:
                return
            stamp = self.root / "lists" / ".dockopt-updated"
            import time

            if stamp.exists() and time.time() - stamp.stat().st_mtime < max_age_s:
                self._updated = True
                return
            try:
                proc.run(["apt-get", *self.options(), "update", "-q"], timeout=300)
            except ProcessFailed as exc:
                raise BaseUnavailable(f"cannot read Debian's package lists from {MIRROR}: {exc.message}",
                                      hint="check access to deb.debian.org (or a Debian mirror)") from exc
            stamp.touch()
            self._updated = True

    def depends_graph(self, packages: Sequence[str]) -> tuple[dict[str, list[list[str]]], dict[str, list[str]]]:
        self.update()
        out = proc.run(["apt-cache", *self.options(), "depends", "--recurse", "--no-recommends", "--no-suggests",
                        "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *packages], timeout=120)
        return parse_depends(out.stdout)

    def closure(self, roots: Sequence[str], *, have: Iterable[str] = (),
                exclude: Iterable[str] = DISTROLESS_EXCLUDE) -> list[str]:
        depends, providers = self.depends_graph(roots)
        return sorted(closure(roots, depends, providers, exclude=exclude, have=have))

    def candidate_versions(self, packages: Sequence[str]) -> dict[str, str]:
        self.update()
        out = proc.run(["apt-cache", *self.options(), "policy", *packages], timeout=60)
        versions: dict[str, str] = {}
        current = None
        for line in out.stdout.splitlines():
            if line and not line.startswith(" "):
                current = line.rstrip(":")
            elif current and line.strip().startswith("Candidate:"):
                versions[current] = line.split(":", 1)[1].strip()
        missing = [p for p in packages if versions.get(p) in (None, "(none)")]
        if missing:
            raise BaseUnavailable(f"Debian bookworm has no package {', '.join(missing)}",
                                  hint="check the package names in dockopt/bases/standins.py")
        return versions

    def download(self, packages: Sequence[str]) -> list[Deb]:
        """Download exactly these packages (candidate versions, no dependencies) into the cache."""
        versions = self.candidate_versions(list(packages))
        todo = [f"{n}={v}" for n, v in versions.items() if self.cached(n, v) is None]
        if todo:
            with _apt_lock:
                # `apt-get download` writes into the working directory; the cache dir is ours.
                proc.run(["apt-get", *self.options(), "download", "-q", *todo], cwd=self.debs, timeout=600)
        return [self._cached_or_fail(n, v) for n, v in versions.items()]

    def download_for(self, packages: Sequence[str], *, status: Path) -> list[Deb]:
        """Download what installing ``packages`` (without Recommends) needs on top of a dpkg ``status``.

        Returns the .debs apt would install, from the cache; installing all of them with
        ``apt-get install ./*.deb`` needs no network and no package lists.
        """
        self.update()
        out = proc.run(["apt-get", *self.options(status), "install", "-s", "-q", *packages], timeout=120)
        wanted = []
        for line in out.stdout.splitlines():
            m = re.match(r"^Inst (\S+) (?:\[\S+\] )?\((\S+) ", line)
            if m:
                wanted.append((m.group(1), m.group(2)))
        if any(self.cached(n, v) is None for n, v in wanted):
            with _apt_lock:
                proc.run(["apt-get", *self.options(status), "install", "--download-only", "-q", *packages],
                         timeout=900)
        return [self._cached_or_fail(n, v) for n, v in wanted]

    def cached(self, name: str, version: str) -> Deb | None:
        for path in self.debs.glob(f"{name}_{version.replace(':', '%3a')}_*.deb"):
            return Deb(name, version, path)
        return None

    def _cached_or_fail(self, name: str, version: str) -> Deb:
        deb = self.cached(name, version)
        if deb is None:
            raise BaseUnavailable(f"apt did not download {name} {version} into {self.debs}",
                                  hint="check access to deb.debian.org")
        return deb


def deb_fields(deb: Path) -> str:
    """The control file of a .deb (``dpkg-deb -f``)."""
    return proc.run(["dpkg-deb", "-f", str(deb)], timeout=60).stdout


def extract(deb: Path, into: Path) -> None:
    """``dpkg-deb -x`` (contents only, no maintainer scripts run)."""
    into.mkdir(parents=True, exist_ok=True)
    proc.run(["dpkg-deb", "-x", str(deb), str(into)], timeout=300)


