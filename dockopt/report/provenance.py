"""Which base images a notebook's builds used, and which of them were offline stand-ins.

A notebook ends with ``report.provenance(<what it built>)``: results name the bases they resolved
(``BuildResult.base_images``, ``Comparison.base_images``, the ``bases`` column of experiment
tables), so no state is kept between builds. It shows the table and leaves a machine-readable copy
in the cell's output (``PROVENANCE_MIME``); the renderer reads that copy back from the executed
notebook (``recorded_bases``) for the banner at the top of the report.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from .partial import Missing

PROVENANCE_MIME = "application/vnd.dockopt.provenance+json"


@runtime_checkable
class HasBaseImages(Protocol):
    """A result that names the base images its build(s) resolved (``BuildResult``, ``Comparison``)."""

    @property
    def base_images(self) -> tuple[str, ...]: ...


Used = HasBaseImages | pd.DataFrame | str | Iterable[Any]


def bases_used(*used: Used) -> tuple[str, ...]:
    """The base references named by ``used``, first use first: build results, experiment tables
    (their ``bases`` column, comma-separated), references, or lists of any of these."""
    out: dict[str, None] = {}
    for item in used:
        if isinstance(item, Missing):  # a step a partial report could not measure used no base
            continue
        if isinstance(item, HasBaseImages):
            refs: Iterable[str] = item.base_images
        elif isinstance(item, pd.DataFrame):
            cells = item["bases"].dropna() if "bases" in item.columns else ()
            refs = (ref.strip() for cell in cells for ref in str(cell).split(",") if ref.strip())
        elif isinstance(item, str):
            refs = (item,)
        else:
            refs = bases_used(*item)
        out.update(dict.fromkeys(refs))
    return tuple(out)


def provenance(*used: Used) -> pd.DataFrame:
    """Show (in a notebook) and return which base images ``used`` resolved, and which were stand-ins.

    Each row is one base reference (``bases.provenance`` columns). In a notebook the table is also
    left in the output for the report's banner.
    """
    from ..bases.catalog import provenance as base_table

    table = base_table(bases_used(*used))
    try:
        from IPython.display import display
    except ImportError:  # plain Python: the table is the answer
        return table
    payload = {"bases": json.loads(table.to_json(orient="records"))}
    shown = table[["reference", "standin", "recipe"]].rename(columns={"standin": "offline stand-in"})
    display({PROVENANCE_MIME: payload, "text/html": shown.to_html(index=False),
             "text/plain": shown.to_string(index=False)}, raw=True)
    return table


def recorded_bases(nb: Any) -> dict[str, dict[str, Any]]:
    """The base images an executed notebook's ``provenance()`` outputs recorded, by reference."""
    bases: dict[str, dict[str, Any]] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PROVENANCE_MIME in data:
                payload = data[PROVENANCE_MIME]
                payload = json.loads(payload) if isinstance(payload, str) else payload
                for b in payload.get("bases", []):
                    bases[b["reference"]] = b
    return bases


def banner(bases: dict[str, dict[str, Any]]) -> str:
    """The HTML banner of a report: which bases were offline stand-ins and how each was made."""
    if not bases:
        return ""
    standins = [b for b in bases.values() if b.get("standin")]
    if not standins:
        return "Base images: all real upstream images (" + html.escape(", ".join(bases)) + ")."
    items = "".join(f"<li><code>{html.escape(b['reference'])}</code>: {html.escape(b.get('recipe') or 'stand-in')}</li>"
                    for b in standins)
    upstream = [r for r, b in bases.items() if not b.get("standin")]
    tail = f" Real upstream or local images: {html.escape(', '.join(upstream))}." if upstream else ""
    return (f"<strong>Offline stand-ins.</strong> No registry was reachable when this report was made, so "
            f"{len(standins)} base image(s) were built locally from distribution packages under their upstream "
            f"references; sizes of real upstream images differ.<ul>{items}</ul>{tail}")
