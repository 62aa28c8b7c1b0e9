"""The base-image catalog without an engine: references, labels, closures, checksums, planning."""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path

import pytest

from dockopt.bases import provision, standins
from dockopt.bases.debs import DISTROLESS_EXCLUDE, closure, parse_depends
from dockopt.errors import BaseUnavailable, ImageNotFound

# `dockopt.bases.catalog` is also the name of the exported function: fetch the module itself.
cat = importlib.import_module("dockopt.bases.catalog")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bases"

# The references the sample apps are written against (issue 2, section 3).
PROMISED = [
    "debian:bookworm-slim", "alpine:3.20", "alpine:3.20.3", "busybox:1.35", "scratch",
    "node:24-bookworm-slim", "node:24-bookworm", "python:3.11-slim-bookworm", "python:3.11-bookworm",
    "golang:1.23-bookworm", "eclipse-temurin:17-jdk", "eclipse-temurin:17-jre", "nginx:1.27-bookworm",
    "mcr.microsoft.com/dotnet/sdk:8.0", "mcr.microsoft.com/dotnet/aspnet:8.0", "maven:3.9-eclipse-temurin-17",
    *[f"gcr.io/distroless/{v}-debian12{t}" for v in ("static", "base", "cc", "python3", "nodejs24", "java17")
      for t in ("", ":nonroot")],
]


# --- catalog -------------------------------------------------------------------------------------


def test_catalog_holds_every_promised_reference_once():
    refs = [b.reference for b in cat.BASES]
    assert len(refs) == len(set(refs))
    assert set(PROMISED) <= set(refs)


@pytest.mark.parametrize("base", cat.BASES, ids=lambda b: b.reference)
def test_each_entry_is_consistent(base):
    assert base.role in cat.ROLES
    if base.role in ("registry-only", "builtin"):
        assert base.recipe is None
    else:
        assert base.recipe in standins.RECIPES
    if base.parent and base.parent != "scratch":
        parent = cat.lookup(base.parent)
        assert parent is not None and parent.recipe is not None, f"{base.parent} must be buildable too"


def test_parents_form_no_cycle_and_lead_to_slim():
    for base in cat.BASES:
        chain = cat.ancestors(base.reference)
        assert len(chain) == len(set(chain)) < 10
    assert cat.ancestors("node:24-bookworm") == ["buildpack-deps:bookworm", "buildpack-deps:bookworm-scm",
                                                 "buildpack-deps:bookworm-curl", "debian:bookworm-slim"]
    distroless = "gcr.io/distroless/{}-debian12:nonroot"
    assert cat.ancestors(distroless.format("python3"))[-1] == distroless.format("static")


def test_reference_spelling():
    assert cat.normalize("gcr.io/distroless/static-debian12:latest") == "gcr.io/distroless/static-debian12"
    assert cat.lookup("gcr.io/distroless/cc-debian12:latest").reference == "gcr.io/distroless/cc-debian12"
    assert cat.engine_reference("gcr.io/distroless/cc-debian12") == "gcr.io/distroless/cc-debian12:latest"
    assert cat.engine_reference("localhost:5000/x") == "localhost:5000/x:latest"
    assert provision.registry_of("node:24-bookworm") == "docker.io"
    assert provision.registry_of("gcr.io/distroless/cc-debian12") == "gcr.io"
    assert provision.registry_of("localhost:5000/a/b:1") == "localhost:5000"
    assert provision.registry_of("library/debian:bookworm") == "docker.io"


# --- labels ----------------------------------------------------------------------------------------


def test_standin_labels_round_trip():
    labels = cat.standin_labels("alpine:3.20", "the minirootfs on scratch")
    assert labels["io.dockopt.managed"] == "base"
    info = cat.parse_labels(labels)
    assert info == cat.StandinInfo(True, "alpine:3.20", "the minirootfs on scratch")


@pytest.mark.parametrize("labels", [None, {}, {"io.dockopt.standin": "false"},
                                    {"io.dockopt.standin.for": "x", "io.dockopt.standin.recipe": "y"}])
def test_images_without_the_flag_are_not_standins(labels):
    assert cat.parse_labels(labels) == cat.StandinInfo(False, None, None)


