"""Whatever prunes the build cache is known to tests/ordering.py, so that it runs at the end."""

from __future__ import annotations

import ast
import re

from tests.conftest import REPO
from tests.ordering import _notebook_prunes

PRUNES = re.compile(r"ci_cold_runner\(|prune_before_pull=(True|cold)|prune_build_cache\(")


def test_every_notebook_that_prunes_says_so():
    notebooks = sorted((REPO / "notebooks").rglob("*.ipynb"))
    pruning = [nb for nb in notebooks if ".ipynb_checkpoints" not in nb.parts and PRUNES.search(nb.read_text())]
    assert pruning, "the shipping notebook prunes: the pattern no longer finds it"
    assert [nb.name for nb in pruning if not _notebook_prunes(str(nb))] == []


def test_every_test_that_prunes_is_marked():
    pruning = []
    for path in sorted((REPO / "tests" / "integration").glob("test_*.py")):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_") \
                    and PRUNES.search(ast.get_source_segment(source, node) or ""):
                marks = {ast.unparse(d) for d in node.decorator_list}
                pruning.append((node.name, "pytest.mark.prunes_build_cache" in marks))
    assert ("test_ci_cold_runner", True) in pruning
    assert [name for name, marked in pruning if not marked] == []
