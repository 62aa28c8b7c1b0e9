"""Packages an image ships, read from its own files: an inventory DataFrame and CycloneDX JSON.

Sources: dpkg ``status`` and distroless ``status.d/``, apk's installed database, Python
``*.dist-info/METADATA`` and ``*.egg-info/PKG-INFO``, ``node_modules/**/package.json``, Java
archives (``META-INF/maven/**/pom.properties``, else ``MANIFEST.MF``) and Go build info
embedded in executables. Only the copy of each file the final filesystem shows is inventoried.

Package URLs follow the purl spec as scanners (Grype, Trivy, Dependency-Track) match them: OS
packages carry the distribution as namespace and ``arch`` and ``distro`` qualifiers, read from the
package database and ``os-release`` (``pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12``,
``pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.3``). The SBOM is CycloneDX 1.6.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from .image.layer import GO_BUILDINFO
from .image.table import FILE, as_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

PACKAGE_COLUMNS = ["type", "name", "version", "path", "layer", "purl"]

_DIST_INFO = re.compile(r"/[^/]+\.(dist-info/METADATA|egg-info/PKG-INFO|egg-info)$")
_JAR = re.compile(r"\.(jar|war|ear)$")
_CAPS = {"dpkg": 32 << 20, "apk": 32 << 20, "python": 1 << 20, "npm": 1 << 20, "jar": 32 << 20,
         "os-release": 64 << 10}
OS_RELEASE_PATHS = ("/etc/os-release", "/usr/lib/os-release")  # the first one the image has wins


def _kind(path: str) -> str | None:
    if path in OS_RELEASE_PATHS:
        return "os-release"
    if path == "/var/lib/dpkg/status" or path.startswith("/var/lib/dpkg/status.d/"):
        return "dpkg"
    if path == "/lib/apk/db/installed":
        return "apk"
    if _DIST_INFO.search(path):
        return "python"
    if path.endswith("/package.json") and "/node_modules/" in path:
        return "npm"
    if _JAR.search(path):
        return "jar"
    return None


def capture_policy(path: str, size: int, mode: int) -> int:
    """How many bytes of a file the inventory needs; executables are searched for Go build info."""
    kind = _kind(path)
    if kind:
        return _CAPS[kind]
    if mode & 0o111 and size >= 1024:
        return GO_BUILDINFO
    return 0


def _purl(ptype: str, name: str, version: str, namespace: str | None = None,
          qualifiers: Iterable[tuple[str, str]] = ()) -> str:
    from packageurl import PackageURL

    return PackageURL(type=ptype, namespace=namespace, name=name, version=version or None,
                      qualifiers=dict(qualifiers) or None).to_string()


def parse_os_release(text: str) -> dict[str, str]:
    """``KEY=value`` pairs of an ``os-release`` file (quotes removed)."""
    out = {}
    for line in text.splitlines():
        key, eq, value = line.strip().partition("=")
        if eq and key and not key.startswith("#"):
            out[key] = value.strip().strip("'\"")
    return out


def distro_qualifier(os_release: Mapping[str, str]) -> str | None:
    """The purl ``distro`` qualifier scanners match for the image's OS: ``debian-12``,
    ``ubuntu-22.04``; Alpine as its bare release (``3.20.3``), as Trivy and Grype write it."""
    os_id, version = os_release.get("ID", "").lower(), os_release.get("VERSION_ID", "")
    if not os_id or not version:
        return None
    return version if os_id == "alpine" else f"{os_id}-{version}"


def _rfc822_paragraphs(text: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    cur: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if cur:
                out.append(cur)
            cur, last = {}, None
        elif line[0] in " \t" and last:
            continue  # continuation lines (descriptions) are not needed
        elif ":" in line:
            key, _, value = line.partition(":")
            cur[key.strip()] = value.strip()
            last = key
    if cur:
        out.append(cur)
    return out


def dpkg_records(text: str) -> list[tuple[str, str, str]]:
    """(name, version, architecture) of installed packages in a dpkg status file."""
    out = []
    for p in _rfc822_paragraphs(text):
        status = p.get("Status", "install ok installed")
        if "Package" in p and status.endswith("installed") and "not-installed" not in status:
            out.append((p["Package"], p.get("Version", ""), p.get("Architecture", "")))
    return out


def parse_dpkg_status(text: str) -> list[tuple[str, str]]:
    """(name, version) of installed packages in a dpkg status file."""
    return [(name, version) for name, version, _ in dpkg_records(text)]


def apk_records(text: str) -> list[tuple[str, str, str]]:
    """(name, version, architecture) of installed packages in apk's ``installed`` database."""
    out, name, version, arch = [], None, "", ""
    for line in text.splitlines() + [""]:
        if not line.strip():
            if name:
                out.append((name, version, arch))
            name, version, arch = None, "", ""
        elif line.startswith("P:"):
            name = line[2:].strip()
        elif line.startswith("V:"):
            version = line[2:].strip()
        elif line.startswith("A:"):
            arch = line[2:].strip()
    return out


