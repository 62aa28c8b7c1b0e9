"""The explorer and the experiment panel on real images built on the real engine (no browser: the
widgets are driven through the calls their clicks make; tests/browser drives the page)."""

from __future__ import annotations

import dockopt
from dockopt import engine, experiments, plots


def test_explore_a_build_result_finds_its_dockerfile_and_base(docker_engine):
    result = experiments.build_sample("node-express", "optimised", progress=False)
    explorer = dockopt.explore(result)
    model = explorer.model
    assert model.base_ref == "gcr.io/distroless/nodejs24-debian12:nonroot"
    base = engine.inspect_image(model.base_ref)
    assert model.base_layers == len(base.layers) > 0        # the layers it shares with its base, exactly
    own = [row for row in model.layers if not row.base]
    assert own and all(row.line is not None and row.stage == "runtime" for row in own)
    for row in own:
        ins = model.dockerfile.instruction_at(row.line)
        assert ins.keyword in ("WORKDIR", "COPY", "RUN") and ins.stage_index == model.dockerfile.stage("runtime").index
    rows = explorer.layers_table.rows
    assert rows[0]["id"] == "base" and f"{model.base_layers} layers" in rows[0]["cells"]["instruction"]
    # the layer that copies the sources added them
    src = next(row for row in own if row.instruction.startswith("COPY src"))
    explorer.layers_table.click(f"L{src.layer}")
    assert any(r["id"] == "/app/src/server.js" and r["cells"]["change"] == "+ added" for r in explorer.files_table.rows)


def test_panel_runs_an_experiment_and_updates_in_place(docker_engine):
    from dockopt.widgets import experiment_panel

    panel = experiment_panel("bases", sample="go-api")
    panel.base.value = "scratch"
    chart = panel.chart
    table = panel.run()
    assert table is not None and table["base"].tolist() == ["scratch"]
    assert table["healthy"].tolist() == [True]
    assert panel.progress.value == panel.progress.max == 1 and panel.progress.bar_style == "success"
    drawn = plots.base_matrix(table)
    # updated in place, with what the plot function draws for this table
    assert panel.chart is chart and [t.name for t in panel.chart.data] == [t.name for t in drawn.data]
    assert "scratch" in panel.table_view.value and not panel.button.disabled
