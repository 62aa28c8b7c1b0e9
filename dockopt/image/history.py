"""``layers()``: an image's history as the engine reports it (no image data read)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .contents import instruction_of

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_LAYER_COLUMNS = ["layer", "created_by", "instruction", "size_bytes", "empty", "created", "image_id"]


def layers(image: str) -> pd.DataFrame:
    """Each row is one history entry of ``image``, oldest first.

    Columns: ``layer`` (0-based order), ``created_by``, ``instruction``, ``size_bytes``,
    ``empty`` (metadata-only entries such as ENV, CMD, USER add no filesystem layer),
    ``created`` (UTC timestamp) and ``image_id`` (of that history step, when the engine knows it).
    """
    import pandas as pd

    from .. import engine

    history = list(reversed(engine.image_history(image)))
    rows = []
    for i, h in enumerate(history):
        created_by = h.get("CreatedBy") or ""
        size = int(h.get("Size") or 0)
        instruction = instruction_of(created_by)
        keyword = instruction.split(" ", 1)[0].upper() if instruction else ""
        # The history API does not say which entries are empty; zero-byte entries of
        # filesystem-changing instructions (RUN, COPY, ADD) still create a layer.
        empty = size == 0 and keyword not in {"RUN", "COPY", "ADD"}
        rows.append({
            "layer": i,
            "created_by": created_by,
            "instruction": instruction,
            "size_bytes": size,
            "empty": empty,
            "created": pd.to_datetime(h.get("Created") or 0, unit="s", utc=True),
            "image_id": h.get("Id") if h.get("Id") not in (None, "<missing>") else None,
        })
    return pd.DataFrame(rows, columns=_LAYER_COLUMNS)
