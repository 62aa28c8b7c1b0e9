"""The image audit (Docker Bench for Security, section 4, measured on the image): kept for its import
path; the rules live in ``dockopt.checks.packs.audit`` and read ``dockopt.checks.facts``."""

from __future__ import annotations

from collections.abc import Iterable

from .checks.facts import _INSTALLS as _INSTALL
from .checks.facts import _UPDATE_ONLY as _APT_UPDATE_ALONE
from .checks.facts import privileged_ports
from .checks.packs.audit import AUDIT_COLUMNS, AUDIT_RULES, TEMP_DIRS, audit_frame, audit_verdict, image_audit

__all__ = ["AUDIT_COLUMNS", "AUDIT_RULES", "TEMP_DIRS", "audit_frame", "audit_verdict", "image_audit"]
_ = (_APT_UPDATE_ALONE, _INSTALL)  # the history patterns, re-exported for their old import path


def _privileged_ports(ports: Iterable[str]) -> list[str]:
    return list(privileged_ports(ports))
