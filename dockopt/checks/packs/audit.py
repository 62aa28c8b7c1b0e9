"""The image audit, in the spirit of Docker Bench for Security's "container images and build file"
checks (section 4), measured on the image itself rather than on the host.

Docker Bench runs on a host and inspects its images and containers; here each rule reads one image's
facts (config, history, files, secrets, attack surface) and says whether it passes, with the number
behind it. Checks that need the host (content trust, image scanning policy) are not here; the
capability rule looks at what needs one: a privileged port (< 1024) a non-root user must bind.
Every rule is always on (setting ``"true"``); ``help`` holds the Docker Bench recommendation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..facts import ImageFacts
from ..rule import Outcome, Rule, Severity, Verdict, run

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ...analysis_report import AnalysisReport

PACK = "audit"
AUDIT_COLUMNS = ["check", "bench", "passed", "value", "detail"]
TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")


def _none(value: str) -> str | None:
    return None


def _absent(found: tuple[str, ...], what: str, detail: str) -> Outcome:
    return Outcome(not found, len(found), f"{len(found)} {what}" if found else f"no {what}", detail)


def _non_root(f: ImageFacts, _: object) -> Outcome:
    return Outcome(not f.runs_as_root, f.user or "(unset: root)",
                   "runs as root" if f.runs_as_root else f"runs as {f.user}")


def _healthcheck(f: ImageFacts, _: object) -> Outcome:
    declared = bool(f.healthcheck_declared)
    return Outcome(declared, declared, "HEALTHCHECK defined" if declared else "no HEALTHCHECK")


def _update_only(f: ImageFacts, _: object) -> Outcome:
    steps = f.update_only_steps or ()
    return _absent(steps, "update-only package steps", " | ".join(steps)[:300])


def _setuid(f: ImageFacts, _: object) -> Outcome:
    found = (*(f.setuid_files or ()), *(f.setgid_files or ()))
    return _absent(found, "setuid/setgid files", ", ".join(found[:8]))


def _add(f: ImageFacts, _: object) -> Outcome:
    steps = f.add_steps or ()
    return _absent(steps, "ADD steps", " | ".join(steps)[:300])


def _secrets(f: ImageFacts, _: object) -> Outcome:
    n = f.secret_count or 0
    return Outcome(n == 0, n, f"{n} secrets" if n else "no secrets", ", ".join(f.secret_paths or ())[:300])


def _privileged(f: ImageFacts, _: object) -> Outcome:
    ports = f.privileged_ports or ()
    return _absent(ports, "privileged ports", ", ".join(ports))


def _world_writable(f: ImageFacts, _: object) -> Outcome:
    # sticky temp dirs are meant to be world-writable; anything else lets any user plant files
    found = tuple(d for d in f.world_writable_dirs or () if d not in TEMP_DIRS)
    return _absent(found, "world-writable directories", ", ".join(found[:8]))


def _shell(f: ImageFacts, _: object) -> Outcome:
    return _absent(f.shells or (), "shells", ", ".join(f.shells or ()))


def _package_manager(f: ImageFacts, _: object) -> Outcome:
    return _absent(f.package_managers or (), "package managers", ", ".join(f.package_managers or ()))


def _compiler(f: ImageFacts, _: object) -> Outcome:
    return _absent(f.compilers or (), "compilers", ", ".join(f.compilers or ()))


def _rule(rule_id: str, title: str, bench: str, evaluate: object, reads: tuple[str, ...],
          severity: Severity = Severity.WARNING) -> Rule:
    return Rule(rule_id, "true", _none, evaluate, PACK, title=title, severity=severity,  # type: ignore[arg-type]
                reads=reads, help=bench)


AUDIT_RULES: tuple[Rule, ...] = (
    _rule("non-root", "runs as a non-root user", "4.1", _non_root, ("runs_as_root",)),
    _rule("healthcheck", "HEALTHCHECK defined", "4.6", _healthcheck, ("healthcheck",)),
    _rule("no-update-only", "no update-only package step", "4.7", _update_only, ("history",)),
    _rule("no-setuid", "no setuid/setgid files", "4.8", _setuid, ("setuid_files", "setgid_files")),
    _rule("copy-not-add", "COPY rather than ADD", "4.9", _add, ("history",)),
    _rule("no-secrets", "no secrets in layers, config or history", "4.10", _secrets, ("secrets",),
          Severity.ERROR),
    _rule("no-privileged-port", "no privileged port (needs a capability as non-root)", "5.8", _privileged,
          ("exposed_ports",)),
    _rule("no-world-writable", "no world-writable directory outside the temp dirs", "-", _world_writable,
          ("world_writable_dirs",)),
    _rule("no-shell", "no shell", "-", _shell, ("shells",), Severity.NOTE),
    _rule("no-package-manager", "no package manager", "-", _package_manager, ("package_managers",), Severity.NOTE),
    _rule("no-compiler", "no compiler", "-", _compiler, ("compilers",), Severity.NOTE),
)


def audit_verdict(facts: ImageFacts) -> Verdict:
    """Every audit rule on one image's facts."""
    return run(AUDIT_RULES, facts, subject=facts.image)


def audit_frame(verdict: Verdict) -> pd.DataFrame:
    """Each row is one audit check on one image (``AUDIT_COLUMNS``): ``check``, ``bench`` (the Docker Bench
    recommendation it follows, e.g. "4.1"), ``passed``, ``value`` (the measured number or setting) and
    ``detail`` (paths, ports, instructions behind it)."""
    import pandas as pd

    bench = {r.id: r.help for r in AUDIT_RULES}
    rows = [(r.title, bench.get(r.rule, "-"), r.status == "PASS", str(r.value), r.detail) for r in verdict.results]
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def image_audit(image_or_report: str | AnalysisReport) -> pd.DataFrame:
    """Each row is one check on one image (``AUDIT_COLUMNS``, see ``audit_frame``); reads an image reference
    or archive with ``analyze_report``, or takes its report."""
    from ...analysis_report import AnalysisReport, analyze_report
    from ..facts import image_facts

    report = image_or_report if isinstance(image_or_report, AnalysisReport) else analyze_report(image_or_report)
    if report.surface is None:
        from ...errors import DockoptError

        raise DockoptError(f"{report.image}: the analysis ran without its scanners",
                           hint="pass an image reference, or analyze_report(image) with scanners on")
    return audit_frame(audit_verdict(image_facts(report)))
