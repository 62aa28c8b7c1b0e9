"""``dockopt init`` (write the detected dockopt.toml of a project) and ``dockopt lab`` (open a project's
notebook in JupyterLab)."""

from __future__ import annotations

import argparse
import os
import sys


def run_init(args: argparse.Namespace) -> int:
    from ..project import init

    p, text = init(args.path, args.file, target=args.target, write=not args.stdout)
    if args.stdout:
        print(text, end="")
        return 0
    print(f"wrote {p.manifest}: what dockopt detected, each value with where it came from. Edit it freely;\n"
          f"`dockopt report --project {args.path}` and `dockopt lab {args.path}` read it.\n", file=sys.stderr)
    for setting, value, origin, detail in p.summary().itertuples(index=False):
        print(f"  {setting:<16} {value or '-':<32} {origin}" + (f": {detail}" if detail else ""))
    return 0


def run_lab(args: argparse.Namespace) -> int:
    from .. import proc
    from ..report import lab_notebook

    notebook, written = lab_notebook(args.path, args.dir, dockerfile=args.file, target=args.target)
    print(f"{'wrote' if written else 'kept (already there)'} {notebook}", file=sys.stderr)
    argv = [sys.executable, "-m", "jupyter", "lab", str(notebook), f"--ServerApp.root_dir={notebook.parent}"]
    if args.no_browser:
        argv.append("--no-browser")
    if args.port:
        argv.append(f"--port={args.port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # Jupyter refuses root otherwise; containers and CI machines often are
    return proc.run_attached(argv, cwd=notebook.parent)


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("init", help="write the dockopt.toml dockopt detects for a project (never over one)")
    s.add_argument("path", nargs="?", default=".", help="the project folder (default: here)")
    s.add_argument("-f", "--file", help="Dockerfile, relative to the folder (default: Dockerfile)")
    s.add_argument("--target", help="the --target stage to build")
    s.add_argument("--stdout", action="store_true", help="print the manifest instead of writing it")
    s.set_defaults(func=run_init)

    s = sub.add_parser("lab", help="open a project's notebook (a copy of the report template) in JupyterLab")
    s.add_argument("path", nargs="?", default=".", help="the project folder (default: here)")
    s.add_argument("-f", "--file", help="Dockerfile, relative to the folder (default: Dockerfile)")
    s.add_argument("--target", help="the --target stage to build")
    s.add_argument("--dir", default="dockopt-notebooks", help="where the notebook goes (default: ./dockopt-notebooks)")
    s.add_argument("--no-browser", action="store_true", help="start JupyterLab without opening a browser")
    s.add_argument("--port", type=int, help="JupyterLab's port (default: its own choice)")
    s.set_defaults(func=run_lab)
