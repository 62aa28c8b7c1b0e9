"""Precision of lint findings and detected values on public Dockerfiles, from the hand-checks.

    python benchmarks/corpus_handcheck.py [CSV ...]   # default: corpus_handcheck.csv, corpus_detection_handcheck.csv

Each CSV is one judgement of a random sample of what ``benchmarks/dockerfile_corpus.py`` printed for a corpus
of public Dockerfiles (``--findings`` / ``--detections``): a row per finding or detected value with a
verdict, ``tp``/``right``, ``fp``/``wrong`` or ``debatable``, and why. Precision per rule is right / (right +
wrong); debatable rows are counted apart. It prints the table and writes
``benchmarks/results/corpus_handcheck.json``.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = (HERE / "corpus_handcheck.csv", HERE / "corpus_detection_handcheck.csv")
_VERDICT = {"right": "tp", "wrong": "fp"}  # a detection hand-check says right/wrong, a lint one tp/fp


def precision_rows(path: Path) -> tuple[list[dict[str, object]], int]:
    """One row per rule of the hand-check ``path`` (and one for all of them): right, wrong, debatable,
    precision; and how many rows were judged."""
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        per[row["rule"]][_VERDICT.get(row["verdict"], row["verdict"])] += 1
    total: Counter[str] = Counter()
    for c in per.values():
        total.update(c)
    out: list[dict[str, object]] = []
    for rule, c in [*sorted(per.items(), key=lambda kv: -sum(kv[1].values())), (f"all ({path.name})", total)]:
        judged = c["tp"] + c["fp"]
        out.append({"rule": rule, "right": c["tp"], "wrong": c["fp"], "debatable": c["debatable"],
                    "precision_pct": 100 * c["tp"] / judged if judged else None})
    return out, len(rows)


def main(argv: list[str] | None = None) -> int:
    paths = [Path(a) for a in (argv if argv is not None else sys.argv[1:])] or list(DEFAULT)
    table: list[dict[str, object]] = []
    notes = []
    for path in paths:
        rows, judged = precision_rows(path)
        table += rows
        notes.append(f"{path.name}: {judged} judged by hand")
    print(f"  {'rule':<40} {'right':>5} {'wrong':>5} {'debatable':>9}  precision")
    for r in table:
        p = r["precision_pct"]
        print(f"  {r['rule']!s:<40} {r['right']!s:>5} {r['wrong']!s:>5} {r['debatable']!s:>9}  "
              + ("-" if p is None else f"{float(str(p)):.0f} %"))
    import record

    record.write("corpus_handcheck", table, engine=False,
                 notes=[*notes, "precision is right / (right + wrong); debatable ones are counted apart"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
