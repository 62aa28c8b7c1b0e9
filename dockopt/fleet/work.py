"""The unit of work of a fleet audit: one image manifest digest, analysed straight from its registry.

``analyse_digest`` runs anywhere dockopt is installed (this process, a worker process, a Dask
worker on another machine): it takes plain values and returns a plain JSON-ready dict, so it
pickles cheaply and can be written to disk as it is. It never raises for a problem with the
image: the error becomes the row's ``error`` and the audit goes on.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

_CLIENTS: dict[str, Any] = {}  # one registry client per host and process: its connections and tokens are reused

FACT_VERSION = 1  # bump when the facts a digest yields change: results of older versions are redone

# per-image facts, in the order of the images table (repository and tag are added per target)
IMAGE_FACTS = ["digest", "platform", "size_bytes", "compressed_bytes", "layers", "efficiency", "wasted_bytes",
               "reclaimable_bytes", "secrets_count", "runs_as_root", "user", "has_shell", "shells",
               "base_family", "base_version", "packages", "created", "base_created", "base_age_days",
               "top_rule", "top_fix", "top_cost_bytes", "waste_instruction", "waste_instruction_bytes",
               "bytes_read", "duration_s", "error"]
LAYER_COLUMNS = ["digest", "index", "layer_digest", "size_bytes", "compressed_bytes", "instruction"]
FINDING_COLUMNS = ["digest", "rule", "severity", "message", "fix", "cost_bytes"]


def _empty(digest: str) -> dict[str, Any]:
    return dict.fromkeys(IMAGE_FACTS) | {"digest": digest}


def failed_result(digest: str, error: str, *, retry: bool = True) -> dict[str, Any]:
    """The result of a digest whose worker failed (died, was lost): a row with its error, tried
    again by a resumed audit (``retry``)."""
    return {"version": FACT_VERSION, "image": _empty(digest) | {"error": error}, "layers": [], "findings": [],
            "retry": retry}


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def analyse_digest(host: str, repository: str, digest: str, platform: str | None = None,
                   now: str | None = None) -> dict[str, Any]:
    """Facts, layers and suggested fixes of ``host/repository@digest``; ``{"image": {...}, "layers":
    [...], "findings": [...], "version": FACT_VERSION}``. ``now``: ISO time the base's age is counted
    to (one value for the whole audit, so every worker agrees)."""
    started = time.perf_counter()
    image = _empty(digest)
    out: dict[str, Any] = {"version": FACT_VERSION, "image": image, "layers": [], "findings": []}
    try:
        _analyse(host, repository, digest, platform, now, out)
    except Exception as exc:  # noqa: BLE001 - one image's failure is a row, not the end of the audit
        from ..errors import RegistryUnreachable

        message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        image["error"] = f"{type(exc).__name__}: {message}"
        # a registry that stopped answering may answer next time: a resumed audit tries again
        out["retry"] = isinstance(exc, RegistryUnreachable)
    image["duration_s"] = round(time.perf_counter() - started, 4)
    return out


def _analyse(host: str, repository: str, digest: str, platform: str | None, now: str | None,
             out: dict[str, Any]) -> None:
    from .. import sbom, secrets
    from ..analysis_report import analyze_report
    from ..checks.facts import image_facts
    from ..insight import RULES, Subject
    from ..insight.findings import run_rules
    from ..registry import Reference, Registry

    image = out["image"]
    ref = Reference(host, repository, digest=digest)
    if host not in _CLIENTS:
        _CLIENTS[host] = Registry(host)
    manifest = _CLIENTS[host].manifest(ref, platform)
    report = analyze_report(str(ref), source="registry", platform=platform)
    contents = report.contents
    table = contents.entries
    shown = {table.path[i]: table.layer[i] for i, v in enumerate(table.visible) if v}
    release = sbom.image_os_release(contents.contents, shown)
    facts = image_facts(report)  # root, shell, secrets: decided once, as every rule pack reads them
    history = list(contents.history)
    created = _timestamp(contents.config.get("created"))
    base_created = _timestamp(history[0].get("created")) if history else None
    when = _timestamp(now) or datetime.now(UTC)
    image.update(
        platform=manifest.platform or "{}/{}".format(contents.config.get("os", "?"),
                                                     contents.config.get("architecture", "?")),
        size_bytes=facts.size_bytes,
        compressed_bytes=int(manifest.compressed_bytes),
        layers=len(manifest.layers),
        efficiency=facts.efficiency,
        wasted_bytes=facts.wasted_bytes,
        reclaimable_bytes=int(report.reclaimable_bytes),
        secrets_count=facts.secret_count,
        runs_as_root=facts.runs_as_root,
        user=facts.user,
        has_shell=facts.has_shell,
        shells=", ".join(facts.shells) if facts.shells is not None else None,
        base_family=release.get("ID") or None,
        base_version=release.get("VERSION_ID") or None,
        packages=len(report.package_rows),
        created=created.isoformat() if created else None,
        # the first history entry is the base image's first step: when its author built it
        base_created=base_created.isoformat() if base_created else None,
        base_age_days=round((when - base_created).total_seconds() / 86400, 2) if base_created else None,
        # what the analysis downloaded: the manifest, the config and every layer blob
        bytes_read=len(manifest.raw) + manifest.config.size_bytes + manifest.compressed_bytes,
    )
    worst = max(report.waste_rows, key=lambda w: w.reclaimable_bytes, default=None)
    if worst is not None and worst.reclaimable_bytes > 0:
        # the instruction whose bytes a later layer hides: where a rebuild saves the most
        image.update(waste_instruction=secrets.redact_text(worst.instruction) or f"layer {worst.layer}",
                     waste_instruction_bytes=int(worst.reclaimable_bytes))
    # one filesystem layer per manifest layer, in the same order (the reader stacks them as listed)
    infos = list(contents.layer_info) if len(contents.layer_info) == len(manifest.layers) else []
    for index, layer in enumerate(manifest.layers):
        li = infos[index] if infos else None
        out["layers"].append({"digest": digest, "index": index, "layer_digest": layer.digest,
                              "size_bytes": int(li.size_bytes) if li else None,
                              "compressed_bytes": int(layer.size_bytes),
                              # build args are recorded in full in the history: never keep a secret
                              "instruction": secrets.redact_text(li.instruction if li else None) or None})
    findings = run_rules(Subject(report=report), RULES)
    for f in findings:
        out["findings"].append({"digest": digest, "rule": f.rule, "severity": f.severity, "message": f.message,
                                "fix": f.fix, "cost_bytes": int(f.cost_bytes) if f.cost_bytes is not None else None})
    if findings:
        # the fix to show first: the one that saves the most bytes, else the most severe
        order = {s: i for i, s in enumerate(("error", "warning", "info", "style"))}
        top = min(findings, key=lambda f: (-(f.cost_bytes or 0), order.get(f.severity, 9)))
        image.update(top_rule=top.rule, top_fix=top.fix, top_cost_bytes=top.cost_bytes)