def test_images_built_from_a_standin_are_not_standins_themselves():
    inherited = cat.standin_labels("node:24-bookworm", "node on buildpack-deps")
    assert cat.is_standin_of("node:24-bookworm", inherited)
    assert not cat.is_standin_of("dockopt-sample/node-express:naive", inherited)
    assert cat.is_standin_of("alpine:3.20.3", cat.standin_labels("alpine:3.20", "minirootfs"))  # one image, 2 tags
    assert not cat.is_standin_of("busybox:1.35", cat.standin_labels("alpine:3.20", "minirootfs"))
    latest = cat.standin_labels("gcr.io/distroless/cc-debian12", "cc")
    assert cat.is_standin_of("gcr.io/distroless/cc-debian12:latest", latest)
    assert not cat.is_standin_of("gcr.io/distroless/cc-debian12:nonroot", latest)


def test_catalog_does_not_count_a_child_image_under_a_catalog_tag_as_standin(fake):
    child = _standin("debian:bookworm-slim")
    child["Config"]["Labels"] = cat.standin_labels("buildpack-deps:bookworm", "inherited")
    fake.images["node:24-bookworm"] = child
    assert cat.probe("node:24-bookworm").status == "local"


def test_label_change_is_quoted_for_docker_import():
    change = standins._label_changes({"a.b": 'say "hi" to 1.22'})
    assert change == 'LABEL a.b="say \\"hi\\" to 1.22"'


# --- dependency closures ------------------------------------------------------------------------


def test_parse_recorded_apt_cache_depends():
    depends, providers = parse_depends((FIXTURES / "apt-cache-depends-python3.11.txt").read_text())
    assert depends["python3.11"][:2] == [["python3.11-minimal"], ["libpython3.11-stdlib"]]
    assert ["media-types", "mime-support"] in depends["python3.11"]  # "|Depends" starts an alternatives group
    assert providers == {}


def test_closure_of_python_without_package_machinery():
    depends, providers = parse_depends((FIXTURES / "apt-cache-depends-python3.11.txt").read_text())
    have = {"libc6", "libgcc-s1", "gcc-12-base", "libssl3"}
    got = closure(["python3.11"], depends, providers, exclude=DISTROLESS_EXCLUDE, have=have)
    assert {"python3.11", "python3.11-minimal", "libpython3.11-stdlib", "libexpat1", "zlib1g", "libffi8",
            "media-types", "libsqlite3-0"} <= got
    assert not got & {"perl", "mailcap", "mime-support", "dpkg", "install-info", "readline-common"}
    assert not got & have


def test_closure_resolves_virtual_packages_and_drops_excluded_groups():
    text = """tzdata
  Depends: <debconf-2.0>
    cdebconf
    debconf
libfoo
  Depends: <libbar-abi>
    libbar2
  Depends: tzdata
libbar2
debconf
cdebconf
"""
    depends, providers = parse_depends(text)
    assert providers == {"debconf-2.0": ["cdebconf", "debconf"], "libbar-abi": ["libbar2"]}
    assert closure(["libfoo"], depends, providers, exclude=DISTROLESS_EXCLUDE) == {"libfoo", "libbar2", "tzdata"}
    assert closure(["libfoo"], depends, providers, exclude=()) >= {"cdebconf"}


# --- the alpine tarball check ------------------------------------------------------------------


def test_sha512_check_accepts_a_good_file(tmp_path):
    f = tmp_path / "rootfs.tar.gz"
    f.write_bytes(b"alpine")
    (tmp_path / "rootfs.tar.gz.sha512").write_text(f"{hashlib.sha512(b'alpine').hexdigest()}  rootfs.tar.gz\n")
    assert standins.verify_sha512(f) == hashlib.sha512(b"alpine").hexdigest()


def test_sha512_check_rejects_a_bad_file(tmp_path):
    f = tmp_path / "rootfs.tar.gz"
    f.write_bytes(b"tampered")
    (tmp_path / "rootfs.tar.gz.sha512").write_text(f"{hashlib.sha512(b'alpine').hexdigest()}  rootfs.tar.gz\n")
    with pytest.raises(BaseUnavailable, match="does not match its SHA-512") as err:
        standins.verify_sha512(f)
    assert "restore it" in str(err.value)


def test_sha512_check_needs_the_checksum_file(tmp_path):
    f = tmp_path / "rootfs.tar.gz"
    f.write_bytes(b"x")
    with pytest.raises(BaseUnavailable, match=r"\.sha512 does not exist"):
        standins.verify_sha512(f)


