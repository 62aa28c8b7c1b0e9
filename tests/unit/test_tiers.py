"""The test tiers (tests/tiers.py): every item is in the tiers it needs, so that each tier runs alone."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest

from tests.conftest import REPO
from tests.tiers import tiers_of


@dataclass
class _Item:
    """What tiers_of reads of a pytest item: where it lives, its fixtures, its marks."""

    fspath: str
    fixturenames: tuple[str, ...] = ()
    marks: tuple[str, ...] = ()

    def iter_markers(self, name=None):
        return [getattr(pytest.mark, m).mark for m in self.marks if name in (None, m)]


@pytest.mark.parametrize(("path", "fixtures", "marks", "expected"), [
    ("tests/unit/test_cli.py", (), (), set()),
    ("tests/unit/test_report.py", ("tmp_path", "chromium"), (), {"browser"}),
    ("tests/unit/test_exercises.py", (), ("browser",), {"browser"}),
    ("tests/unit/test_x.py", ("docker_engine",), (), {"engine"}),
    ("tests/integration/test_build.py", ("docker_engine",), (), {"engine"}),
    ("tests/integration/test_samples_smoke.py", ("docker_engine",), (), {"engine", "content"}),
    ("tests/integration/test_exercises.py", (), (), {"engine", "content"}),
    ("tests/browser/test_static_twin.py", ("browser_ready",), (), {"engine", "browser"}),
    ("notebooks/70_shipping.ipynb", (), (), {"engine", "content"}),
    ("notebooks/guide/02_multi_stage.ipynb", (), (), {"engine", "content"}),
])
def test_each_item_lands_where_its_needs_say(path, fixtures, marks, expected):
    assert tiers_of(_Item(str(REPO / path), fixtures, marks)) == expected


def test_the_fast_tier_selects_no_engine_browser_or_content_item():
    # `make fast`'s expression, as pytest's -m reads it, over every combination of tiers
    fast = "not engine and not browser and not content"
    for tiers in ({"engine"}, {"browser"}, {"content"}, {"engine", "content"}, {"engine", "browser"}):
        assert not eval(fast, {}, {t: t in tiers for t in ("engine", "browser", "content")})  # noqa: S307
    assert eval(fast, {}, {"engine": False, "browser": False, "content": False})  # noqa: S307


def test_the_engine_module_imports_no_docker_sdk_until_used():
    code = ("import sys, dockopt.engine; "
            "print(any(m == 'docker' or m.startswith('docker.') or m == 'requests' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
