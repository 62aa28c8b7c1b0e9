"""``dockopt.explore(proposal, original=...)`` in real JupyterLab: a notebook rebuilds the recorded proposal
(tests/proposals.py, as tests/unit/test_report_proposal.py does; two recorded archives stand in for the images, so
nothing is built), shows the side-by-side explorer, and the test clicks it as a person would - a layer of the
proposed image, a folder of the files that differ - and checks the page. Screenshots go to tests/artefacts/."""

from __future__ import annotations

import nbformat
import pytest

from tests.browser.lab import browser_page, jupyter_lab, run_notebook, table_rows, wait_rows
from tests.proposals import PAYLOADS, WASTE1

NOTEBOOK = "proposal.ipynb"
REPO = PAYLOADS.parents[3]


@pytest.fixture
def proposal_notebook(tmp_path):
    """A notebook of one cell showing the recorded proposal's explorer, in a folder of its own (JupyterLab
    saves outputs into what it serves)."""
    source = (f"import sys\nsys.path.insert(0, {str(REPO)!r})  # tests.proposals, as the unit test imports it\n"
              "import dockopt\n"
              "from tests.proposals import PAYLOADS, WASTE1, recorded_proposal\n\n"
              "proposal = recorded_proposal(image=str(PAYLOADS))\n"
              "dockopt.explore(proposal, original=str(WASTE1))")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / NOTEBOOK)
    return tmp_path


def test_proposal_side_by_side_by_clicking(browser_ready, proposal_notebook):
    artefacts = browser_ready
    with jupyter_lab(proposal_notebook, artefacts / "jupyterlab-proposal.log") as lab, \
            browser_page(1500, 2600) as page:
        errors = run_notebook(page, lab, NOTEBOOK, timeout_ms=180_000)

        view = page.locator(".dockopt-proposal-explorer")
        view.wait_for(timeout=60_000)
        explorers = view.locator(".dockopt-explorer")
        assert explorers.count() == 2
        before, after = explorers.nth(0), explorers.nth(1)
        # both sides draw their layers: the original's (waste1.tar) and the proposal's (payloads.tar)
        for side, archive in ((before, WASTE1), (after, PAYLOADS)):
            rows = wait_rows(page, side.locator(".dockopt-tt[data-name=layers]"), bool)
            assert rows, f"no layer rows for {archive.name}"
            assert archive.name in side.inner_text()
        assert "Original" in view.inner_text() and "Proposed" in view.inner_text()
        # the files that differ, full width under both, and the Dockerfile's diff
        diff = view.locator(".dockopt-tt[data-name=diff]")
        assert diff.count() == 1
        rows = wait_rows(page, diff, bool)
        assert any(r["title"] == "/app/.env" and "added" in r["text"] for r in rows), rows
        assert "against this image" in view.inner_text()
        assert view.locator(".dockopt-diff").count() >= 1

        # side by side, each half readable: neither half is squeezed, no table is wider than its half
        boxes = [e.bounding_box() for e in (before, after)]
        assert boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"] + 1, boxes       # left of each other
        assert min(b["width"] for b in boxes) > 500, boxes
        # every table of both sides has rows in sight (a stacked part with a flex basis of 0 had no height)
        heights = view.evaluate("""v => [...v.querySelectorAll('.dockopt-explorer .dockopt-tt')].map(t =>
            [t.dataset.name, Math.round(t.getBoundingClientRect().height)])""")
        assert all(h >= 30 for name, h in heights if name in ("layers", "files")), heights
        overflowing = view.evaluate("""v => [...v.querySelectorAll('.dockopt-explorer')].flatMap(e => {
            const r = e.getBoundingClientRect();
            return [...e.querySelectorAll('.dockopt-tt-scroll, .js-plotly-plot, pre')].filter(t => {
                const b = t.getBoundingClientRect(); return b.width > 0 && b.right > r.right + 2; })
                .map(t => t.className); })""")
        assert not overflowing, overflowing
        # the Dockerfile's diff scrolls inside the page's width rather than running past it
        right = view.bounding_box()["x"] + view.bounding_box()["width"]
        pre = view.locator(".dockopt-diff pre").first.bounding_box()
        assert pre["x"] + pre["width"] <= right + 2, (pre, right)
        # half a page: a layer's instruction is among the columns in sight (not only past a horizontal scroll)
        for side in (before, after):
            heads = side.locator(".dockopt-tt[data-name=layers] th").all_inner_texts()
            assert heads.index("instruction") <= 2, heads
        view.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(1500)  # let plotly draw the bars
        view.screenshot(path=str(artefacts / "proposal-opened.png"))

        # a layer of the proposed image: its files appear, its line in the proposed Dockerfile is marked
        layers = after.locator(".dockopt-tt[data-name=layers]")
        original_selected = before.locator(".dockopt-tt[data-name=layers] tr.dockopt-tt-selected").get_attribute(
            "data-id")
        row = layers.locator("tbody tr", has_text="COPY gobin")
        row.click()
        layer = row.get_attribute("data-id")[1:]
        layers.locator(f"tr.dockopt-tt-selected[data-id=L{layer}]").wait_for(timeout=15_000)
        files = wait_rows(page, after.locator(".dockopt-tt[data-name=files]"),
                           lambda rs: any(r["title"] == "/usr/local/bin/app" for r in rs))
        assert any(r["title"] == "/usr/local/bin/app" and "+ added" in r["text"] for r in files), files
        assert f"changes of layer {layer}" in after.inner_text()
        # the other side stays where it was
        assert before.locator(".dockopt-tt[data-name=layers] tr.dockopt-tt-selected").get_attribute(
            "data-id") == original_selected

        # a closed folder of the files that differ opens on click
        closed = next(r for r in table_rows(diff) if r["expandable"] and r["title"] == "/app/node_modules/left-pad")
        diff.locator(f"tbody tr[data-id='{closed['id']}']").click()
        rows = wait_rows(page, diff, lambda rs: any(r["title"].startswith("/app/node_modules/left-pad/")
                                                     for r in rs))
        assert any(r["title"] == "/app/node_modules/left-pad/package.json" for r in rows), rows
        diff.locator("tr.dockopt-tt-selected[data-id='/app/node_modules/left-pad']").wait_for(timeout=10_000)
        page.wait_for_timeout(500)
        view.screenshot(path=str(artefacts / "proposal-clicked.png"))
        after.screenshot(path=str(artefacts / "proposal-proposed-side.png"))
        assert not errors, errors
        assert len(lab.kernels()) == 1
    assert lab.process.poll() is not None
