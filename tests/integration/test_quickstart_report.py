"""The first vertical slice end to end: the quickstart notebook builds both Node images for real,
renders to one self-contained HTML file, and headless Chromium draws every chart offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockopt import proc, report
from tests.conftest import REPO


def test_quickstart_report_draws_both_images_layer_charts_offline(docker_engine, tmp_path):
    if proc.which("chromium") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Debian's chromium to check reports (make test installs it)")
        pytest.skip("chromium is not installed")
    rendered = report.render(REPO / "notebooks" / "00_quickstart.ipynb", tmp_path)
    check = report.check_html(rendered.html_path)
    # size comparison, naive layers, optimised layers, BuildKit timeline
    assert check.charts_drawn == 4
    assert check.external_resources == 0 and check.plotly_inline
    html = Path(rendered.html_path).read_text(encoding="utf-8")
    assert "naive: layer sizes" in html and "optimised: layer sizes" in html
    assert "smaller" in html  # the computed conclusion
    # the banner names exactly the stand-ins the builds used (none where real images were pulled)
    for ref in rendered.standins:
        assert ref in html
    assert ("Offline stand-ins" in html) == bool(rendered.standins)
