"""The explorer's model and widgets, the static twin and the experiment panel, on recorded images.

``waste1.tar`` is a real image with known content (tests/fixtures/analysis/README.md): a 20 kB file
deleted in a later layer, /app/config.bin written three times (1000, 2000, 3000 bytes), /opt/lib
replaced (a, b gone, c new), a 50 kB file hardlinked in a later layer. Its Dockerfile is the
recipe's. No engine, no browser: widgets are driven through the calls their clicks make.
"""

from __future__ import annotations

import re

import pytest

from dockopt.analysis_report import analyze_report
from dockopt.dockerfile import parse
from dockopt.errors import WidgetError
from dockopt.image.overlay import shown_at
from dockopt.widgets.model import MAX_CHILDREN, Filters, _Tree
from tests.conftest import FIXTURES
from tests.fixtures.analysis import images

WASTE1 = FIXTURES / "analysis" / "waste1.tar"
PAYLOADS = FIXTURES / "analysis" / "payloads.tar"


@pytest.fixture(scope="module")
def report():
    return analyze_report(WASTE1, scanners=False)


@pytest.fixture(scope="module")
def model(report):
    from dockopt.widgets.explorer import build_model

    return build_model(report, parse("Dockerfile", text=images.waste(1).dockerfile))


def _paths(rows):
    return {r.path: r for r in rows if not r.more}


# --- overlay: the image as it stands at a layer -----------------------------------------------------


def test_shown_at_the_last_layer_is_the_final_filesystem(report):
    t = report.contents.entries
    assert shown_at(t.bounds, report.contents.hidden_rows, t.kind, t.n_layers - 1) == t.visible_rows()


def test_shown_at_an_earlier_layer_keeps_what_later_layers_hide(report):
    t = report.contents.entries
    at = {t.path[r]: (t.layer[r], t.size[r]) for r in shown_at(t.bounds, report.contents.hidden_rows, t.kind, 2)}
    assert at["/data/big"] == (1, 20480)          # deleted only at layer 9
    assert at["/app/config.bin"] == (2, 1000)     # rewritten at layers 3 and 4
    assert "/opt/lib/a" not in at                 # written at layer 5
    at5 = {t.path[r]: t.layer[r] for r in shown_at(t.bounds, report.contents.hidden_rows, t.kind, 5)}
    at6 = {t.path[r]: t.layer[r] for r in shown_at(t.bounds, report.contents.hidden_rows, t.kind, 6)}
    assert {"/opt/lib/a", "/opt/lib/b"} <= set(at5) and not {"/opt/lib/a", "/opt/lib/b"} & set(at6)
    assert at6["/opt/lib/c"] == 6


# --- layers ---------------------------------------------------------------------------------------------


def test_layers_name_their_dockerfile_line_and_count_changes(model):
    df = model.dockerfile
    layers = model.layers
    assert len(layers) == 10 and model.base_layers == 0  # FROM scratch: no base image
    for row, ins in zip(layers, model.lines):
        assert ins is not None and row.line == ins.line_start
        assert df.instruction_at(row.line) is ins
    assert layers[0].instruction == "COPY base.txt /base.txt" and layers[0].line == 4
    assert [r.line for r in layers[1:]] == list(range(5, 14))
    assert layers[9].files_removed == 1               # rm /data/big
    assert layers[3].files_modified == 1              # config.bin rewritten
    assert layers[2].reclaimable_bytes == 1000 and layers[3].reclaimable_bytes == 2000
    assert layers[1].reclaimable_bytes == 20480
    assert {r.stage for r in layers} == {"stage-1"}


def test_a_dockerfile_that_did_not_make_the_image_matches_nothing(report):
    from dockopt.widgets.explorer import build_model

    m = build_model(report, parse("Dockerfile", text="FROM scratch\nCOPY other /other\n"))
    assert all(r.line is None for r in m.layers)


# --- files ------------------------------------------------------------------------------------------------


def test_changes_of_a_layer_with_folder_sums(model):
    rows = _paths(model.tree_rows(5, "changes", {"/opt", "/opt/lib"}))
    assert rows["/opt/lib"].size_bytes == 4096 + 8192 and rows["/opt/lib"].files == 2
    assert rows["/opt/lib/a"].change == "added" and rows["/opt/lib/b"].size_bytes == 8192


def test_a_removed_file_shows_the_bytes_it_removed_but_adds_none_to_its_folder(model):
    rows = _paths(model.tree_rows(9, "changes", {"/data"}))
    assert rows["/data/big"].change == "deleted" and rows["/data/big"].size_bytes == 20480
    assert rows["/data"].size_bytes == 0


