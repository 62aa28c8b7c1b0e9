"""Which runtime base wins on each measure of a ``base_matrix`` (chapter 09: does alpine beat distroless?)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from ..units import human_bytes, human_seconds

# measure → (what it is, lower is better for all of them, how to print a value)
_MEASURES: dict[str, tuple[str, Callable[[Any], str]]] = {
    "size_bytes": ("size in the engine", human_bytes),
    "compressed_bytes": ("pushed (gzip)", human_bytes),
    "packages": ("packages", lambda v: f"{int(v)}"),
    "shell": ("shell present", lambda v: "yes" if v else "no"),
    "setuid_files": ("setuid files", lambda v: f"{int(v)}"),
    "runs_as_root": ("runs as root", lambda v: "yes" if v else "no"),
    "ready_s": ("docker run to first answer", human_seconds),
    "memory_bytes": ("memory once ready", human_bytes),
}
VERDICT_COLUMNS = ["measure", "what", "winner", "tie", "values"]


def base_verdicts(matrix: pd.DataFrame) -> pd.DataFrame:
    """Each row is one measure of ``matrix`` (``experiments.base_matrix``) over the bases that were
    built: ``winner`` (the base with the lowest value: smaller, fewer, no shell, not root, sooner),
    ``tie`` (every built base has that value), ``values`` (each base's value, printed). Measures no
    built base has a value for are left out."""
    built = matrix[matrix["skipped"].isna()].set_index("base")
    rows = []
    for measure, (what, show) in _MEASURES.items():
        if measure not in built.columns:
            continue
        values = built[measure].dropna()
        if values.empty:
            continue
        numbers = values.astype(float)
        rows.append({"measure": measure, "what": what, "winner": str(numbers.idxmin()),
                     "tie": bool(numbers.nunique() == 1 and len(numbers) == len(built)),
                     "values": ", ".join(f"{base} {show(v)}" for base, v in values.items())})
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def verdict_summary(verdicts: pd.DataFrame) -> str:
    """``base_verdicts`` in one Markdown sentence per winner: what each base wins, ties apart."""
    said = []
    for winner, rows in verdicts[~verdicts["tie"]].groupby("winner", sort=False):
        said.append(f"**{winner}** wins on " + "; ".join(f"{r.what} ({r.values})" for r in rows.itertuples()) + ".")
    ties = verdicts[verdicts["tie"]]
    if len(ties):
        said.append("A tie on " + "; ".join(f"{r.what} ({r.values})" for r in ties.itertuples()) + ".")
    return " ".join(said)