def test_the_offline_bases_folder_is_a_setting_with_a_default_on_any_machine(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKOPT_OFFLINE_BASES", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert standins.offline_bases_dir() == tmp_path / "data" / "dockopt" / "offline-bases"
    with pytest.raises(BaseUnavailable) as err:
        standins.verify_sha512(standins.offline_bases_dir() / standins.ALPINE_TARBALL)
    assert "DOCKOPT_OFFLINE_BASES" in err.value.hint and "alpinelinux/docker-alpine" in err.value.hint
    monkeypatch.setenv("DOCKOPT_OFFLINE_BASES", str(tmp_path / "mine"))
    assert standins.offline_bases_dir() == tmp_path / "mine"


def test_shipped_alpine_tarball_verifies():
    tarball = standins.offline_bases_dir() / standins.ALPINE_TARBALL
    if not tarball.exists():
        pytest.skip(f"{tarball} is not on this machine")
    assert len(standins.verify_sha512(tarball)) == 128


# --- catalog() and ensure() against a fake engine ---------------------------------------------------


class FakeEngine:
    """Just enough of dockopt.engine for catalog/ensure: images by tag, pulls that fail or succeed."""

    def __init__(self, images=None, pullable=()):
        self.images = dict(images or {})  # tag -> attrs
        self.pullable = set(pullable)
        self.removed: list[str] = []
        self.pulls: list[str] = []

    def inspect_image(self, ref):
        from dockopt.engine import ImageInfo

        if ref in self.images:
            return ImageInfo.from_inspect(self.images[ref])
        for attrs in self.images.values():
            if attrs["Id"] == ref:
                return ImageInfo.from_inspect(attrs)
        raise ImageNotFound(ref)

    def pull(self, ref, timeout_s=0):
        from dockopt.errors import RegistryUnreachable

        self.pulls.append(ref)
        if ref not in self.pullable:
            raise RegistryUnreachable(f"cannot pull {ref}: dial tcp: lookup registry: no such host",
                                      host_unreachable=True)
        old = self.images.get(ref)
        if old is not None:  # the old image stays, untagged, under its id
            old["RepoTags"] = [t for t in old["RepoTags"] if t != ref]
            self.images[old["Id"]] = old
        self.images[ref] = {"Id": f"sha256:real-{ref}", "Size": 1, "RepoTags": [ref], "RepoDigests": [f"{ref}@x"],
                            "Config": {"Labels": {}}}
        return self.images[ref]["Id"]

    def remove_image(self, ref, force=False):
        self.removed.append(ref)


def _standin(ref, image_id=None):
    return {"Id": image_id or f"sha256:standin-{ref}", "Size": 10, "RepoTags": [ref], "RepoDigests": [],
            "Config": {"Labels": cat.standin_labels(ref, "test recipe")}}


@pytest.fixture
def fake(monkeypatch):
    eng = FakeEngine()
    for name in ("inspect_image", "pull", "remove_image"):
        monkeypatch.setattr(f"dockopt.engine.{name}", getattr(eng, name))
    built: list[str] = []

    def make(ref):
        base = cat.lookup(ref)
        made = ([ref.split(":")[0] + ":latest", ref.split(":")[0] + ":nonroot"] if base.recipe == "distroless"
                else ["alpine:3.20", "alpine:3.20.3"] if base.recipe == "alpine" else [cat.engine_reference(ref)])
        for parent in cat.ancestors(ref)[:1]:
            assert cat.engine_reference(parent) in eng.images, f"{ref} built before its parent {parent}"
        for tag in made:
            eng.images[tag] = _standin(tag)
        built.append(ref)
        return standins.Made(tuple(made), "test recipe")

    monkeypatch.setattr(standins, "make", make)
    eng.built = built
    return eng


def test_catalog_statuses(fake):
    fake.images["debian:bookworm-slim"] = _standin("debian:bookworm-slim")
    fake.images["alpine:3.20"] = {"Id": "sha256:a", "Size": 5, "RepoTags": ["alpine:3.20"],
                                  "RepoDigests": ["alpine@sha256:1"], "Config": {"Labels": None}}
    fake.images["busybox:1.35"] = {"Id": "sha256:b", "Size": 5, "RepoTags": ["busybox:1.35"], "RepoDigests": [],
                                   "Config": {"Labels": {}}}
    df = cat.catalog().set_index("reference")
    assert df.loc["scratch", "status"] == "builtin"
    assert df.loc["debian:bookworm-slim", "status"] == "stand-in"
    assert df.loc["debian:bookworm-slim", "made_from"] == "test recipe"
    assert df.loc["alpine:3.20", "status"] == "pulled"
    assert df.loc["busybox:1.35", "status"] == "local"
    assert df.loc["mcr.microsoft.com/dotnet/sdk:8.0", "status"] == "missing"
    assert "registry" in df.loc["mcr.microsoft.com/dotnet/sdk:8.0", "notes"]
    prov = cat.provenance(["debian:bookworm-slim", "alpine:3.20", "scratch", "nope:1"]).set_index("reference")
    assert prov["standin"].to_dict() == {"debian:bookworm-slim": True, "alpine:3.20": False, "scratch": False,
                                         "nope:1": False}
    assert prov["status"].to_dict() == {"debian:bookworm-slim": "stand-in", "alpine:3.20": "pulled",
                                        "scratch": "builtin", "nope:1": "missing"}
    assert prov.loc["debian:bookworm-slim", "recipe"] == "test recipe"
    assert prov.loc["debian:bookworm-slim", "upstream_size_bytes"] == 74_800_000


def test_ensure_builds_parents_first_and_reports_registry_only_as_missing(fake):
    df = provision.ensure(progress=False).set_index("reference")
    assert df.loc["node:24-bookworm", "action"] == "built-stand-in"
    assert df.loc["scratch", "action"] == "builtin"
    assert df.loc["maven:3.9-eclipse-temurin-17", "action"] == "missing"
    assert "no stand-in recipe" in df.loc["maven:3.9-eclipse-temurin-17", "detail"]
    # one recipe run per distroless repository and one for both alpine tags
    assert sum(r.startswith("gcr.io/distroless/static") for r in fake.built) == 1
    assert sum(r.startswith("alpine") for r in fake.built) == 1
    # each registry is asked once per run, then remembered as unreachable
    assert len(fake.pulls) == len({provision.registry_of(p) for p in fake.pulls})


def test_ensure_of_one_reference_builds_missing_parents(fake):
    df = provision.ensure(["node:24-bookworm"], progress=False)
    assert set(df["reference"]) == {"node:24-bookworm", "buildpack-deps:bookworm", "buildpack-deps:bookworm-scm",
                                    "buildpack-deps:bookworm-curl", "debian:bookworm-slim"}
    assert df.set_index("reference").loc["debian:bookworm-slim", "requested"] == False  # noqa: E712


def test_explicit_registry_only_reference_raises(fake):
    with pytest.raises(BaseUnavailable, match="mcr.microsoft.com/dotnet/sdk:8.0") as err:
        provision.ensure(["mcr.microsoft.com/dotnet/sdk:8.0"], progress=False)
    assert err.value.frame.iloc[0]["action"] == "missing"


def test_present_real_image_is_used_and_never_replaced(fake):
    fake.images["debian:bookworm-slim"] = {"Id": "sha256:mine", "Size": 5, "RepoTags": ["debian:bookworm-slim"],
                                           "RepoDigests": [], "Config": {"Labels": {"maintainer": "me"}}}
    df = provision.ensure(["debian:bookworm-slim"], progress=False)
    assert df.iloc[0]["action"] == "present"
    assert fake.pulls == [] and fake.removed == [] and fake.built == []


def test_a_pulled_image_replaces_the_standin(fake):
    fake.images["busybox:1.35"] = _standin("busybox:1.35", "sha256:old")
    fake.pullable = {"busybox:1.35"}
    df = provision.ensure(["busybox:1.35"], progress=False)
    assert df.iloc[0]["action"] == "replaced-stand-in"
    assert df.iloc[0]["status"] == "pulled"
    assert fake.removed == ["sha256:old"]  # the untagged stand-in, by id


def test_warm_ensure_builds_nothing(fake):
    provision.ensure(progress=False)
    fake.built.clear()
    df = provision.ensure(progress=False)
    assert fake.built == []
    assert set(df["action"]) <= {"builtin", "present-stand-in", "missing"}


def test_a_failed_standin_fails_its_children_and_raises(fake, monkeypatch):
    real_make = standins.make

    def broken(ref):
        if ref == "buildpack-deps:bookworm-curl":
            raise BaseUnavailable("apt broke")
        return real_make(ref)

    monkeypatch.setattr(standins, "make", broken)
    with pytest.raises(BaseUnavailable) as err:
        provision.ensure(["node:24-bookworm", "alpine:3.20"], progress=False)
    df = err.value.frame.set_index("reference")
    assert df.loc["buildpack-deps:bookworm-curl", "action"] == "failed"
    assert "apt broke" in df.loc["buildpack-deps:bookworm-curl", "detail"]
    assert df.loc["node:24-bookworm", "action"] == "failed"
    assert "parent" in df.loc["node:24-bookworm", "detail"]
    assert df.loc["alpine:3.20", "action"] == "built-stand-in"
