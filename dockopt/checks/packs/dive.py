"""dive's ``--ci`` rules (dive 0.13): same keys, defaults, comparisons and messages, byte for byte.

Each reads dive's figures from the facts (``efficiency``, ``wasted_bytes``, ``user_wasted_percent``); a
``DiveMetrics`` works as the facts too.
"""

from __future__ import annotations

from typing import Protocol

from ..rule import Rule, Severity, go_float, parse_bytes, ratio_validator, size_validator

PACK = "dive"


class DiveFigures(Protocol):
    """What dive's rules look at (``ImageFacts`` and ``DiveMetrics`` have it)."""

    efficiency: float
    wasted_bytes: int
    user_wasted_percent: float


def _lowest_efficiency(m: DiveFigures, value: str) -> str | None:
    threshold = float(value)
    if threshold > m.efficiency:
        return f"image efficiency is too low (efficiency={go_float(m.efficiency)} < threshold={go_float(threshold)})"
    return None


def _highest_wasted_bytes(m: DiveFigures, value: str) -> str | None:
    threshold = parse_bytes(value)
    if m.wasted_bytes > threshold:
        return f"too many bytes wasted (wasted-bytes={m.wasted_bytes} > threshold={threshold})"
    return None


def _highest_user_wasted_percent(m: DiveFigures, value: str) -> str | None:
    threshold = float(value)
    # Go compares with NaN as false, so an image without user bytes passes like in dive.
    if threshold < m.user_wasted_percent:
        return ("too many bytes wasted, relative to the user bytes added "
                f"(%-user-wasted-bytes={go_float(m.user_wasted_percent)} > threshold={go_float(threshold)})")
    return None


_DIVE_HELP = "https://github.com/wagoodman/dive#ci-integration"
DIVE_RULES: tuple[Rule, ...] = (
    Rule("lowestEfficiency", "0.9", ratio_validator("lowestEfficiency"), _lowest_efficiency, PACK,
         title="image efficiency at least the threshold", severity=Severity.ERROR, reads=("efficiency",),
         help=_DIVE_HELP),
    Rule("highestWastedBytes", "disabled", size_validator, _highest_wasted_bytes, PACK,
         title="wasted bytes at most the threshold", severity=Severity.ERROR, reads=("wasted_bytes",),
         help=_DIVE_HELP),
    Rule("highestUserWastedPercent", "0.1", ratio_validator("highestUserWastedPercent"),
         _highest_user_wasted_percent, PACK, title="wasted share of the user's bytes at most the threshold",
         severity=Severity.ERROR, reads=("user_wasted_percent",), help=_DIVE_HELP),
)
