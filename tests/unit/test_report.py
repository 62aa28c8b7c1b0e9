"""Reports: executed notebooks become self-contained HTML whose charts a headless browser draws offline."""

from __future__ import annotations

import os

import nbformat
import pytest

from dockopt import proc, report
from dockopt.errors import ReportError

CHART_CELL = """\
import pandas as pd
from dockopt import plots
layers = pd.DataFrame({"layer": [0, 1, 2], "created_by": ["a", "b", "c"],
                       "instruction": ["ADD rootfs.tar /", "RUN npm install", "CMD npm start"],
                       "size_bytes": [74_000_000, 312_000_000, 0], "empty": [False, False, True]})
plots.layer_sizes(layers)"""
SECOND_CHART = ('plots.size_comparison(pd.DataFrame({"variant": ["naive", "optimised"], '
                '"size_bytes": [1.1e9, 1.5e8]}))')


def write_notebook(path, *sources, parameters=None):
    cells = []
    if parameters is not None:
        cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def chromium():
    exe = proc.which("chromium")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Debian's chromium to check reports (make test installs it)")
        pytest.skip("chromium is not installed")
    return exe


def test_report_is_self_contained_and_its_charts_are_drawn_offline(tmp_path, chromium):
    nb = write_notebook(tmp_path / "charts.ipynb", CHART_CELL, SECOND_CHART)
    rendered = report.render(nb, tmp_path / "out")
    check = report.check_html(rendered.html_path)
    assert check.external_resources == 0
    assert check.plotly_inline
    assert check.charts_drawn == 2


def test_report_command_prints_json_for_programs(tmp_path, capsys):
    import json

    from dockopt.cli import main

    nb = write_notebook(tmp_path / "p.ipynb", "print(f'sample={sample}')", parameters="sample = 'node-express'")
    assert main(["report", str(nb), "-o", str(tmp_path / "out"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)  # stdout is the JSON alone (progress goes to stderr)
    assert [r["report"] for r in rows] == ["p"] and rows[0]["duration_s"] > 0
    assert rows[0]["html_path"].endswith("p.html")


def test_parameters_cell_is_overridden(tmp_path):
    nb = write_notebook(tmp_path / "p.ipynb", "print(f'sample={sample}')", parameters="sample = 'node-express'")
    rendered = report.render(nb, tmp_path / "out", parameters={"sample": "go-api"})
    executed = nbformat.read(rendered.executed_path, as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "sample=go-api" in printed


def test_banner_names_the_stand_ins_a_notebook_used(tmp_path):
    payload = {"bases": [
        {"reference": "node:24-bookworm-slim", "standin": True, "recipe": "node 24.11.1 (npm registry) on debian slim"},
        {"reference": "scratch", "standin": False, "recipe": None}]}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
        "display_data", data={report.PROVENANCE_MIME: payload, "text/plain": "table"})])])
    size, standins = report.to_html(nb, tmp_path / "b.html")
    html = (tmp_path / "b.html").read_text()
    assert standins == ("node:24-bookworm-slim",)
    assert "Offline stand-ins" in html and "node 24.11.1 (npm registry) on debian slim" in html
    assert size == len(html.encode())


def test_a_failing_cell_is_a_report_error_naming_it(tmp_path):
    nb = write_notebook(tmp_path / "bad.ipynb", "1 / 0")
    with pytest.raises(ReportError, match="ZeroDivisionError"):
        report.render(nb, tmp_path / "out")


def test_missing_notebook_is_a_report_error(tmp_path):
    with pytest.raises(ReportError, match="does not exist"):
        report.render(tmp_path / "nope.ipynb", tmp_path / "out")


def test_a_notebook_can_ask_for_one_report_per_parameter_set(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("sample_name = 'x'",
                                                                   metadata={"tags": ["parameters"]})])
    nb.metadata["dockopt"] = {"runs": [{"sample_name": "go-api"}, {"sample_name": "java"}]}
    nbformat.write(nb, tmp_path / "10_stack.ipynb")
    assert report.planned_runs(tmp_path / "10_stack.ipynb") == [
        ("10_stack--go-api", {"sample_name": "go-api"}), ("10_stack--java", {"sample_name": "java"})]
    plain = write_notebook(tmp_path / "00_plain.ipynb", "1")
    assert report.planned_runs(plain) == [("00_plain", {})]


def test_every_committed_notebook_has_a_parameters_cell_and_no_outputs():
    from tests.conftest import REPO

    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert any("parameters" in c.metadata.get("tags", []) for c in code), path.name
        assert not any(c.get("outputs") for c in code), f"{path.name} is committed with outputs"


