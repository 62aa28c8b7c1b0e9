"""The optimise section of the project report, the before/after explorer and its static twin, on a recorded
proposal (no engine, no build): ``tests/fixtures/optimise/recorded/node-todo-api.json`` is what
``dockopt.optimise`` returned for the node-todo-api fixture (its ladder, bases, Dockerfiles and diff). The
explorer reads two recorded images (tests/fixtures/analysis) standing in for the original and the proposal."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import dockopt
from dockopt import report
from dockopt.cli import main
from dockopt.errors import WidgetError
from dockopt.optimise import Proposal
from tests.proposals import PAYLOADS, WASTE1, recorded_proposal


@pytest.fixture(scope="module")
def proposal() -> Proposal:
    return recorded_proposal()


def test_the_headline_says_before_and_after_from_the_ladder(proposal):
    text = report.proposal_headline(proposal)
    first, last = proposal.baseline, proposal.final
    applied = int(proposal.ladder["applied"].sum()) - 1
    assert f"applied **{applied} of {len(proposal.ladder) - 1}**" in text
    assert dockopt.units.human_bytes(int(first["size_bytes"])) in text
    assert dockopt.units.human_bytes(int(last["size_bytes"])) in text
    assert f"user {first['user']} → {last['user']}" in text and "smaller" in text
    assert "source edit rebuilds in" in text
    html = report.proposal_headline_html(proposal)
    assert "<b>" in html and "**" not in html and "<code>dockopt optimise</code>" in html


def test_the_ladder_is_tidy_with_units_and_what_each_rung_changed(proposal):
    table = report.proposal_ladder(proposal)
    assert list(table.columns) == report.proposal.LADDER_COLUMNS
    assert list(table["rung"]) == list(proposal.ladder.sort_values("step")["rung"])
    assert table["dockerfile_change"].notna().all()
    applied = table[table["applied"]]
    assert applied["size_bytes"].notna().all() and (applied["size"] != "–").all()
    dropped = table[~table["applied"]]
    assert (dropped["size"] == "–").all() and dropped["reason"].notna().all()


def test_a_dropped_rung_is_named_with_its_reason(proposal):
    ladder = proposal.ladder.copy()
    ladder.loc[ladder["rung"] == "healthcheck", ["applied", "reason"]] = (False, "fails the readiness check: 503")
    ladder.loc[ladder["rung"] == "healthcheck", ["size_bytes", "compressed_bytes"]] = pd.NA
    dropped = Proposal(**{**proposal.__dict__, "ladder": ladder})
    text = report.proposal_headline(dropped)
    assert "Not applied: **healthcheck** (fails the readiness check: 503)." in text
    assert f"applied **{len(ladder) - 2} of {len(ladder) - 1}**" in text
    table = report.proposal_ladder(dropped).set_index("rung")
    assert table.loc["healthcheck", "size"] == "–" and table.loc["nonroot", "size"] != "–"


def test_the_diff_is_escaped_and_coloured(proposal):
    html = report.proposal_diff(proposal).data
    assert "dockopt-diff" in html and "Dockerfile (proposed)" in html
    added = [line for line in proposal.diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert added and html.count("background:#e6ffed") == len(added)
    assert "<b>The proposed <code>.dockerignore</code></b>" in html
    assert "&lt;" not in report.proposal.diff_html("") and "nothing to review" in report.proposal.diff_html("")
    assert "&lt;b&gt;" in report.proposal.diff_html("+<b>\n")


def test_the_conclusion_names_the_proposal_and_the_skipped_note_says_how(proposal):
    text = report.project_conclusion(report.Missing("p", "x"), report.Attempts(), proposal=proposal)
    assert "`dockopt optimise` proposes" in text and proposal.final["user"] in text
    assert "proposes" not in report.project_conclusion(report.Missing("p", "x"), report.Attempts())
    assert "--optimise" in report.optimise_skipped().data


def test_the_template_and_the_lab_copy_carry_the_switches(tmp_path):
    nb = nbformat.read(report.PROJECT_TEMPLATE, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert "optimise = False" in params.source and "explorer = False" in params.source
    sources = "\n".join(c.source for c in nb.cells)
    assert "dockopt.explore, proposal" in sources and "dockopt.optimise, project" in sources
    app = tmp_path / "myapp"
    app.mkdir()
    (app / "Dockerfile").write_text("FROM scratch\n")
    notebook, _ = report.lab_notebook(app, tmp_path / "work")
    injected = next(c for c in nbformat.read(notebook, as_version=4).cells
                    if "injected-parameters" in c.metadata.get("tags", []))
    assert "optimise = True" in injected.source and "explorer = True" in injected.source
    assert report.project.project_parameters(app)["optimise"] is False  # the report's default: no climb


def test_optimise_goes_with_project_only(capsys):
    assert main(["report", "--optimise"]) == 2
    assert "--optimise goes with --project" in capsys.readouterr().err


# --- the explorer, before and after ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def side_by_side():
    from dockopt.analysis_report import analyze_report
    from dockopt.widgets.explorer import explore_proposal

    return explore_proposal(recorded_proposal(image=str(PAYLOADS)), analyze_report(WASTE1, scanners=False))


def test_explore_a_proposal_side_by_side_with_the_files_that_differ(side_by_side):
    from dockopt.widgets.explorer import Explorer, ProposalExplorer

    view = side_by_side
    assert isinstance(view, ProposalExplorer)
    assert isinstance(view.before, Explorer) and isinstance(view.after, Explorer)
    assert view.before.model.name.endswith("waste1.tar") and view.after.model.name.endswith("payloads.tar")
    # the file diff goes full width under both explorers, not inside one of them
    assert view.diff_box in view.children and view.diff_box not in view.before.children
    assert view.before.diff_table.rows and "against this image" in view.before.compare_status.value
    assert set(view.changes["change"]) <= {"added", "removed", "changed"} and len(view.changes)
    assert "dockopt-diff" in view.dockerfile_diff.value and "applied" in view.headline.value
    # the two explorers still answer clicks
    view.after.select(0)
    assert view.after.layers_table.selected == "L0"


def test_the_side_by_side_twin_in_reports(side_by_side, monkeypatch):
    from dockopt.report.twin import PROPOSAL_TWIN_MARKER, REPORT_ENV, TWIN_MARKER

    monkeypatch.delenv(REPORT_ENV, raising=False)
    assert "text/html" not in side_by_side._repr_mimebundle_()
    monkeypatch.setenv(REPORT_ENV, "1")
    html = side_by_side._repr_mimebundle_()["text/html"]
    assert PROPOSAL_TWIN_MARKER in html and html.count(f"class='{TWIN_MARKER}'") == 2
    assert "Original" in html and "Proposed" in html and "dockopt-diff" in html
    assert re.search(r"\d+ (added|removed|changed)", html) and "Largest differences" in html


def test_dockopt_explore_takes_a_proposal_and_says_when_the_original_is_gone():
    gone = recorded_proposal(image=str(PAYLOADS), original_image="wt-none/never-built:gone")
    with pytest.raises(WidgetError, match="original image of the climb is gone") as err:
        dockopt.explore(gone)
    assert "keep_images=True" in (err.value.hint or "")
    with pytest.raises(WidgetError, match="compares the two images itself"):
        dockopt.explore(gone, compare=str(WASTE1))
    no_image = recorded_proposal(image="")
    assert isinstance(dockopt.explore(Path(PAYLOADS)), dockopt.widgets.Explorer)  # an image: as before
    with pytest.raises(WidgetError, match="no image"):
        dockopt.explore(Proposal(**{**no_image.__dict__, "image": None}), original=str(WASTE1))