def test_the_image_at_a_layer_shows_what_it_had_then(model):
    at2 = _paths(model.tree_rows(2, "image", {"/app", "/data"}))
    at4 = _paths(model.tree_rows(4, "image", {"/app", "/data"}))
    assert at2["/app/config.bin"].size_bytes == 1000 and at4["/app/config.bin"].size_bytes == 3000
    assert at4["/app/config.bin"].change == "modified"      # this layer's change
    assert at4["/data/big"].change == ""                    # written below, not by layer 4
    assert "/data/big" not in _paths(model.tree_rows(9, "image", {"/data"}))


def test_hardlinks_and_wasted_copies_are_marked(model):
    rows = _paths(model.tree_rows(8, "changes", {"/usr", "/usr/bin"}))
    assert rows["/usr/bin/tool2"].kind == "hardlink" and rows["/usr/bin/tool2"].link == "usr/bin/tool"
    hidden_copy = _paths(model.tree_rows(2, "changes", {"/app"}))["/app/config.bin"]
    assert hidden_copy.wasted


def test_filters_narrow_and_open_the_tree(model):
    wasted = [r for r in model.tree_rows(4, "image", set(), Filters(only_wasted=True)) if not r.is_dir]
    assert {r.path for r in wasted} >= {"/app/config.bin", "/data/big"}
    assert all(r.wasted for r in wasted)
    found = model.tree_rows(7, "image", set(), Filters(path="TOOL"))
    assert [r.path for r in found if not r.is_dir] == ["/usr/bin/tool"]
    assert all(r.expanded for r in found if r.is_dir)       # folders of matches open by themselves
    big = [r for r in model.tree_rows(4, "image", set(), Filters(min_size_bytes=10_000)) if not r.is_dir]
    assert [r.path for r in big] == ["/data/big"]
    mine = [r for r in model.tree_rows(4, "image", set(), Filters(only_changes=True)) if not r.is_dir]
    assert [r.path for r in mine] == ["/app/config.bin"]
    collapsed = model.tree_rows(7, "image", set(), Filters(path="tool"), collapsed={"/usr"})
    assert [r.path for r in collapsed] == ["/usr"]


def test_sort_by_name(model):
    rows = model.tree_rows(9, "image", set(), Filters(sort="name"))
    names = [r.name for r in rows]
    assert names == sorted(names)


def test_a_big_folder_lists_its_largest_children_and_says_how_many_more():
    leaves = {f"/big/f{i:04d}": i for i in range(MAX_CHILDREN * 3)}
    tree = _Tree.of_values(leaves)

    def describe(p, name, depth, is_dir, opened):
        from dockopt.widgets.model import TreeRow
        return TreeRow(p, name, depth, is_dir, opened, tree.size[p], tree.files[p], "", "", "", False)

    rows = tree.rows({"/big"}, "size", describe)
    assert len(rows) == 1 + MAX_CHILDREN + 1
    assert rows[1].path == f"/big/f{MAX_CHILDREN * 3 - 1:04d}"      # largest first
    assert rows[-1].more == MAX_CHILDREN * 2
    assert tree.size["/big"] == sum(leaves.values())
    assert len(tree.rows({"/big"}, "size", describe, limit=50)) == 50


# --- the widgets, driven as clicks drive them ----------------------------------------------------------


@pytest.fixture
def explorer(model):
    from dockopt.widgets.explorer import Explorer

    return Explorer(model)


def test_explorer_opens_on_the_last_layer_and_follows_clicks(explorer):
    assert explorer.layers_table.selected == "L9"
    explorer.layers_table.click("L5")
    assert explorer.layer == 5 and explorer.layers_table.selected == "L5"
    paths = {r["id"] for r in explorer.files_table.rows}
    assert {"/opt/lib/a", "/opt/lib/b"} <= paths
    pane = explorer.dockerfile_pane.value
    assert "background:#fff3c4" in pane and "dockopt-current" in pane
    assert list(explorer.chart.data[0].marker.color).count("#1565c0") == 1
    explorer.files_table.click("/opt/lib")                          # close a folder
    assert "/opt/lib/a" not in {r["id"] for r in explorer.files_table.rows}
    explorer.set_filters(mode="image")
    assert "/app/config.bin" in {r["id"] for r in explorer.files_table.rows} or any(
        r["id"] == "/app" for r in explorer.files_table.rows)
    explorer.set_filters(path="config", only_wasted=True)
    rows = explorer.files_table.rows
    assert [r["id"] for r in rows if not r.get("expandable")] == ["/app/config.bin"]
    assert rows[-1]["cells"]["wasted"] == "⚠ wasted"
    with pytest.raises(WidgetError):
        explorer.select(42)


def test_explorer_compares_with_an_archive(explorer):
    changes = explorer.compare_with(str(PAYLOADS))
    assert len(changes) and "against this image" in explorer.compare_status.value
    assert explorer.diff_table.rows and re.search(r"\d+ (added|removed|changed)", explorer.compare_status.value)
    top = explorer.diff_table.rows[0]
    explorer.diff_table.click(top["id"])
    assert {r["id"] for r in explorer.diff_table.rows} != {top["id"]} or not top.get("expandable")


