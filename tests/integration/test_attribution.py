"""One attribution of layers to Dockerfile lines, everywhere: on a plain Node project (the full node image,
WORKDIR, COPY . ., RUN npm install, ENV, EXPOSE, CMD) the project's own layers carry their lines in the
project report's table and chart, the analysis' rows and the explorer; only the base image's say "(base)".

The base is the local stand-in ``node:24-bookworm``; the app has no dependencies, so ``npm install``
needs no network (it still writes its own layer: a package-lock.json)."""

from __future__ import annotations

import pytest

import dockopt
from dockopt import engine, naming, report
from dockopt.analysis_report import analyze_report
from dockopt.widgets.explorer import build_model

DOCKERFILE = """\
FROM node:24-bookworm
WORKDIR /usr/src/app
COPY . .
RUN npm install
ENV NODE_ENV=production
EXPOSE 3000
CMD ["node", "server.js"]
"""


@pytest.fixture
def node_project(tmp_path, docker_engine):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "package.json").write_text('{"name": "plain", "version": "1.0.0", "main": "server.js"}\n')
    (tmp_path / "server.js").write_text("require('http').createServer((q, s) => s.end('ok')).listen(3000);\n")
    tag = f"{naming.namespace()}/attribution:node"
    result = dockopt.build(tmp_path, tag=tag, labels=naming.image_labels("test"), progress=False)
    yield tmp_path, result
    if engine.image_exists(tag):
        engine.remove_image(tag)


def test_a_plain_node_projects_own_layers_carry_their_lines_everywhere(node_project):
    folder, result = node_project
    expected = {"WORKDIR": 2, "COPY": 3, "RUN": 4, "ENV": 5, "EXPOSE": 6, "CMD": 7}

    layers = report.project_layers(dockopt.project(folder), result.ref)
    own = layers[layers["stage"] != "base"]
    assert len(own) == len(expected)  # every entry after the base's is the project's, none left over
    for instruction, line in zip(own["instruction"], own["dockerfile_line"]):
        assert expected[instruction.split()[0]] == line, instruction
    base = layers[layers["stage"] == "base"]
    assert len(base) > 0 and base["dockerfile_line"].isna().all()
    labels = [str(label).split(": ", 1)[1] for label in report.layer_chart(layers).data[0].y]  # "<layer>: ..."
    assert "line 4: RUN npm install" in labels and "line 3: COPY . ." in labels  # not "(base)", not unlabelled
    assert sum(label.startswith("(base)") for label in labels) == int((~base["empty"]).sum())

    analysis = analyze_report(result.ref, build=result)
    by_layer = {w.layer: w.line for w in analysis.waste_rows}
    model = build_model(analysis, folder / "Dockerfile")
    explorer = {row.layer: row.line for row in model.layers}
    for info in analysis.contents.layer_info:
        assert by_layer[info.layer] == explorer[info.layer]
    own_layers = analysis.contents.layer_info[-3:]  # WORKDIR, COPY, RUN wrote filesystem layers
    assert [by_layer[i.layer] for i in own_layers] == [2, 3, 4]
