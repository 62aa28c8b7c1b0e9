"""05_explore's HTML report, opened offline in headless Chromium: the explorers are replaced by their
static twins; moving a twin's slider shows another layer, and its tables sort and search."""

from __future__ import annotations

import re
from pathlib import Path

from tests.browser.lab import browser_page

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "05_explore.ipynb"


def test_report_twin_switches_layers_offline(browser_ready, tmp_path):
    from dockopt import report

    artefacts = browser_ready
    rendered = report.render(NOTEBOOK, tmp_path)
    html = Path(rendered.html_path).read_text(encoding="utf-8")
    assert len(re.findall(r"""class=["']dockopt-static-twin["']""", html)) == 2
    assert "application/vnd.jupyter.widget-view+json" not in html
    checked = report.check_html(rendered.html_path)
    assert checked.external_resources == 0 and checked.charts_drawn >= 2

    with browser_page(1400, 1000) as page:
        outside: list[str] = []
        page.on("request", lambda r: r.url.startswith(("http://", "https://")) and outside.append(r.url))
        page.goto(Path(rendered.html_path).as_uri())
        twin = page.locator(".dockopt-static-twin").first
        twin.locator(".slider-rail-touch-rect").wait_for(timeout=30_000)
        twin.evaluate("e => e.scrollIntoView({block: 'start'})")
        title = twin.locator(".gtitle")
        first = title.text_content()
        assert re.search(r"layer \d+:", first)
        twin.screenshot(path=str(artefacts / "twin-before.png"))

        # drag the slider's handle to its left end: the first layer (the base image's) shows
        rail = twin.locator(".slider-rail-touch-rect").bounding_box()
        grip = twin.locator(".slider-grip-rect").bounding_box()
        page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
        page.mouse.down()
        page.mouse.move(rail["x"] + 2, grip["y"] + grip["height"] / 2, steps=8)
        page.mouse.up()
        page.wait_for_function("([e, before]) => e.textContent !== before", arg=[title.element_handle(), first],
                               timeout=10_000)
        after = title.text_content()
        assert after != first and "layer 0:" in after
        visible = twin.evaluate("""e => { const gd = e.querySelector('.js-plotly-plot');
            return gd.data.map((t, i) => t.visible === true ? i : -1).filter(i => i >= 0); }""")
        assert visible == [0, 1]                     # layer 0's treemap and its table
        twin.screenshot(path=str(artefacts / "twin-after.png"))

        # the tables sort and search offline (DataTables, embedded)
        search = twin.locator(".dt-search input").first
        search.fill("npm install")
        page.wait_for_timeout(500)
        shown = twin.locator("table.dataTable").first.locator("tbody tr")
        assert shown.count() == 1 and "npm install" in shown.first.inner_text()
        assert not outside, outside