def test_provenance_reads_the_bases_from_what_the_notebook_built():
    import dataclasses

    import pandas as pd

    @dataclasses.dataclass(frozen=True)
    class Built:  # the shape of BuildResult and experiments.Comparison
        base_images: tuple[str, ...]

    runs = pd.DataFrame({"bases": ["golang:1.23-bookworm, scratch", None, "golang:1.23-bookworm"]})
    used = report.bases_used(Built(("node:24-bookworm", "scratch")), runs, "alpine:3.20", [Built(("busybox:1.35",))])
    assert used == ("node:24-bookworm", "scratch", "golang:1.23-bookworm", "alpine:3.20", "busybox:1.35")
    assert report.bases_used(pd.DataFrame({"size_bytes": [1]})) == ()


STORY_CELL = """\
from dockopt import report
report.headline(sample_name, 1_091_800_000, 152_300_000)
report.conclusion(f"The optimised **{sample_name}** image is **86 % smaller**: `npm ci --omit=dev` on distroless.")"""
STANDIN_CELL = f"""\
from IPython.display import display
display({{{report.PROVENANCE_MIME!r}: {{"bases": [{{"reference": "node:24-bookworm", "standin": True,
          "recipe": "node 24 from npm on buildpack-deps"}}]}}, "text/plain": "bases"}}, raw=True)"""


def test_headline_says_the_change_in_human_units():
    assert report.Headline("node-express", 1_091_800_000, 152_300_000).text == \
        "node-express: 1.09 GB → 152 MB, 86.1 % smaller"
    slower = report.Headline("go-api", 2.0, 3.0, unit="seconds", labels=("cold", "warm"))
    assert slower.text == "go-api: 2.00 s → 3.00 s, 50.0 % slower (cold → warm)" and slower.change == -0.5
    with pytest.raises(Exception, match="headline unit 'metres'"):
        report.headline("x", 1, 2, unit="metres")


def test_a_change_past_100x_says_its_factor_not_100_percent():
    assert report.Headline("x", 1_090_000_000, 42_500).figures == "1.09 GB → 42.5 kB, 25,647× smaller"
    assert report.Headline("x", 1.0, 250.0, unit="seconds").figures.endswith("250× slower")


def test_notebooks_record_headline_and_conclusion_for_the_index(tmp_path):
    nb = write_notebook(tmp_path / "00_story.ipynb", "# Markdown cell stand-in", STORY_CELL,
                        parameters="sample_name = 'node-express'")
    parsed = nbformat.read(nb, as_version=4)
    parsed.cells.insert(0, nbformat.v4.new_markdown_cell(
        "# Quickstart: what does a multi-stage build buy?\n\n**Question.** How much smaller is the\n"
        "optimised image?\n\nBoth are built for real."))
    nbformat.write(parsed, nb)
    rendered = report.render(nb, tmp_path / "out")
    assert rendered.title == "Quickstart: what does a multi-stage build buy?"
    assert rendered.headlines == ("node-express: 1.09 GB → 152 MB, 86.1 % smaller (naive → optimised)",)
    story = report.recorded_story(nbformat.read(rendered.executed_path, as_version=4))
    assert story.question == "How much smaller is the optimised image?"
    assert story.conclusions == ("The optimised **node-express** image is **86 % smaller**: "
                                 "`npm ci --omit=dev` on distroless.",)
    html = (tmp_path / "out" / "00_story.html").read_text()
    assert "86.1 % smaller" in html  # the reader of the report sees the same sentence


def test_the_index_is_a_landing_page_grouped_by_theme_and_stack(tmp_path, chromium):
    out = tmp_path / "reports"
    nb = write_notebook(tmp_path / "10_stack.ipynb", STORY_CELL, STANDIN_CELL, parameters="sample_name = 'x'")
    for name in ("go-api", "java"):
        report.render(nb, out, parameters={"sample_name": name}, name=f"10_stack--{name}")
    plain = write_notebook(tmp_path / "60_plain.ipynb", "1 + 1")
    report.render(plain, out)
    index = report.write_index(out)
    entries = {e["name"]: e for e in report.index_entries(out)}
    assert set(entries) == {"10_stack--go-api", "10_stack--java", "60_plain"}
    assert entries["10_stack--java"]["stack"] == "java" and entries["10_stack--java"]["theme"] == "10_stack"
    assert entries["10_stack--java"]["standins"] == [{"reference": "node:24-bookworm",
                                                      "recipe": "node 24 from npm on buildpack-deps"}]
    page = index.read_text()
    assert "At a glance" in page and "Offline stand-ins" in page and "node 24 from npm on buildpack-deps" in page
    assert "<strong>86 % smaller</strong>" in page  # the conclusion's Markdown, rendered
    assert "This report records no headline" in page
    glance = page[page.index('<table class="glance">'):page.index("</table>")]
    assert "60_plain" not in glance and ">10_stack</a>" in glance  # a theme without headlines has no column
    assert glance.count("<tr><th>") == 3 and "<th>go-api</th>" in glance and "<th>java</th>" in glance
    seen = report.check_index(index)
    assert seen.reports_shown == 3 and seen.headlines_shown == 2
    assert seen.broken_links == () and seen.external_resources == 0
