"""Which runtime base wins each measure, from a base matrix recorded from a real run
(experiments.base_matrix("node-express") on Engine 20.10 with the offline stand-ins)."""

from __future__ import annotations

import pandas as pd

from dockopt.experiments import base_verdicts, verdict_summary

MATRIX = pd.DataFrame({
    "base": ["distroless", "slim", "alpine", "scratch"],
    "size_bytes": pd.array([152300260, 283332887, 146960116, None], dtype="Int64"),
    "compressed_bytes": pd.array([54051192, 88919995, 50971753, None], dtype="Int64"),
    "packages": pd.array([83, 304, 86, None], dtype="Int64"),
    "shell": [False, True, True, None], "setuid_files": pd.array([0, 8, 0, None], dtype="Int64"),
    "runs_as_root": [False, False, False, None], "ready_s": [1.541, 3.167, 2.643, None],
    "memory_bytes": pd.array([22831104, 21143552, 21508096, None], dtype="Int64"),
    "skipped": [None, None, None, "node needs a libc: scratch has none"]})


def test_each_measure_has_its_winner_and_skipped_bases_take_no_part():
    v = base_verdicts(MATRIX).set_index("measure")
    assert v.loc["compressed_bytes", "winner"] == "alpine"
    assert v.loc["packages", "winner"] == "distroless"
    assert v.loc["shell", "winner"] == "distroless" and not v.loc["shell", "tie"]
    assert v.loc["memory_bytes", "winner"] == "slim"
    assert v.loc["runs_as_root", "tie"] and v.loc["setuid_files", "winner"] in {"distroless", "alpine"}
    assert "scratch" not in " ".join(v["values"])
    assert v.loc["compressed_bytes", "values"] == "distroless 54.1 MB, slim 88.9 MB, alpine 51 MB"


def test_summary_names_what_each_base_wins_and_the_ties():
    text = verdict_summary(base_verdicts(MATRIX[MATRIX["base"].isin(["distroless", "alpine"])]))
    assert text.startswith("**alpine** wins on size in the engine")
    assert "**distroless** wins on packages (distroless 83, alpine 86); shell present" in text
    assert "A tie on setuid files (distroless 0, alpine 0); runs as root (distroless no, alpine no)." in text
