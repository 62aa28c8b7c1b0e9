"""An image-configuration audit in the spirit of Docker Bench for Security's "container images and
build file" checks (section 4), measured on the image itself rather than on the host.

Docker Bench runs on a host and inspects its images and containers; here each check reads one image
(``analyze_report``: its config, history, files, packages, secrets and attack surface) and says
whether it passes, with the number behind it. Checks that need the host (content trust, image
scanning policy) are not here; ``capabilities`` is what the image can ask for by itself: file
capabilities are not recorded by the image reader, so the check looks at what needs one, a
privileged port (< 1024) a non-root user must bind.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from .analysis_report import AnalysisReport, analyze_report

AUDIT_COLUMNS = ["check", "bench", "passed", "value", "detail"]
TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")

_APT_UPDATE_ALONE = re.compile(r"\b(?:apt-get|apt|apk|yum|dnf)\s+update\b")
_INSTALL = re.compile(r"\b(?:install|add|upgrade)\b")


def _history_commands(config: Any) -> list[str]:
    return [str(h.get("created_by") or "") for h in (config.get("history") or [])]


def _privileged_ports(ports: tuple[str, ...]) -> list[str]:
    out = []
    for port in ports:
        number = port.split("/", 1)[0]
        if number.isdigit() and int(number) < 1024:
            out.append(port)
    return out


def image_audit(image_or_report: str | AnalysisReport) -> pd.DataFrame:
    """Each row is one check on one image (``AUDIT_COLUMNS``): ``check``, ``bench`` (the Docker Bench
    recommendation it follows, e.g. "4.1"), ``passed``, ``value`` (the measured number or setting)
    and ``detail`` (paths, ports, instructions behind it)."""
    report = image_or_report if isinstance(image_or_report, AnalysisReport) else analyze_report(image_or_report)
    surf = report.surface
    if surf is None:
        from .errors import DockoptError

        raise DockoptError(f"{report.image}: the analysis ran without its scanners",
                           hint="pass an image reference, or analyze_report(image) with scanners on")
    config = report.contents.config
    history = _history_commands(config)
    adds = [h for h in history if re.match(r"^\s*ADD\b", h)]
    update_alone = [h for h in history if _APT_UPDATE_ALONE.search(h) and not _INSTALL.search(h)]
    secrets = report.secrets
    privileged = _privileged_ports(surf.exposed_ports)
    # sticky temp dirs are meant to be world-writable; anything else lets any user plant files
    writable = [d for d in surf.world_writable_dirs if d not in TEMP_DIRS]
    rows = [
        ("runs as a non-root user", "4.1", not surf.runs_as_root, surf.user or "(unset: root)", ""),
        ("HEALTHCHECK defined", "4.6", surf.healthcheck, surf.healthcheck, ""),
        ("no update-only package step", "4.7", not update_alone, len(update_alone), " | ".join(update_alone)[:300]),
        ("no setuid/setgid files", "4.8", not (surf.setuid_files or surf.setgid_files),
         len(surf.setuid_files) + len(surf.setgid_files), ", ".join((*surf.setuid_files, *surf.setgid_files)[:8])),
        ("COPY rather than ADD", "4.9", not adds, len(adds), " | ".join(adds)[:300]),
        ("no secrets in layers, config or history", "4.10", secrets.empty, len(secrets),
         ", ".join(dict.fromkeys(secrets["path"].astype(str)))[:300] if len(secrets) else ""),
        ("no privileged port (needs a capability as non-root)", "5.8", not privileged, len(privileged),
         ", ".join(privileged)),
        ("no world-writable directory outside the temp dirs", "-", not writable, len(writable),
         ", ".join(writable[:8])),
        ("no shell", "-", not surf.shells, len(surf.shells), ", ".join(surf.shells)),
        ("no package manager", "-", not surf.package_managers, len(surf.package_managers),
         ", ".join(surf.package_managers)),
        ("no compiler", "-", not surf.compilers, len(surf.compilers), ", ".join(surf.compilers)),
    ]
    table = pd.DataFrame(rows, columns=AUDIT_COLUMNS)
    table["value"] = table["value"].astype(str)
    return table
