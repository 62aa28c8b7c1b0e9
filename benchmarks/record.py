"""Machine-readable results for the documentation: what a benchmark or ``make report`` measured, with
when, at which commit and on what machine.

The docs never type a measured figure in; ``docs/hooks.py`` renders these files into the pages
(``<!-- dockopt:results NAME -->`` and ``<!-- dockopt:reports PREFIX -->``) and says "not measured
yet" where one is absent.

- A benchmark calls ``write(NAME, rows, columns=..., notes=...)`` at its end: it writes
  ``benchmarks/results/NAME.json``. Column names carry their units (``size_bytes``, ``duration_s``,
  ``reduction_pct``, ``ratio``), values are raw numbers; the docs format them.
- ``make report`` runs ``python benchmarks/record.py --reports reports``: ``reports/index.json``, each
  rendered report's question, headlines and conclusions (``dockopt.report.index_entries``).

Commit the files under ``benchmarks/results/`` with the change that moved the numbers; each says where
it was measured, so a reader can tell a stale one.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def _commit() -> str | None:
    from dockopt import proc

    if proc.which("git") is None:
        return None
    # "-dirty" when the working tree had uncommitted changes: the commit alone did not make these numbers
    done = proc.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], check=False)
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def _engine_version() -> str | None:
    try:
        from dockopt import engine

        return engine.info().server_version
    except Exception:  # no engine, or none reachable: the file says less, nothing fails
        return None


def provenance(*, engine: bool = True) -> dict[str, Any]:
    """When, at which commit, on what machine: the header of every result file."""
    machine: dict[str, Any] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                               "system": platform.system()}
    if hasattr(os, "getloadavg"):  # how busy the machine was: other work skews timings
        machine["load_1min"] = round(os.getloadavg()[0], 1)
    if engine:
        machine["engine"] = _engine_version()
    return {"measured_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": _commit(), "machine": machine}


def _plain(value: Any) -> Any:
    """JSON-ready: numpy and pandas scalars to Python's, NaN to None."""
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def write(name: str, rows: Iterable[Mapping[str, Any]], *, columns: Sequence[str] | None = None,
          notes: Sequence[str] = (), command: str | None = None, results_dir: Path = RESULTS,
          engine: bool = True) -> Path:
    """Write ``results_dir/NAME.json``: provenance, ``columns`` (default: the first row's keys), ``rows``
    (raw numbers, units in the column names) and ``notes`` (sentences the benchmark computed)."""
    table = [{key: _plain(value) for key, value in row.items()} for row in rows]
    data = {"benchmark": name, "command": command or f"python benchmarks/{name}.py {' '.join(sys.argv[1:])}".strip(),
            **provenance(engine=engine), "columns": list(columns or (table[0] if table else [])),
            "rows": table, "notes": list(notes)}
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{name}.json"
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"results: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", file=sys.stderr)
    return path


def write_reports_index(output_dir: Path) -> Path:
    """``OUTPUT_DIR/index.json``: every rendered report's question, headlines and conclusions."""
    from dockopt.report import index_entries

    data = {**provenance(engine=False), "reports": index_entries(output_dir)}
    path = output_dir / "index.json"
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, required=True, metavar="DIR",
                        help="write DIR/index.json from the reports rendered into DIR")
    args = parser.parse_args(argv)
    print(f"results: {write_reports_index(args.reports)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
