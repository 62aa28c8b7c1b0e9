"""What every command's printing shares: tables, human sizes, KEY=VALUE options."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import DockoptError
from ..units import human_bytes

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def kv(pairs: Sequence[str] | None, what: str) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise DockoptError(f"{what} {pair!r} is not KEY=VALUE", hint=f"write it as --{what} KEY=VALUE")
        k, v = pair.split("=", 1)
        out[k] = v
    return out


def print_table(df: pd.DataFrame, columns: Sequence[str] | None = None) -> None:
    import pandas as pd

    shown = df[list(columns)] if columns else df
    with pd.option_context("display.max_rows", 500, "display.max_columns", 20, "display.width", 200,
                           "display.max_colwidth", 70):
        print(shown.to_string(index=False) if len(shown) else "(nothing)")


def sizes(size_bytes: Any) -> list[str]:
    """Human sizes for a column of byte counts that may hold NA (nothing built, image missing)."""
    import pandas as pd

    return [human_bytes(None if pd.isna(n) else int(n)) for n in size_bytes]