def test_a_comparison_that_cannot_be_read_says_so_in_place(explorer, tmp_path):
    from dockopt.errors import DockoptError

    bad = tmp_path / "not-an-image.tar"
    bad.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(DockoptError):
        explorer.compare_with(str(bad))
    assert "color:#c62828" in explorer.compare_status.value
    explorer.compare_path.value = str(bad)
    explorer.compare_button.click()                  # a click does not raise: the status line says it
    assert "color:#c62828" in explorer.compare_status.value


def test_base_layers_fold_into_one_row(report):
    from dockopt.widgets.explorer import Explorer
    from dockopt.widgets.model import ExplorerModel

    folded = Explorer(ExplorerModel(report=report, base_layers=4, base_ref="example/base:1"))
    rows = folded.layers_table.rows
    assert rows[0]["id"] == "base" and "base: example/base:1, 4 layers" in rows[0]["cells"]["instruction"]
    assert [r["id"] for r in rows[1:]] == [f"L{i}" for i in range(4, 10)]
    folded.layers_table.click("base")
    assert len(folded.layers_table.rows) == 11
    folded.layers_table.click("base")
    folded.select(1)                                                # a base layer opens the fold
    assert len(folded.layers_table.rows) == 11 and folded.layers_table.selected == "L1"


# --- the static twin ------------------------------------------------------------------------------------


def test_static_twin_has_a_slider_over_every_layer_and_searchable_tables(model):
    from dockopt.report.twin import TWIN_MARKER, embed_libraries, static_twin_html

    html = static_twin_html(model)
    assert TWIN_MARKER in html and html.count("itables_") >= 2
    steps = re.findall(r'"label":\s*"(\d+)"', html)
    assert steps == [str(i) for i in range(10)]
    assert "/data/big" in html and "plotly.js v" not in html        # libraries come once per report
    page = embed_libraries(f"<html><head></head><body>{html}{html}</body></html>")
    assert page.count("_itables_2_") >= 3 and page.count("injectModule(") == 2  # defined once, called once
    assert re.search(r"plotly\.js v\d", page)
    assert not re.search(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']?(https?:)?//""", page)
    assert embed_libraries("<html><head></head><body>no twin</body></html>") == \
        "<html><head></head><body>no twin</body></html>"


def test_explorer_output_carries_its_twin_only_in_reports(explorer, monkeypatch):
    from dockopt.report.twin import REPORT_ENV, TWIN_MARKER

    monkeypatch.delenv(REPORT_ENV, raising=False)
    assert "text/html" not in explorer._repr_mimebundle_()
    monkeypatch.setenv(REPORT_ENV, "1")
    bundle = explorer._repr_mimebundle_()
    assert TWIN_MARKER in bundle["text/html"] and "application/vnd.jupyter.widget-view+json" in bundle


def test_reports_drop_widget_views_and_keep_the_twin():
    import nbformat

    from dockopt.report.render import _drop_widget_views

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "1"},
                                                     "text/plain": "VBox()", "text/html": "<div>twin</div>"}),
        nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "2"},
                                                     "text/plain": "HBox()"})])])
    _drop_widget_views(nb)
    assert [o["data"] for o in nb.cells[0].outputs] == [{"text/plain": "VBox()", "text/html": "<div>twin</div>"}]


# --- experiment panels --------------------------------------------------------------------------------


def test_panel_shows_a_notebooks_result_without_building():
    import pandas as pd

    from dockopt.widgets import experiment_panel

    runs = pd.DataFrame({"variant": ["naive", "naive", "optimised", "optimised"],
                         "scenario": ["cold", "source edit", "cold", "source edit"],
                         "wall_s": [30.0, 29.0, 35.0, 2.0], "steps_executed": [3, 2, 5, 1],
                         "steps_cached": [0, 1, 0, 4],
                         "first_executed": ["a", "b", "c", "d"], "executed_s": [1, 2, 3, 4], "bases": ["x"] * 4})
    panel = experiment_panel("cache", sample="node-express", result=runs)
    assert panel.sample.value == "node-express" and panel.variant.layout.display is None
    assert panel.base.layout.display == "none"
    assert len(panel.chart.data) == 2 and "source edit" in panel.table_view.value
    panel.scenario.value = "source edit"
    assert list(panel.chart.data[0].x) == ["source edit"] and "cold" not in panel.table_view.value
    panel.sample.value = "go-api"
    assert "scratch" in panel.base.options


def test_panel_refuses_an_unknown_experiment():
    from dockopt.widgets import experiment_panel

    with pytest.raises(WidgetError, match="no experiment panel"):
        experiment_panel("nope")
