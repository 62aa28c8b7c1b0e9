"""What a multi-stage build buys, sample by sample: naive vs optimised size, compressed size, attack surface.

The guide says multi-stage images are "often 80-90 % smaller" and "up to 80 % smaller"; ``multi_stage_matrix``
puts each buildable sample's two Dockerfiles side by side, and keeps a row for every Dockerfile that
needs a registry here (the .NET SDK, the Spring Boot variant), with the reason instead of a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from .. import samples as samples_mod
from ..errors import NeedsRegistry
from .builds import build_sample
from .ladder import image_facts

VARIANTS = ("naive", "optimised")


def _jobs(sample: samples_mod.Sample) -> list[tuple[str, str, str | None]]:
    """(label, role, service target) for each image of ``sample`` the matrix shows."""
    services: list[str | None] = [t.name for t in sample.targets if t.service] if len(sample.services()) > 1 else []
    out: list[tuple[str, str, str | None]] = []
    for role in (d.role for d in sample.dockerfiles):
        for target in services or [None]:
            label = sample.name if target is None else f"{sample.name} {target}"
            out.append((label, role, target))
    return out


def multi_stage_matrix(names: Sequence[str] | None = None, *, progress: bool = False) -> pd.DataFrame:
    """Each row is one image of one sample (``sample``; a multi-service sample has one per service):
    ``variant`` (the Dockerfile's role: naive, optimised, or an extra like ``spring-boot``),
    ``status`` (``built`` or ``needs a registry``), ``reason``, ``image``, ``size_bytes``,
    ``compressed_bytes``, ``packages``, ``shell``, ``compilers``, ``package_managers`` (counts of
    each found), ``secrets``, ``reduction_pct`` (on the optimised row: how much smaller than the
    naive image, in %) and ``bases``. Facts are read once per set of layers (``image_facts``)."""
    rows: list[dict[str, Any]] = []
    for name in names or samples_mod.names():
        sample = samples_mod.load(name)
        for label, role, target in _jobs(sample):
            row: dict[str, Any] = {"sample": label, "variant": role}
            try:
                samples_mod.check_buildable(sample, role)
                result = build_sample(sample, role, target=target, progress=progress)
            except NeedsRegistry as exc:
                rows.append({**row, "status": "needs a registry", "reason": str(exc)})
                continue
            facts = image_facts(result.ref)
            rows.append({**row, "status": "built", "reason": None, "image": result.ref,
                         "size_bytes": result.size_bytes, "compressed_bytes": facts["compressed_bytes"],
                         "packages": facts["packages"], "shell": len(facts["shells"]),
                         "compilers": len(facts["compilers"]), "package_managers": len(facts["package_managers"]),
                         "secrets": facts["secrets"], "bases": ", ".join(result.base_images)})
    table = pd.DataFrame(rows)
    if "size_bytes" not in table:
        table["size_bytes"] = pd.NA
    naive = table[table["variant"] == "naive"].set_index("sample")["size_bytes"]
    table["reduction_pct"] = [
        round(100 * (1 - size / naive[s]), 1) if v == "optimised" and pd.notna(size) and pd.notna(naive.get(s))
        else None for s, v, size in zip(table["sample"], table["variant"], table["size_bytes"])]
    return table


# A job made of one shell script: the guide's "script-based containers: probably not needed" case.
_SCRIPT = ("#!/bin/sh\n# a nightly job: nothing to compile, no dependencies to install\n"
           "echo \"report for $(date -u +%F)\"\n")
_SCRIPT_DOCKERFILES = {
    "single-stage": "FROM {base}\nCOPY job.sh /usr/local/bin/job.sh\nRUN chmod 0755 /usr/local/bin/job.sh\n"
                    "USER 65532:65532\nCMD [\"job.sh\"]\n",
    "multi-stage": "FROM {base} AS build\nCOPY job.sh /job.sh\nRUN chmod 0755 /job.sh\n\n"
                   "FROM {base}\nCOPY --from=build /job.sh /usr/local/bin/job.sh\nUSER 65532:65532\nCMD [\"job.sh\"]\n",
}


def script_only_pair(base: str = "alpine:3.20", *, progress: bool = False) -> pd.DataFrame:
    """A shell-script job built single-stage and multi-stage on ``base``: what the second stage buys when
    there is nothing to build. Each row is one variant: ``variant``, ``size_bytes``, ``added_bytes`` (over
    the base), ``layers``, ``stages``. Images are removed when done."""
    import tempfile
    from pathlib import Path

    from .. import engine, naming
    from ..build import build

    labels = naming.image_labels("experiment", **{naming.LABEL_SAMPLE: "script-only"})
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="dockopt-script-only-") as tmp:
        ctx = Path(tmp)
        (ctx / "job.sh").write_text(_SCRIPT, encoding="utf-8")
        for variant, text in _SCRIPT_DOCKERFILES.items():
            dockerfile = ctx / f"{variant}.Dockerfile"
            dockerfile.write_text(text.format(base=base), encoding="utf-8")
            tag = f"{naming.namespace()}/script-only:{variant}"
            result = build(ctx, dockerfile, tag=tag, labels=labels, progress=progress)
            base_bytes = engine.inspect_image(base).size_bytes  # present now: the build pulled or found it
            rows.append({"variant": variant, "size_bytes": result.size_bytes,
                         "added_bytes": result.size_bytes - base_bytes,
                         "layers": len(engine.inspect_image(result.image_id).layers), "stages": text.count("FROM ")})
            engine.remove_image(tag)
    return pd.DataFrame(rows)
