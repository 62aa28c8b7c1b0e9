"""``dockopt build`` (one record per BuildKit step) and ``dockopt layers`` (one row per layer)."""

from __future__ import annotations

import argparse

from ..units import human_bytes, human_seconds
from ._common import add_build_arg_option, add_json_option, build_args, kv, print_table


def run_build(args: argparse.Namespace) -> int:
    from ..build import build

    result = build(args.context, dockerfile=args.file, target=args.target,
                   build_args=build_args(args.build_arg), tag=args.tag, no_cache=args.no_cache,
                   labels=kv(args.label, "label"), progress=not args.quiet)
    steps = result.steps if args.all_steps else result.dockerfile_steps
    if args.json:
        print_table(steps, as_json=True)
        return 0
    print_table(steps, ["stage", "index", "total", "instruction", "cached", "duration_s"])
    print(f"\n{result.ref}: {human_bytes(result.size_bytes)}, {human_seconds(result.wall_s)}, "
          f"{result.cached_steps}/{len(result.dockerfile_steps)} steps cached")
    return 0


def run_layers(args: argparse.Namespace) -> int:
    from ..image import layers

    df = layers(args.image)
    if args.json:
        print_table(df, as_json=True)
        return 0
    print_table(df, ["layer", "size_bytes", "empty", "instruction"])
    print(f"\ntotal {human_bytes(int(df['size_bytes'].sum()))} in {int((~df['empty']).sum())} layers")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("build", help="build with BuildKit and print one record per step")
    s.add_argument("context")
    s.add_argument("-f", "--file", default="Dockerfile", help="Dockerfile, relative to the context")
    s.add_argument("-t", "--tag")
    s.add_argument("--target")
    add_build_arg_option(s)
    s.add_argument("--label", action="append", metavar="KEY=VALUE")
    s.add_argument("--no-cache", action="store_true")
    s.add_argument("--all-steps", action="store_true", help="include BuildKit's internal steps")
    add_json_option(s, "the steps")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=run_build)

    s = sub.add_parser("layers", help="one row per layer of an image")
    s.add_argument("image")
    add_json_option(s, "the layers")
    s.set_defaults(func=run_layers)
