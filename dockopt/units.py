"""Human units, one formatter for the whole package (decimal, as docker and dive print sizes).

Pure and import-light: the command line's fast paths use it without loading pandas or plotly.
"""

from __future__ import annotations

_SIZE_UNITS = (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3))


def human_bytes(n_bytes: float | int | None) -> str:
    """``1_091_400_000`` → ``"1.09 GB"``; three significant figures above 1 kB, exact bytes below."""
    if n_bytes is None:
        return "–"
    n = float(n_bytes)
    for unit, size in _SIZE_UNITS:
        if abs(n) >= size:
            value = n / size
            return f"{value:.3g} {unit}" if abs(value) < 100 else f"{value:.0f} {unit}"
    return f"{n:.0f} B"


def human_seconds(seconds: float | int | None) -> str:
    """``0.42`` → ``"0.42 s"``, ``83`` → ``"1 min 23 s"``."""
    if seconds is None:
        return "–"
    s = float(seconds)
    if s < 10:
        return f"{s:.2f} s"
    if s < 60:
        return f"{s:.1f} s"
    minutes, rest = divmod(round(s), 60)
    return f"{minutes} min {rest:02d} s"


def human_percent(fraction: float | None) -> str:
    """``0.861`` → ``"86.1 %"``."""
    return "–" if fraction is None else f"{100 * fraction:.1f} %"
