"""The SBOM of real base images (the offline stand-ins `make setup` provisions, read from the engine)
carries purls with distribution namespace, arch and distro, and validates strictly as CycloneDX 1.6."""

from __future__ import annotations

import json

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from dockopt import engine, sbom
from dockopt.analysis_report import analyze_report


@pytest.mark.parametrize(("ref", "prefix", "qualifiers"), [
    ("debian:bookworm-slim", "pkg:deb/debian/", "distro=debian-12"),
    ("alpine:3.20.3", "pkg:apk/alpine/", "distro=3.20.3"),
])
def test_base_image_purls_and_strict_cyclonedx(docker_engine, ref, prefix, qualifiers):
    if not engine.image_exists(ref):
        pytest.skip(f"{ref} is not in the engine (`make setup` provisions it)")
    report = analyze_report(ref, source="engine")
    os_packages = [p for p in report.package_rows if p.type in ("deb", "apk")]
    assert len(os_packages) >= 10
    for p in os_packages:
        assert p.purl.startswith(prefix) and qualifiers in p.purl and "arch=" in p.purl, p.purl
    text = sbom.cyclonedx_json(report.package_rows, image_name=ref)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    assert json.loads(text)["specVersion"] == "1.6"
