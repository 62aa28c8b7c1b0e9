"""The first vertical slice end to end: the quickstart notebook builds both Node images for real,
renders to one self-contained HTML file, and headless Chromium draws every chart offline."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from dockopt import proc, report
from tests.conftest import REPO


@pytest.mark.browser
@pytest.mark.executes_notebook("notebooks/00_quickstart.ipynb")  # nbval need not run it again
def test_quickstart_report_draws_both_images_layer_charts_offline(docker_engine, tmp_path):
    if proc.which("chromium") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Debian's chromium to check reports (make test installs it)")
        pytest.skip("chromium is not installed")
    rendered = report.render(REPO / "notebooks" / "00_quickstart.ipynb", tmp_path)
    check = report.check_html(rendered.html_path)
    # size comparison, naive layers, optimised layers, BuildKit timelines (cold and warm, one figure)
    assert check.charts_drawn == 4
    assert check.external_resources == 0 and check.plotly_inline
    html = Path(rendered.html_path).read_text(encoding="utf-8")
    assert "naive: layer sizes" in html and "optimised: layer sizes" in html
    assert "smaller" in html  # the computed conclusion
    # the banner names exactly the stand-ins the builds used (none where real images were pulled)
    for ref in rendered.standins:
        assert ref in html
    assert ("Offline stand-ins" in html) == bool(rendered.standins)

    # the timeline shows a cold build (steps ran) beside its warm rebuild (all cached), and says so
    size, build_time = rendered.headlines
    assert size.startswith("node-express: ") and size.endswith("% smaller (naive → optimised)")
    assert build_time.startswith("node-express optimised build: ") and build_time.endswith("% faster (cold → warm)")
    story = report.recorded_story(nbformat.read(rendered.executed_path, as_version=4))
    ran = re.search(r"\((\d+) steps ran\)", story.conclusions[0])
    cached = re.search(r"(\d+) of (\d+) steps from the cache", story.conclusions[0])
    assert ran and int(ran.group(1)) > 0, story.conclusions
    assert cached and cached.group(1) == cached.group(2), story.conclusions

    # the front page shows it: question, both headlines, the conclusion, links that work
    seen = report.check_index(report.write_index(tmp_path))
    assert (seen.reports_shown, seen.headlines_shown, seen.broken_links, seen.external_resources) == (1, 2, (), 0)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "what does a multi-stage build buy a Node.js service?" in page
    assert "How much smaller is the optimised image" in page
