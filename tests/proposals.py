"""The recorded proposal of the node-todo-api fixture, rebuilt without an engine or a build: what
``dockopt.optimise`` returned (``tests/fixtures/optimise/recorded/node-todo-api.json``: its ladder, bases,
Dockerfiles and diff), with two recorded image archives (tests/fixtures/analysis) standing in for the original
(``WASTE1``) and the proposal (``PAYLOADS``). Shared by tests/unit/test_report_proposal.py and the notebook
tests/browser/test_proposal_lab.py runs in JupyterLab: importing it needs neither pytest nor the engine."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from dockopt.optimise import BASE_COLUMNS, COLUMNS, Proposal
from dockopt.optimise.facts import read_facts
from dockopt.project import project

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RECORDED = FIXTURES / "optimise" / "recorded" / "node-todo-api.json"
WASTE1 = FIXTURES / "analysis" / "waste1.tar"
PAYLOADS = FIXTURES / "analysis" / "payloads.tar"


def recorded_proposal(image: str | None = None, original_image: str | None = None) -> Proposal:
    """The recorded proposal, as ``optimise`` returned it; ``image`` / ``original_image`` replace the final
    rung's and the original's image references (the recorded ones were removed with the test's builds)."""
    data = json.loads(RECORDED.read_text(encoding="utf-8"))
    root = FIXTURES / "optimise" / "node-todo-api"
    p = project(root)
    files = frozenset(f.relative_to(root).as_posix() for f in root.rglob("*") if f.is_file())
    ladder = pd.DataFrame(data["ladder"], columns=COLUMNS)
    for col in ("size_bytes", "compressed_bytes", "packages"):
        ladder[col] = ladder[col].astype("Int64")
    if original_image is not None:
        ladder.loc[0, "image"] = original_image
    bases = pd.DataFrame(data["bases"], columns=BASE_COLUMNS)
    return Proposal(project=data["project"], context=root, original_path=root / "Dockerfile",
                    original=data["original"], dockerfile=data["dockerfile"], dockerignore=data["dockerignore"],
                    ladder=ladder, bases=bases, diff=data["diff"], facts=read_facts(p, files),
                    image=image if image is not None else data["image"], stopped=data["stopped"])
