"""The anatomy chapter's helpers that need no engine: the layer-cost Dockerfiles and the parsing of
``find -printf '%s\\t%p\\n'`` output (lines as GNU find printed them in node:24-bookworm-slim)."""

from __future__ import annotations

import pytest

from dockopt.dockerfile import parse
from dockopt.experiments import layer_cost_dockerfiles
from dockopt.experiments.anatomy import parse_file_sizes


def test_variants_do_the_same_work_in_different_numbers_of_instructions():
    texts = layer_cost_dockerfiles(steps=4, kib=2)
    kinds = {v: [i.keyword for i in parse(v, text=t).stages[0].instructions[1:]] for v, t in texts.items()}
    assert kinds["many-runs"] == ["RUN"] * 4
    assert kinds["one-run"] == ["RUN"]
    assert kinds["metadata"] == ["RUN"] + ["ENV"] * 4 + ["LABEL"] * 4
    for text in texts.values():
        assert text.count("head -c 2048 /dev/urandom") == 4
    # the metadata variant starts with the one-run file, so its RUN layer comes from the cache
    assert texts["metadata"].startswith(texts["one-run"])


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError):
        layer_cost_dockerfiles(steps=0)


def test_file_sizes_add_up_per_top_level_entry():
    output = ("463\t/app/package.json\n35302\t/app/package-lock.json\n1000\t/app/src/server.js\n"
              "462\t/app/src/lib/util.js\nfind: '/app/x': Permission denied\n12\t/application/other\n")
    assert parse_file_sizes(output, "/app/") == {"package.json": 463, "package-lock.json": 35302, "src": 1462}
