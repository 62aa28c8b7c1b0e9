"""The size of `pip install dockopt` (the core, no extras) in a fresh venv, against the 150 MiB goal.

    .venv/bin/python benchmarks/core_install_size.py

Builds the wheel from this checkout, installs it into a fresh venv under a temporary folder (pip and
setuptools included, as `python -m venv` makes it), and prints the venv's size, the ratio to the goal,
the number of distributions, whether any of the Jupyter stack came in, and the largest distributions:
what stands between the core and the goal. The temporary folder is removed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.integration.test_wheel import JUPYTER, _bytes, _ok, _source_copy  # noqa: E402

GOAL_BYTES = 150 * 2**20


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="dockopt-core-size-") as tmp:
        root = Path(tmp)
        source = _source_copy(root / "source")
        _ok([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"), str(source)], cwd=root)
        (wheel,) = (root / "dist").glob("dockopt-*.whl")
        venv = root / "venv"
        _ok([sys.executable, "-m", "venv", str(venv)], cwd=root)
        _ok([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], cwd=root, timeout=1500)
        listed = _ok([str(venv / "bin" / "pip"), "list", "--format=freeze"], cwd=root).lower().splitlines()
        names = {line.split("==")[0] for line in listed}
        size = _bytes(venv)
        (site,) = (venv / "lib").glob("python3*/site-packages")
        parts = sorted(((_bytes(p) if p.is_dir() else p.stat().st_size, p.name) for p in site.iterdir()),
                       reverse=True)
        hadolint = venv / "bin" / "hadolint"
        if hadolint.exists():
            parts.append((hadolint.stat().st_size, "bin/hadolint"))
            parts.sort(reverse=True)
    print(f"core venv: {size / 2**20:.0f} MiB in {len(names)} distributions; goal 150 MiB: "
          f"{size / GOAL_BYTES:.2f}x the goal")
    print(f"Jupyter stack installed: {sorted(names & set(JUPYTER)) or 'none'}")
    print("largest: " + ", ".join(f"{name} {b / 2**20:.0f} MiB" for b, name in parts[:8]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
