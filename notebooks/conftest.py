"""Notebook kernels started by nbval inherit the test session's image namespace and label
(tests/isolation.py), so `make notebooks` and `make test` never retag what `make all` built; the
registry the shipping notebook pushes to is started for them (tests/registry.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` as a package, however pytest started

pytest_plugins = ("tests.isolation", "tests.registry", "tests.ordering", "tests.tiers")
