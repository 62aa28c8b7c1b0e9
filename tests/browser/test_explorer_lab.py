"""notebooks/05_explore.ipynb in real JupyterLab: run every cell, then click through the explorer as a
person would - a layer, the "only wasted" filter, a path filter, another comparison image - and
check what the page shows. Screenshots go to tests/artefacts/."""

from __future__ import annotations

import re

import pytest

from tests.browser.lab import browser_page, jupyter_lab, run_notebook
from tests.browser.lab import table_rows as _rows
from tests.browser.lab import wait_rows as _wait_rows

NOTEBOOK = "05_explore.ipynb"


@pytest.mark.executes_notebook("notebooks/05_explore.ipynb")  # nbval need not run it again
def test_explore_notebook_by_clicking(browser_ready, notebook_copy):
    artefacts = browser_ready
    with jupyter_lab(notebook_copy, artefacts / "jupyterlab.log") as lab, browser_page(1500, 1500) as page:
        # building (cached), reading the 1.1 GB image from the engine, saving and reading the archive
        errors = run_notebook(page, lab, NOTEBOOK, timeout_ms=600_000, polling_ms=2000)
        explorers = page.locator(".dockopt-explorer")
        assert explorers.count() == 2  # the sample image (with its comparison) and the saved archive
        explorer = explorers.first
        explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(1500)  # let plotly draw the bars
        explorer.screenshot(path=str(artefacts / "explorer-opened.png"))

        layers = explorer.locator(".dockopt-tt[data-name=layers]")
        files = explorer.locator(".dockopt-tt[data-name=files]")
        # the base image's layers are one row until it is opened
        base_row = layers.locator("tr[data-id=base]")
        assert re.search(r"base: node:24-bookworm, \d+ layers", base_row.inner_text())

        # a click on a bar selects that layer too: the largest bar is a base layer, whose fold opens
        bars = explorer.locator(".js-plotly-plot .bars .point path")
        n_base = int(re.search(r"(\d+) layers", base_row.inner_text()).group(1))
        assert bars.count() == layers.locator("tbody tr").count() - 1 + n_base  # one bar per layer
        heights = bars.evaluate_all("ps => ps.map(p => p.getBBox().height)")
        tallest = heights.index(max(heights))
        bars.nth(tallest).click(force=True)
        page.wait_for_selector(f".dockopt-tt[data-name=layers] tr.dockopt-tt-selected[data-id=L{tallest}]",
                               timeout=15_000)
        assert f"changes of layer {tallest}" in explorer.inner_text()
        assert "came with the base image" in explorer.inner_text()

        # click a layer: the files it added appear, its Dockerfile line is highlighted
        copy_row = layers.locator("tbody tr", has_text="COPY . .")
        copy_row.click()
        layer = copy_row.get_attribute("data-id")[1:]
        rows = _wait_rows(page, files, lambda rs: any(r["title"] == "/app/package.json" for r in rs))
        added = [r for r in rows if r["title"] == "/app/package.json"]
        assert added, [r["title"] for r in rows]
        assert "+ added" in added[0]["text"]
        assert f"changes of layer {layer}" in explorer.inner_text()
        assert explorer.locator(".dockopt-current", has_text="COPY . .").count() == 1
        explorer.screenshot(path=str(artefacts / "explorer-layer-copy.png"))

        # only wasted: the lock file npm install rewrites is all that is left of this layer
        explorer.locator(".widget-checkbox", has_text="only wasted").locator("input").check()
        rows = _wait_rows(page, files, lambda rs: all("wasted" in r["text"] for r in rs if not r["expandable"]))
        leaves = [r for r in rows if not r["expandable"]]
        assert leaves and all("⚠ wasted" in r["text"] for r in leaves), rows
        assert any(r["title"] == "/app/package-lock.json" for r in leaves)
        explorer.locator(".widget-checkbox", has_text="only wasted").locator("input").uncheck()

        # a path filter on the npm install layer: only matching entries (and their folders) remain
        layers.locator("tbody tr", has_text="npm install").click()
        explorer.locator("input[placeholder='path contains…']").fill("express")
        rows = _wait_rows(page, files, lambda rs: bool(rs) and all(
            "express" in r["title"] for r in rs if not r["expandable"]))
        leaves = [r for r in rows if not r["expandable"]]
        assert leaves and all("express" in r["title"].lower() for r in leaves), rows
        assert any(r["title"].startswith("/app/node_modules/express/") for r in leaves)
        explorer.screenshot(path=str(artefacts / "explorer-filter.png"))

        # switch the comparison image: the summary and the diff follow
        diff = explorer.locator(".dockopt-tt[data-name=diff]")
        before = _rows(diff)
        dropdown = explorer.locator(".widget-dropdown", has_text="image").locator("select")
        dropdown.select_option(label="busybox:1.35")
        page.wait_for_function("""e => e.innerText.includes('busybox:1.35 against this image')""",
                               arg=explorer.element_handle(), timeout=60_000)
        after = _wait_rows(page, diff, lambda rs: rs != before)
        assert after != before
        # busybox has /bin full of links to one binary; the node image has none of them
        assert any(r["title"] == "/bin" for r in after), after
        explorer.screenshot(path=str(artefacts / "explorer-compare.png"))

        # the saved archive opens the same way, with its Dockerfile found from its labels
        archive = explorers.nth(1)
        archive.evaluate("e => e.scrollIntoView({block: 'start'})")
        assert "dockopt-" in archive.inner_text() and ".tar" in archive.inner_text()
        assert archive.locator(".dockopt-current").count() == 1
        archive.screenshot(path=str(artefacts / "explorer-archive.png"))
        assert not errors, errors
        assert len(lab.kernels()) == 1
    # the context manager shut the kernel and the server down
    assert lab.process.poll() is not None
