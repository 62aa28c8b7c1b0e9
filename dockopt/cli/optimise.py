"""``dockopt optimise PATH``: propose a multi-stage Dockerfile for a project, every change proven by a build."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def run_optimise(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..errors import ProjectError
    from ..optimise import optimise
    from ..units import human_bytes

    out = Path(args.output) if args.output else None
    if out is not None and out.exists() and not args.write:
        raise ProjectError(f"{out} exists already; dockopt optimise never overwrites a file unasked",
                           hint="name another file with -o, or add --write to replace it (a backup is kept)")

    def say(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    proposal = optimise(args.path, dockerfile=args.file, stage=args.target, progress=False, on_step=say)
    table = proposal.ladder
    print(f"{proposal.project}: {len(table)} rungs, {int(table['applied'].sum())} applied\n")
    for r in table.to_dict("records"):
        size = human_bytes(int(r["size_bytes"])) if pd.notna(r["size_bytes"]) else "-"
        rebuild = f"{float(r['rebuild_s']):.1f} s" if pd.notna(r["rebuild_s"]) else "-"
        status = "applied" if r["applied"] else "dropped"
        user = r["user"] if isinstance(r["user"], str) else "-"
        print(f"  {r['step']}. {r['rung']:<12} {status:<8} {size:>10}  rebuild {rebuild:>7}  user {user}"
              + ("" if r["applied"] else f"\n       {r['reason']}"))
    if not proposal.bases.empty:
        print("\nruntime bases measured:")
        for b in proposal.bases.to_dict("records"):
            size = human_bytes(int(b["size_bytes"])) if pd.notna(b["size_bytes"]) else "-"
            note = b["note"] if isinstance(b["note"], str) else ""
            print(f"  {'*' if b['chosen'] else ' '} {b['base']:<11} {b['base_image']:<46} {size:>10}  {note}")
    if proposal.stopped:
        print(f"\nstopped: {proposal.stopped}")
    print()
    if args.write:
        written = proposal.write(replace=True)
        if out is not None:
            out.write_text(proposal.dockerfile, encoding="utf-8")
            written.append(out)
        print("wrote: " + ", ".join(str(w) for w in written))
    elif out is not None:
        out.write_text(proposal.dockerfile, encoding="utf-8")
        print(f"wrote {out} (the project's files are untouched; --write replaces its Dockerfile, keeping a backup)")
        if proposal.dockerignore is not None:
            ign = out.with_name(out.name + ".dockerignore")
            if not ign.exists():
                ign.write_text(proposal.dockerignore, encoding="utf-8")
                print(f"wrote {ign} (BuildKit reads <Dockerfile>.dockerignore beside a Dockerfile)")
    else:
        print(proposal.diff if args.diff else proposal.dockerfile, end="")
        if proposal.dockerignore is not None and not args.diff:
            print("\n# --- proposed .dockerignore ---\n" + proposal.dockerignore, end="")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("optimise", help="propose a multi-stage Dockerfile for a project, each change built and "
                                        "checked (a ladder); nothing is written unless --write")
    s.add_argument("path", nargs="?", default=".", help="the project folder (default: here)")
    s.add_argument("-f", "--file", help="Dockerfile, relative to the folder (default: Dockerfile)")
    s.add_argument("--target", help="the --target stage of that Dockerfile")
    s.add_argument("-o", "--output", help="write the proposed Dockerfile there (never over an existing file "
                                          "without --write)")
    s.add_argument("--write", action="store_true", help="replace the project's Dockerfile and .dockerignore with "
                                                        "the proposal (backups: <name>.orig)")
    s.add_argument("--diff", action="store_true", help="print a unified diff against the original instead")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    s.set_defaults(func=run_optimise)