def parse_apk_installed(text: str) -> list[tuple[str, str]]:
    return [(name, version) for name, version, _ in apk_records(text)]


def parse_go_buildinfo(blob: bytes) -> tuple[str, list[tuple[str, str]]] | None:
    """(go version, [(module path, version)...]: main module first) from Go ≥1.18 build info."""
    if not blob.startswith(b"\xff Go buildinf:") or len(blob) < 32:
        return None
    flags = blob[15]
    if not flags & 2:
        return None  # pre-1.18 binaries keep pointers, not inline strings

    def varint_string(pos: int) -> tuple[bytes, int]:
        shift = value = 0
        while pos < len(blob):
            b = blob[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
        return blob[pos:pos + value], pos + value

    version, pos = varint_string(32)
    modinfo, _ = varint_string(pos)
    if len(modinfo) >= 33:
        modinfo = modinfo[16:-16]
    mods = []
    for line in modinfo.decode("utf-8", "replace").splitlines():
        parts = line.split("\t")
        if parts[0] in ("mod", "dep") and len(parts) >= 3:
            mods.append((parts[1], parts[2]))
        elif parts[0] == "=>" and len(parts) >= 3 and mods:
            mods[-1] = (parts[1], parts[2])
    return version.decode("utf-8", "replace"), mods


def _jar_packages(data: bytes) -> list[tuple[str, str, str | None]]:
    """(artifactId, version, groupId) from a jar's pom.properties, else its manifest."""
    import zipfile  # only for jars

    out = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            for n in names:
                if n.startswith("META-INF/maven/") and n.endswith("/pom.properties"):
                    props = {}
                    for line in z.read(n).decode("utf-8", "replace").splitlines():
                        if "=" in line and not line.lstrip().startswith("#"):
                            k, _, v = line.partition("=")
                            props[k.strip()] = v.strip()
                    if props.get("artifactId"):
                        out.append((props["artifactId"], props.get("version", ""), props.get("groupId")))
            if not out and "META-INF/MANIFEST.MF" in names:
                paragraphs = _rfc822_paragraphs(z.read("META-INF/MANIFEST.MF").decode("utf-8", "replace"))
                m = paragraphs[0] if paragraphs else {}
                name = m.get("Implementation-Title") or m.get("Bundle-SymbolicName")
                if name:
                    out.append((name, m.get("Implementation-Version") or m.get("Bundle-Version", ""), None))
    except (zipfile.BadZipFile, KeyError, IndexError, ValueError):
        return []
    return out


class Package(NamedTuple):
    """One package found in a file of the final filesystem: a row of ``inventory``."""

    type: str
    name: str
    version: str
    path: str
    layer: int
    purl_type: str
    purl_namespace: str | None
    purl_name: str
    purl_qualifiers: tuple[tuple[str, str], ...] = ()  # (key, value), e.g. (("arch", "amd64"), ("distro", "debian-12"))

    @property
    def purl(self) -> str:
        return _purl(self.purl_type, self.purl_name, self.version, self.purl_namespace, self.purl_qualifiers)


def find_packages(contents: Mapping[tuple[int, str], bytes], shown: Mapping[str, int]) -> list[Package]:
    """The packages in captured files the final filesystem shows (``shown``: path → the layer it
    is shown from); the core of ``inventory``, without pandas."""
    rows: list[Package] = []
    seen: set[tuple[str, str, str, str]] = set()

    def add(ptype: str, name: str, version: str, path: str, layer: int, namespace: str | None = None,
            purl_type: str | None = None, purl_name: str | None = None,
            qualifiers: tuple[tuple[str, str], ...] = ()) -> None:
        if (ptype, name, version, path) not in seen:
            seen.add((ptype, name, version, path))
            rows.append(Package(ptype, name, version, path, layer, purl_type or ptype, namespace, purl_name or name,
                                qualifiers))

    os_release = image_os_release(contents, shown)
    os_id = os_release.get("ID", "").lower()
    distro = distro_qualifier(os_release)

    def os_qualifiers(arch: str) -> tuple[tuple[str, str], ...]:
        return tuple((k, v) for k, v in (("arch", arch), ("distro", distro or "")) if v)

    for (layer, path), data in sorted(contents.items()):
        if shown.get(path) != layer:
            continue
        kind = _kind(path)
        if kind == "os-release":
            continue
        if kind == "dpkg":
            # namespace: the distribution (debian, ubuntu); Debian when the image does not say
            namespace = os_id if os_id and os_id != "alpine" else "debian"
            for name, version, arch in dpkg_records(data.decode("utf-8", "replace")):
                add("deb", name, version, path, layer, namespace=namespace, qualifiers=os_qualifiers(arch))
        elif kind == "apk":
            namespace = os_id if os_id and os_id not in ("debian", "ubuntu") else "alpine"
            for name, version, arch in apk_records(data.decode("utf-8", "replace")):
                add("apk", name, version, path, layer, namespace=namespace, purl_type="apk",
                    qualifiers=os_qualifiers(arch))
        elif kind == "python":
            meta = _rfc822_paragraphs(data.decode("utf-8", "replace").split("\n\n", 1)[0])
            if meta and meta[0].get("Name"):
                add("pypi", meta[0]["Name"], meta[0].get("Version", ""), path, layer)
        elif kind == "npm":
            try:
                doc = json.loads(data)
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(doc, dict) and doc.get("name") and doc.get("version"):
                name, version = str(doc["name"]), str(doc["version"])
                scope, _, short = name.rpartition("/") if name.startswith("@") else ("", "", name)
                add("npm", name, version, path, layer, namespace=scope or None, purl_name=short)
        elif kind == "jar":
            for artifact, version, group in _jar_packages(data):
                add("maven", artifact, version, path, layer, namespace=group)
        else:
            info = parse_go_buildinfo(data)
            if info:
                go_version, mods = info
                for mod, version in mods:
                    ns, _, short = mod.rpartition("/")
                    add("golang", mod, version, path, layer, namespace=ns or None, purl_name=short)
                add("golang-stdlib", "stdlib", go_version.removeprefix("go"), path, layer, purl_type="golang")
    return rows


def image_os_release(contents: Mapping[tuple[int, str], bytes], shown: Mapping[str, int]) -> dict[str, str]:
    """The final filesystem's ``os-release`` (``/etc/os-release``, else ``/usr/lib/os-release``,
    which the first is often a symbolic link to); empty when the image has none."""
    for path in OS_RELEASE_PATHS:
        layer = shown.get(path)
        data = contents.get((layer, path)) if layer is not None else None
        if data:
            return parse_os_release(data.decode("utf-8", "replace"))
    return {}


def packages_frame(packages: Iterable[Package]) -> pd.DataFrame:
    """``Package`` records as the ``inventory`` DataFrame."""
    import pandas as pd

    return pd.DataFrame([(p.type, p.name, p.version, p.path, p.layer, p.purl) for p in packages],
                        columns=PACKAGE_COLUMNS)


def inventory(files: Any, contents: Mapping[tuple[int, str], bytes]) -> pd.DataFrame:
    """Each row is one package found in the final filesystem.

    Columns: ``type`` (deb, apk, pypi, npm, maven, golang), ``name``, ``version``, ``path`` (the
    file it was read from), ``layer`` (that file's layer), ``purl``. ``files``: ``dockopt.image.files``
    output (or its ``ImageContents``); ``contents``: ``ImageContents.contents``.
    """
    t = as_table(files)
    shown = {t.path[i]: t.layer[i] for i, (v, k) in enumerate(zip(t.visible, t.kind)) if v and k == FILE}
    return packages_frame(find_packages(contents, shown))


def cyclonedx_json(packages: pd.DataFrame | Iterable[Package], *, image_name: str = "image",
                   image_version: str | None = None) -> str:
    """A CycloneDX 1.6 JSON SBOM of ``packages`` (``inventory`` output, or ``Package`` records)
    via cyclonedx-python-lib."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    bom = Bom()
    root = Component(name=image_name, version=image_version, type=ComponentType.CONTAINER,
                     bom_ref=f"image:{image_name}")
    bom.metadata.component = root
    seen = set()
    components = []
    rows = packages.itertuples(index=False) if hasattr(packages, "itertuples") else packages
    for row in rows:
        if row.purl in seen:
            continue
        seen.add(row.purl)
        comp = Component(name=str(row.name), version=str(row.version) or None, type=ComponentType.LIBRARY,
                         purl=PackageURL.from_string(str(row.purl)), bom_ref=str(row.purl))
        bom.components.add(comp)
        components.append(comp)
    bom.register_dependency(root, components)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return JsonV1Dot6(bom).output_as_string(indent=2)
