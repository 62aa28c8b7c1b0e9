"""What a registry holds: repositories, their tags, and the manifest digest each tag points at.

The distribution API's listing endpoints, paginated as the spec says: ``/v2/_catalog?n=N`` and
``/v2/<name>/tags/list?n=N``, following each answer's ``Link: <...?last=X&n=N>; rel="next"``
until there is none. A tag is resolved to the digest of the image manifest for one platform
(the host's unless asked): an index or manifest list is resolved through ``Registry.manifest``.
"""

from __future__ import annotations

import fnmatch
import platform as host_platform
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlparse

from ..errors import DockoptError, ManifestNotFound, RegistryError
from ..registry import Registry

PAGE = 100  # entries asked for per page; a registry may answer fewer and still send a next link

TagSelection = Literal["latest", "all"] | int
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm/v7",
         "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64", "i686": "386", "i386": "386"}


def host_platform_name() -> str:
    """This machine's platform as an image index names it: ``linux/amd64``, ``linux/arm64``, ``linux/arm/v7``."""
    machine = host_platform.machine().lower()
    return f"linux/{_ARCH.get(machine, machine)}"


@dataclass(frozen=True)
class Target:
    """One tag of one repository and the image manifest it resolved to (``error`` when it did not)."""

    repository: str
    tag: str
    digest: str | None
    platform: str | None = None
    error: str | None = None


def _paginate(reg: Registry, path: str, key: str, scope: str, page: int) -> Iterator[str]:
    """Every entry of a paginated listing, page by page through the ``Link`` header."""
    url = f"{path}?n={page}"
    seen: set[str] = set()
    while url:
        r = reg.request("GET", url, scope=scope)
        if r.status_code == 404:
            raise ManifestNotFound(f"{reg.host}: {path} does not exist",
                                   hint="check the repository name; the registry lists what it has at /v2/_catalog")
        try:
            entries = r.json().get(key) or []
        except ValueError as exc:
            raise RegistryError(f"{reg.host}: {path} did not answer JSON") from exc
        yield from entries
        match = _LINK_NEXT.search(r.headers.get("Link", ""))
        if not match:
            return
        nxt = match.group(1)
        if nxt in seen:  # a registry that links to the same page again would loop forever
            raise RegistryError(f"{reg.host}: {path} pagination repeats {nxt}")
        seen.add(nxt)
        parsed = urlparse(nxt)
        url = nxt if parsed.scheme else f"{parsed.path.removeprefix('/v2/')}?{parsed.query}"
        if not parse_qs(parsed.query).get("last"):
            raise RegistryError(f"{reg.host}: {path}: a next page without 'last' ({nxt})")


def repositories(reg: Registry, pattern: str = "*", *, page: int = PAGE) -> list[str]:
    """Repositories the registry's catalog lists whose name matches the glob ``pattern``."""
    try:
        names = list(_paginate(reg, "_catalog", "repositories", "registry:catalog:*", page))
    except ManifestNotFound as exc:
        raise RegistryError(f"{reg.host} offers no catalog (/v2/_catalog)",
                            hint="some registries (Docker Hub) do not list repositories") from exc
    return sorted(n for n in names if fnmatch.fnmatchcase(n, pattern))


def tags(reg: Registry, repository: str, *, page: int = PAGE) -> list[str]:
    """Every tag of ``repository``, through all pages."""
    return sorted(_paginate(reg, f"{repository}/tags/list", "tags", f"repository:{repository}:pull", page))


def select_tags(found: list[str], which: TagSelection) -> list[str]:
    """``latest``: the ``latest`` tag (else the last in sort order); ``all``; N: the last N in sort order."""
    ordered = sorted(found)
    if which == "all":
        return ordered
    if which == "latest":
        return ["latest"] if "latest" in ordered else ordered[-1:]
    if isinstance(which, int) and which > 0:
        return ordered[-which:]
    raise DockoptError(f"--tags {which!r} is not latest, all or a positive number",
                       hint="--tags latest (default), --tags all, or --tags 5 (the last five in sort order)")


def parse_tag_selection(text: str) -> TagSelection:
    """``latest``, ``all`` or a positive integer, from the command line."""
    if text in ("latest", "all"):
        return text  # type: ignore[return-value]
    if text.isdigit() and int(text) > 0:
        return int(text)
    raise DockoptError(f"--tags {text!r} is not latest, all or a positive number",
                       hint="--tags latest (default), --tags all, or --tags 5 (the last five in sort order)")


def resolve(reg: Registry, repository: str, tag: str, platform: str | None = None) -> Target:
    """The image manifest digest ``repository:tag`` points at for ``platform`` (default: the host's)."""
    from ..registry import Reference

    try:
        m = reg.manifest(Reference(reg.host, repository, tag), platform or host_platform_name())
    except DockoptError as exc:
        return Target(repository, tag, None, error=f"{type(exc).__name__}: {exc.args[0] if exc.args else exc}")
    return Target(repository, tag, m.digest, m.platform)


def discover(reg: Registry, *, repo: str = "*", which: TagSelection = "latest", platform: str | None = None,
             on_progress: Callable[[str], None] | None = None, threads: int = 8) -> list[Target]:
    """Every (repository, tag) the selection names, resolved to its manifest digest; the listing and
    resolving requests go ``threads`` at a time (one round trip each: on a distant registry the
    wait, not the work, is what they cost). Sorted by repository and tag."""
    from concurrent.futures import ThreadPoolExecutor

    def one_repository(name: str) -> list[Target]:
        try:
            chosen = select_tags(tags(reg, name), which)
        except ManifestNotFound as exc:  # listed in the catalog, gone since
            return [Target(name, "", None, error=f"ManifestNotFound: {exc.args[0]}")]
        found = [resolve(reg, name, tag, platform) for tag in chosen]
        if on_progress is not None:
            on_progress(f"{name}: {len(chosen)} tag(s)")
        return found

    with ThreadPoolExecutor(max(1, threads)) as pool:
        per_repository = list(pool.map(one_repository, repositories(reg, repo)))
    return sorted((t for ts in per_repository for t in ts), key=lambda t: (t.repository, t.tag))
