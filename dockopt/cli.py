"""``dockopt`` command line: argument parsing and printing only; every command calls the package.

Errors dockopt raises on purpose are printed as ``error: ...`` plus a hint, exit code 2;
a failed check (``analyze --ci``) exits 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from .errors import CheckFailed, DockoptError
from .units import human_bytes, human_seconds


def _lazy_import(name: str) -> ModuleType:
    """``name``, loaded on first attribute access (importlib's LazyLoader recipe): commands that
    print no table - ``analyze`` on an archive - never pay for importing pandas."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None, name
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


pd = _lazy_import("pandas")


def _analyze_parser() -> argparse.ArgumentParser:
    """A parser that knows ``analyze`` alone: building every command's parser costs more than
    analysing a small archive, so ``main`` routes ``dockopt analyze ...`` here first."""
    from .analyze_cli import add_analyze_arguments, run_analyze

    p = argparse.ArgumentParser(prog="dockopt", description="See and measure Docker image optimisation.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    s = sub.add_parser("analyze", help="where an image's bytes went: efficiency, waste, secrets, packages")
    add_analyze_arguments(s)
    s.set_defaults(func=run_analyze)
    return p


def _kv(pairs: Sequence[str] | None, what: str) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise DockoptError(f"{what} {pair!r} is not KEY=VALUE", hint=f"write it as --{what} KEY=VALUE")
        k, v = pair.split("=", 1)
        out[k] = v
    return out


def _print_table(df: pd.DataFrame, columns: Sequence[str] | None = None) -> None:
    shown = df[list(columns)] if columns else df
    with pd.option_context("display.max_rows", 500, "display.max_columns", 20, "display.width", 200,
                           "display.max_colwidth", 70):
        print(shown.to_string(index=False) if len(shown) else "(nothing)")


def _sizes(size_bytes: pd.Series) -> list[str]:
    """Human sizes for a column of byte counts that may hold NA (nothing built, image missing)."""
    return [human_bytes(None if pd.isna(n) else int(n)) for n in size_bytes]


def _cmd_engine(args: argparse.Namespace) -> int:
    from . import engine

    i = engine.info()
    print(f"Engine {i.server_version} (API {i.api_version}), {i.os}/{i.arch}, storage {i.storage_driver}")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    result = build(args.context, dockerfile=args.file, target=args.target,
                   build_args=_kv(args.build_arg, "build-arg"), tag=args.tag, no_cache=args.no_cache,
                   labels=_kv(args.label, "label"), progress=not args.quiet)
    steps = result.steps if args.all_steps else result.dockerfile_steps
    if args.json:
        print(steps.to_json(orient="records", date_format="iso"))
        return 0
    _print_table(steps, ["stage", "index", "total", "instruction", "cached", "duration_s"])
    print(f"\n{result.ref}: {human_bytes(result.size_bytes)}, {human_seconds(result.wall_s)}, "
          f"{result.cached_steps}/{len(result.dockerfile_steps)} steps cached")
    return 0


def _cmd_layers(args: argparse.Namespace) -> int:
    from .image import layers

    df = layers(args.image)
    _print_table(df, ["layer", "size_bytes", "empty", "instruction"])
    print(f"\ntotal {human_bytes(int(df['size_bytes'].sum()))} in {int((~df['empty']).sum())} layers")
    return 0


def _cmd_lint(args: argparse.Namespace) -> int:
    from .lint import hadolint_all

    df = hadolint_all(args.dockerfiles)
    _print_table(df)
    return 1 if (df["level"] == "error").any() else 0


def _cmd_bases(args: argparse.Namespace) -> int:
    from . import bases

    if args.action == "ensure":
        df = bases.ensure(args.references or None, progress=not args.quiet)
        _print_table(df.assign(size=_sizes(df["size_bytes"]), took=[human_seconds(t) for t in df["duration_s"]]),
                     ["reference", "action", "status", "size", "took"])
    else:
        df = bases.catalog()
        _print_table(df.assign(size=_sizes(df["size_bytes"])), ["reference", "role", "status", "size", "notes"])
    return 0


def _cmd_samples(args: argparse.Namespace) -> int:
    if args.action == "list":
        from . import samples

        _print_table(samples.samples_table())
        return 0
    from . import experiments

    table = experiments.build_samples(args.names or None, variants=args.variant, smoke=args.smoke,
                                      progress=not args.quiet)
    shown = table.assign(size=_sizes(table["size_bytes"]),
                         image=table["image"].fillna(""), note=table["note"].fillna(""))
    _print_table(shown, ["sample", "build", "status", "image", "size", "note"])
    counts = table["status"].value_counts()
    print("\n" + ", ".join(f"{counts.get(s, 0)} {s}" for s in experiments.BUILD_STATUSES))
    return 1 if counts.get("failed", 0) else 0


def _cmd_report(args: argparse.Namespace) -> int:
    from . import report

    notebooks = args.notebooks or sorted(str(p) for p in Path("notebooks").glob("*.ipynb"))
    if not notebooks:
        raise DockoptError("no notebooks to render", hint="name them, or run from the repository root")
    table = report.render_all(notebooks, args.output, parameters=_kv(args.parameter, "parameter"))
    _print_table(table)
    print(f"\nindex: {Path(args.output) / 'index.html'}")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from .analyze_cli import run_analyze

    return run_analyze(args)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dockopt", description="See and measure Docker image optimisation.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("engine", help="show which Docker Engine answers")
    s.set_defaults(func=_cmd_engine)

    s = sub.add_parser("build", help="build with BuildKit and print one record per step")
    s.add_argument("context")
    s.add_argument("-f", "--file", default="Dockerfile", help="Dockerfile, relative to the context")
    s.add_argument("-t", "--tag")
    s.add_argument("--target")
    s.add_argument("--build-arg", action="append", metavar="KEY=VALUE")
    s.add_argument("--label", action="append", metavar="KEY=VALUE")
    s.add_argument("--no-cache", action="store_true")
    s.add_argument("--all-steps", action="store_true", help="include BuildKit's internal steps")
    s.add_argument("--json", action="store_true", help="print the steps as JSON records")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=_cmd_build)

    s = sub.add_parser("layers", help="one row per layer of an image")
    s.add_argument("image")
    s.set_defaults(func=_cmd_layers)

    s = sub.add_parser("lint", help="hadolint findings for Dockerfiles")
    s.add_argument("dockerfiles", nargs="+")
    s.set_defaults(func=_cmd_lint)

    s = sub.add_parser("bases", help="the offline base-image catalog")
    s.add_argument("action", choices=["ensure", "catalog"])
    s.add_argument("references", nargs="*", help="only these references (default: all)")
    s.add_argument("-q", "--quiet", action="store_true")
    s.set_defaults(func=_cmd_bases)

    s = sub.add_parser("samples", help="list or build the sample apps")
    s.add_argument("action", choices=["list", "build"])
    s.add_argument("names", nargs="*", help="sample names (default: all)")
    s.add_argument("--variant", action="append", help="naive, optimised, ... (default: all)")
    s.add_argument("--smoke", action="store_true", help="start each image and wait for its health check")
    s.add_argument("-q", "--quiet", action="store_true")
    s.set_defaults(func=_cmd_samples)

    s = sub.add_parser("report", help="execute notebooks into offline HTML reports")
    s.add_argument("notebooks", nargs="*", help="default: notebooks/*.ipynb")
    s.add_argument("-o", "--output", default="reports")
    s.add_argument("-p", "--parameter", action="append", metavar="KEY=VALUE",
                   help="override a value of the notebooks' parameters cell")
    s.set_defaults(func=_cmd_report)

    s = sub.add_parser("analyze", help="where an image's bytes went: efficiency, waste, secrets, packages")
    from .analyze_cli import add_analyze_arguments

    add_analyze_arguments(s)
    s.set_defaults(func=_cmd_analyze)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = (_analyze_parser() if argv[:1] == ["analyze"] else _parser()).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CheckFailed as exc:
        print(f"check failed: {exc}", file=sys.stderr)
        return 1
    except DockoptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
