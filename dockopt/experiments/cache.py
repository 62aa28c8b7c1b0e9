"""Cache behaviour: what a rebuild costs after no change, a source edit, a dependency bump (on a private copy)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .. import naming
from ..build import BuildResult, build
from ..errors import SampleError
from ..samples import Sample
from .builds import _bases, _sample

# --- cache behaviour -----------------------------------------------------------------------------------


def copy_tree(sample: Sample, dest: Path | str) -> Path:
    """Copy the sample's directory to ``dest`` (for experiments that edit files); returns ``dest``."""
    dest = Path(dest)
    shutil.copytree(sample.root, dest, ignore=shutil.ignore_patterns("node_modules", "__pycache__", ".venv",
                                                                     "dist", "target", "bin", "obj"),
                    dirs_exist_ok=True)
    return dest


def touch_source(sample: Sample, tree: Path | str, marker: str = "cache experiment") -> Path:
    """Append a comment to the manifest's ``touch`` file inside ``tree`` (a copy); returns its path."""
    rel = sample.cache.touch.relative_to(sample.root)
    path = Path(tree) / rel
    comment = {".py": "#", ".toml": "#", ".txt": "#", ".html": None, ".vue": None}.get(path.suffix, "//")
    line = f"\n<!-- {marker} -->\n" if comment is None else f"\n{comment} {marker}\n"
    path.write_text(path.read_text(encoding="utf-8") + line, encoding="utf-8")
    return path


def bump_dependency(sample: Sample, tree: Path | str) -> tuple[Path, ...]:
    """Replace the dependency files in ``tree`` (a copy) by their bumped versions; returns them."""
    c = sample.cache
    if c.dependency is None or c.bump_dir is None:
        raise SampleError(f"sample {sample.name!r} has no dependency to bump: {c.reason}")
    out = []
    for f in c.bump_files:
        target = Path(tree) / f
        shutil.copyfile(c.bump_dir / f, target)
        out.append(target)
    return tuple(out)


SCENARIOS = ("cold", "unchanged", "source edit", "dependency bump")


def cache_scenarios(sample: Sample | str, variants: Sequence[str] = ("naive", "optimised"), *,
                    progress: bool = True) -> pd.DataFrame:
    """Each row is one build of one variant in one scenario, run in order on a private copy of the sample.

    Scenarios: ``cold`` (no cache), ``unchanged`` (rebuild), ``source edit`` (the manifest's touch
    file changed), ``dependency bump`` (the manifest's dependency bumped, when it declares one).
    Columns: ``variant``, ``scenario``, ``wall_s``, ``steps_executed``, ``steps_cached``,
    ``executed_s`` (seconds spent in executed steps), ``first_executed`` (the earliest Dockerfile
    step that had to run again), ``bases``.
    """
    s = _sample(sample)
    rows = []
    for variant in variants:
        spec = s.dockerfile(variant)
        with tempfile.TemporaryDirectory(prefix=f"dockopt-cache-{s.name}-") as tmp:
            tree = copy_tree(s, Path(tmp) / s.name)
            tag = f"{naming.namespace()}/{s.name}:cache-{variant}"
            for scenario in SCENARIOS:
                if scenario == "source edit":
                    touch_source(s, tree)
                elif scenario == "dependency bump":
                    if s.cache.dependency is None:
                        continue
                    bump_dependency(s, tree)
                result = build(tree, dockerfile=spec.path.name, target=spec.target, tag=tag,
                               no_cache=scenario == "cold", progress=progress,
                               labels=naming.image_labels("experiment", **{naming.LABEL_SAMPLE: s.name}))
                rows.append(_scenario_row(variant, scenario, result))
    return pd.DataFrame(rows)


def _scenario_row(variant: str, scenario: str, result: BuildResult) -> dict[str, object]:
    steps = result.dockerfile_steps
    executed = steps[~steps["cached"]]
    first = executed.iloc[0] if len(executed) else None
    return {"variant": variant, "scenario": scenario, "wall_s": round(result.wall_s, 2),
            "steps_executed": len(executed), "steps_cached": int(steps["cached"].sum()),
            "executed_s": round(float(executed["duration_s"].fillna(0).sum()), 2),
            "first_executed": None if first is None else f"[{first['stage'] or '-'} {first['index']}/{first['total']}] "
                                                          f"{first['instruction']}",
            "bases": _bases(result)}


