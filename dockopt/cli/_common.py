"""What every command's printing shares: tables in human units (or JSON with ``--json``), KEY=VALUE
options, progress lines.

Light on purpose (no pandas, no docker SDK at import): ``dockopt analyze`` imports this module on
its archive path. A table is a DataFrame or a list of dicts; its columns carry their unit in the
name (``size_bytes``, ``duration_s``), so the printer knows how to show each value to a person
(``1.09 GB``, ``1 min 23 s``) while ``--json`` keeps the raw numbers for programs.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO, TypeGuard, cast

from ..errors import DockoptError
from ..units import human_bytes, human_seconds

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    Table = pd.DataFrame | Sequence[Mapping[str, Any]]

_GAP = "  "
_NA = "–"


def kv(pairs: Sequence[str] | None, what: str, *, from_env: bool = False) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict. With ``from_env`` (``--build-arg``, as docker does), a bare ``KEY``
    takes its value from the environment, and is left out when the environment has none."""
    import os

    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            if from_env and pair:
                if pair in os.environ:
                    out[pair] = os.environ[pair]
                continue
            raise DockoptError(f"{what} {pair!r} is not KEY=VALUE", hint=f"write it as --{what} KEY=VALUE")
        k, v = pair.split("=", 1)
        out[k] = v
    return out


def build_args(pairs: Sequence[str] | None) -> dict[str, str]:
    """``--build-arg KEY=VALUE`` or ``--build-arg KEY`` (its value from the environment, as docker does)."""
    return kv(pairs, "build-arg", from_env=True)


def add_build_arg_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--build-arg", action="append", metavar="KEY[=VALUE]",
                        help="a build argument; KEY alone takes its value from the environment (as docker does)")


# What ``--format`` may say; each command offers the ones that fit it.
TABLE_FORMATS = ("table", "json")


def add_json_option(parser: argparse.ArgumentParser, what: str = "the table", *,
                    formats: Sequence[str] = TABLE_FORMATS, output: bool = True) -> None:
    """``--format table|json`` (``--json`` is the same as ``--format json``) and ``-o FILE``.

    Every command that prints a table takes it; ``main`` folds ``--json`` into ``args.format`` (and sets
    ``args.json`` for ``--format json``), and writes stdout to ``-o FILE`` instead of the terminal.
    """
    parser.add_argument("--format", choices=list(formats), default="table",
                        help=f"how to print {what}: {', '.join(formats)} (json: raw numbers, bytes and seconds)")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    if output:
        parser.add_argument("-o", "--output-file", dest="output_file", metavar="FILE",
                            help=f"write {what} to FILE instead of stdout")


def _is_frame(table: Table) -> TypeGuard[pd.DataFrame]:
    return hasattr(table, "to_json")  # without importing pandas to ask


def records(table: Table, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """A DataFrame or a list of dicts as plain JSON-ready dicts (NA → None, timestamps → ISO 8601)."""
    if _is_frame(table):  # its own writer knows NA, numpy scalars and timestamps
        shown = table[list(columns)] if columns else table
        out: list[dict[str, Any]] = json.loads(shown.to_json(orient="records", date_format="iso"))
        return out
    rows = [dict(r) for r in cast("Sequence[Mapping[str, Any]]", table)]
    return [{c: r.get(c) for c in columns} for r in rows] if columns else rows


def print_json(value: Any, file: TextIO | None = None) -> None:
    print(json.dumps(value, indent=2, default=str, ensure_ascii=False), file=file or sys.stdout)


def _missing(value: Any) -> bool:
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value)  # NaN and pandas' NA/NaT compare unequal to themselves
    except (TypeError, ValueError):
        return False


def _header(column: str, columns: Sequence[str]) -> str:
    for suffix, noun in (("_bytes", "size"), ("_s", "time")):
        if column.endswith(suffix) and column != suffix:
            bare = column[: -len(suffix)]
            return bare if bare not in columns else f"{bare} {noun}"
    return column


def cell(column: str, value: Any) -> tuple[str, bool]:
    """How one value is shown to a person, and whether it is a number (right-aligned)."""
    if _missing(value):
        return _NA, False
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return ("yes" if value else "no"), False
    if isinstance(value, str) or not _is_number(value):
        return str(value).replace("\n", " "), False
    f = float(value)
    if column.endswith("_bytes"):
        return human_bytes(f), True
    if column.endswith("_s"):
        return human_seconds(f), True
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f)), True
    return (f"{f:.4g}" if math.isfinite(f) else str(f)), True


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def format_table(table: Table, columns: Sequence[str] | None = None, *, width: int | None = None) -> str:
    """``table`` as aligned text: headers, numbers right-aligned, text left-aligned, sizes and times in
    human units. With ``width``, the widest text columns are cut (``…``) to fit."""
    rows = _frame_rows(table, columns) if _is_frame(table) else records(table, columns)
    names = list(columns) if columns else (list(rows[0]) if rows else [])
    if not rows:
        return "(nothing)"
    cells = [[cell(c, r.get(c)) for c in names] for r in rows]
    right = [any(cs[i][1] for cs in cells) and all(cs[i][1] or cs[i][0] == _NA for cs in cells)
             for i in range(len(names))]
    heads = [_header(c, names) for c in names]
    widths = [max(len(heads[i]), *(len(cs[i][0]) for cs in cells)) for i in range(len(names))]
    if width:
        _fit(widths, heads, right, width)
    lines = []
    for texts in [heads, *([t for t, _ in cs] for cs in cells)]:
        parts = []
        for i, text in enumerate(texts):
            text = text if len(text) <= widths[i] else text[: max(widths[i] - 1, 0)] + "…"
            parts.append(text.rjust(widths[i]) if right[i] else text.ljust(widths[i]))
        lines.append(_GAP.join(parts).rstrip())
    return "\n".join(lines)


def _frame_rows(df: pd.DataFrame, columns: Sequence[str] | None) -> list[dict[str, Any]]:
    shown = df[list(columns)] if columns else df
    return [dict(zip(shown.columns, values, strict=True)) for values in shown.itertuples(index=False, name=None)]


def _fit(widths: list[int], heads: list[str], right: list[bool], width: int) -> None:
    """Shrink the widest text columns (never numbers, never below their header) until the row fits."""
    total = sum(widths) + len(_GAP) * (len(widths) - 1)
    while total > width:
        shrinkable = [i for i in range(len(widths)) if not right[i] and widths[i] > max(len(heads[i]), 12)]
        if not shrinkable:
            return
        i = max(shrinkable, key=lambda j: widths[j])
        widths[i] -= 1
        total -= 1


def print_table(table: Table, columns: Sequence[str] | None = None, *, as_json: bool = False) -> None:
    """Print ``table`` (only ``columns``, if given): aligned text in human units, or JSON records.

    On a terminal, long text columns are cut to the window's width; into a pipe or a file, nothing is cut.
    """
    if as_json:
        print_json(records(table, columns))
        return
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    print(format_table(table, columns, width=width))


def sizes(size_bytes: Any) -> list[str]:
    """Human sizes for a column of byte counts that may hold NA (nothing built, image missing)."""
    return [human_bytes(None if _missing(n) else int(n)) for n in size_bytes]


def progress_line(text: str) -> None:
    """One line of progress on stderr (stdout stays the result: a table, or JSON)."""
    print(text, file=sys.stderr, flush=True)
