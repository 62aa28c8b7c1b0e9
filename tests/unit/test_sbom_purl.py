"""SBOM package URLs as the purl spec and scanners expect them, in a CycloneDX 1.6 document validated strictly.

The package databases below are excerpts of real ones: dpkg's status from debian:12 (bookworm,
libc6 2.36-9+deb12u4 on amd64) and apk's installed database from alpine:3.20.3 (x86_64).
"""

from __future__ import annotations

import json

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from dockopt import sbom

DEBIAN_OS_RELEASE = b'''PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
'''
DPKG_STATUS = b'''Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1

Package: removed-one
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0
'''
ALPINE_OS_RELEASE = b'''NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.20.3
PRETTY_NAME="Alpine Linux v3.20"
'''
APK_INSTALLED = b'''C:Q1s2zCzsVr0Y2pNiJYdsLcyGXcCxs=
P:musl
V:1.2.5-r0
A:x86_64
S:411323
T:the musl c library (libc) implementation

C:Q1tABCDEF=
P:busybox
V:1.36.1-r29
A:x86_64
'''


def _packages(files: dict[str, bytes]) -> list[sbom.Package]:
    contents = {(0, path): data for path, data in files.items()}
    return sbom.find_packages(contents, dict.fromkeys(files, 0))


def test_debian_purls_carry_namespace_arch_and_distro():
    found = _packages({"/usr/lib/os-release": DEBIAN_OS_RELEASE, "/var/lib/dpkg/status": DPKG_STATUS})
    assert [p.purl for p in found] == [
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
        "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12",
    ]


def test_alpine_purls_carry_namespace_arch_and_distro():
    found = _packages({"/etc/os-release": ALPINE_OS_RELEASE, "/lib/apk/db/installed": APK_INSTALLED})
    assert [p.purl for p in found] == ["pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.3",
                                       "pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=3.20.3"]


def test_without_os_release_the_namespace_defaults_and_no_distro_is_invented():
    found = _packages({"/var/lib/dpkg/status": DPKG_STATUS})
    assert found[0].purl == "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64"


def test_ubuntu_namespace_and_distro():
    release = b'ID=ubuntu\nVERSION_ID="22.04"\n'
    found = _packages({"/etc/os-release": release, "/var/lib/dpkg/status": DPKG_STATUS})
    assert found[0].purl == "pkg:deb/ubuntu/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=ubuntu-22.04"


def test_cyclonedx_1_6_validates_strictly():
    found = _packages({"/etc/os-release": ALPINE_OS_RELEASE, "/lib/apk/db/installed": APK_INSTALLED})
    text = sbom.cyclonedx_json(found, image_name="alpine", image_version="3.20.3")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    assert doc["specVersion"] == "1.6"
    assert {c["purl"] for c in doc["components"]} == {p.purl for p in found}


def test_the_strict_validator_does_reject_a_broken_document():
    found = _packages({"/lib/apk/db/installed": APK_INSTALLED})
    doc = json.loads(sbom.cyclonedx_json(found))
    doc["components"][0]["type"] = "not-a-type"
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is not None
