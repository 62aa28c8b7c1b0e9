"""`dockopt optimise` on each sample's naive Dockerfile against the sample's hand-written optimised image.

    .venv/bin/python benchmarks/optimise_vs_handwritten.py [--csv FILE] [SAMPLE ...]

For each sample: the proposal's final image (built, healthy) and the hand-written one, both measured in this
run: size ratio (proposal / hand-written; goal <= 1.10) and source-edit rebuild ratio (goal: no slower;
rebuild times on a shared machine wobble, so a proposal within 1 s of the hand-written is counted as no
slower and the raw ratio printed either way). Skipped: samples whose builds the suite skips (dotnet-webapi:
the .NET SDK only comes from mcr.microsoft.com) and the multi-service monorepo (optimise works on one
service's Dockerfile and target at a time). Exit code 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import record  # noqa: E402

from dockopt import naming, samples  # noqa: E402
from dockopt.build import build  # noqa: E402
from dockopt.engine import remove_image  # noqa: E402
from dockopt.optimise import optimise  # noqa: E402
from dockopt.project import edit_file, project  # noqa: E402

SKIPPED = {"dotnet-webapi": "needs registry access for mcr.microsoft.com/dotnet/sdk (the suite skips its builds)",
           "monorepo": "three services in one Dockerfile: optimise works on one service (--target) at a time"}
REBUILD_SLACK_S = 1.0


def handwritten(name: str) -> tuple[int, float]:
    """Size of the sample's hand-written optimised image and its rebuild seconds after the same kind of edit
    (one comment line in the manifest's ``cache.touch``), in a private copy."""
    s = samples.load(name)
    req = samples.build_request(s, "optimised")
    with tempfile.TemporaryDirectory(prefix="dockopt-bench-") as tmp:
        root = Path(tmp) / name
        shutil.copytree(s.context, root, symlinks=True)
        written = Path(req.dockerfile)
        dockerfile = root / (written.relative_to(s.context) if written.is_absolute() else written)
        tag = f"{naming.namespace()}/bench-handwritten-{name}:latest"
        first = build(root, dockerfile, target=req.target, build_args=req.build_args, tag=tag, progress=False)
        assert s.touch is not None
        rel = s.relative(s.touch)
        edit_file(root / rel, relative=rel, marker=f"bench {uuid.uuid4().hex}")
        again = build(root, dockerfile, target=req.target, build_args=req.build_args, tag=tag + "-edited",
                      progress=False)
        remove_image(tag + "-edited")
        return first.size_bytes, again.wall_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", nargs="*", help="sample names (default: all)")
    parser.add_argument("--csv", type=Path, help="also write the table as CSV here")
    args = parser.parse_args(argv)
    rows = []
    skipped = []
    begun = time.monotonic()
    for name in args.samples or samples.names():
        if name in SKIPPED:
            print(f"{name}: skipped - {SKIPPED[name]}")
            skipped.append(f"{name}: skipped - {SKIPPED[name]}")
            continue
        started = time.monotonic()
        hand_bytes, hand_rebuild = handwritten(name)
        proposal = optimise(project(samples.samples_dir() / name, "Dockerfile.naive"))
        final = proposal.final
        print(proposal.ladder[["rung", "applied", "size_bytes", "rebuild_s", "user", "reason"]].to_string(), flush=True)
        size_ratio = int(final["size_bytes"]) / hand_bytes
        rebuild = float(final["rebuild_s"])
        rows.append({
            "sample": name, "final_rung": final["rung"], "healthy": bool(final["healthy"]),
            "naive_bytes": int(proposal.baseline["size_bytes"]), "proposal_bytes": int(final["size_bytes"]),
            "handwritten_bytes": hand_bytes, "size_ratio": round(size_ratio, 3),
            "proposal_rebuild_s": rebuild, "handwritten_rebuild_s": round(hand_rebuild, 2),
            "rebuild_ratio": round(rebuild / hand_rebuild, 2),
            "size_ok": size_ratio <= 1.10, "rebuild_ok": rebuild <= hand_rebuild + REBUILD_SLACK_S,
            "runtime_base": ", ".join(proposal.bases[proposal.bases["chosen"]]["base_image"]) or "-",
            "user": final["user"], "wall_s": round(time.monotonic() - started, 1),
        })
        print(pd.DataFrame(rows[-1:]).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    if table.empty:
        return 0
    print()
    print(table[["sample", "healthy", "size_ratio", "rebuild_ratio", "size_ok", "rebuild_ok", "runtime_base",
                 "final_rung"]].to_string(index=False))
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.csv, index=False)
    ok = bool(table["healthy"].all() and table["size_ok"].all() and table["rebuild_ok"].all())
    missed = [r["sample"] for r in rows if not (r["healthy"] and r["size_ok"] and r["rebuild_ok"])]
    record.write("optimise_vs_handwritten", rows,
                 columns=["sample", "healthy", "naive_bytes", "proposal_bytes", "handwritten_bytes", "size_ratio",
                          "proposal_rebuild_s", "handwritten_rebuild_s", "rebuild_ratio", "runtime_base", "user",
                          "wall_s"],
                 notes=[*skipped, f"goals: size ratio <= 1.10, rebuild no slower (within {REBUILD_SLACK_S:.0f} s): "
                        + ("met by every sample" if ok else "missed by " + ", ".join(missed)),
                        f"measured in {time.monotonic() - begun:.0f} s"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
