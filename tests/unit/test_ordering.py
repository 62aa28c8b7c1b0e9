"""Whatever prunes the engine's whole build cache is known to tests/ordering.py, so that it runs at the end,
and nothing in the course or the suite does so by default (a run must not leave the next one cold)."""

from __future__ import annotations

import ast
import re

from tests.conftest import REPO
from tests.ordering import _notebook_prunes

# what asks for an engine-wide prune: the explicit flags (an id-scoped prune_build_cache(ids=...) is not one)
PRUNES = re.compile(r"prune_before_pull=True|prune=True|confirm=True|cold_pull\s*=\s*True|prune_build_cache\(\)")


def test_every_notebook_that_prunes_says_so():
    notebooks = sorted((REPO / "notebooks").rglob("*.ipynb"))
    pruning = [nb for nb in notebooks if ".ipynb_checkpoints" not in nb.parts and PRUNES.search(nb.read_text())]
    assert [nb.name for nb in pruning if not _notebook_prunes(str(nb))] == []


def test_no_notebook_prunes_the_whole_cache_by_default():
    shipping = (REPO / "notebooks" / "70_shipping.ipynb").read_text()
    assert "prune_before_pull=cold_pull" in shipping and "cold_pull = False" in shipping
    assert not PRUNES.search(shipping)


def test_every_test_that_prunes_is_marked():
    pruning = []
    for path in sorted((REPO / "tests" / "integration").glob("test_*.py")):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_") \
                    and PRUNES.search(ast.get_source_segment(source, node) or ""):
                marks = {ast.unparse(d) for d in node.decorator_list}
                pruning.append((node.name, "pytest.mark.prunes_build_cache" in marks))
    assert [name for name, marked in pruning if not marked] == []
