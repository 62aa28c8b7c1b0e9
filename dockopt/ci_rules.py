"""dockopt's own CI rules, next to dive's: ``highestImageSize``, ``noSecrets``, ``nonRoot``.

Kept for its import path: the rules live in ``dockopt.checks.packs.gate`` and read
``dockopt.checks.facts``; ``evaluate_ci`` builds the facts from dive's figures and what the caller
measured, then applies both packs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .checks.facts import ImageFacts, image_facts
from .checks.packs.gate import CI_RULES as RULES
from .checks.packs.gate import GATE_RULES as DOCKOPT_RULES
from .checks.packs.gate import ci_verdict, load_ci_config
from .checks.rule import Verdict as CiResult
from .dive_compat.metrics import DiveMetrics

__all__ = ["DOCKOPT_RULES", "RULES", "CiResult", "ImageFacts", "evaluate_ci", "load_ci_config"]


def evaluate_ci(metrics: DiveMetrics, config: Mapping[str, str] | None = None, *,
                secrets: Any = None, user: str | None = None,
                image_size_bytes: int | None = None, config_file: str | None = None) -> CiResult:
    """Apply dive's three rules (same defaults, messages and comparisons) and dockopt's three.

    ``config``: rule values as strings (``load_ci_config``); ``secrets``: the paths secrets were
    found in, or the ``dockopt.secrets.find`` frame (none given: none found); ``user``: the image
    config's ``User`` (none given: unset); ``image_size_bytes``: defaults to dive's size.
    """
    paths = secrets["path"] if secrets is not None and hasattr(secrets, "columns") else secrets
    facts = image_facts(metrics=metrics, config={"User": user or ""}, size_bytes=image_size_bytes,
                        secrets=[str(p) for p in (paths if paths is not None else ())])
    return ci_verdict(facts, config or {}, config_file=config_file)
