"""dockopt's own CI rules, next to dive's: ``highestImageSize``, ``noSecrets``, ``nonRoot``.

Same rule objects and the same ``.dive-ci`` file (its ``rules:`` section) as dive's rules
(``dockopt.dive_compat.ci``); ``evaluate_ci`` applies both tables to one image.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .dive_compat.ci import DIVE_RULES, CiResult, Rule, evaluate, parse_bytes, size_validator
from .dive_compat.ci import load_ci_config as _load
from .dive_compat.metrics import DiveMetrics


@dataclass(frozen=True)
class ImageFacts:
    """What the rules look at: dive's figures and dockopt's (size, secrets found, configured user)."""

    efficiency: float
    wasted_bytes: int
    user_wasted_percent: float
    size_bytes: int
    secret_paths: tuple[str, ...]
    user: str


def _bool_validator(value: str) -> str | None:
    return None if value.lower() in ("true", "false") else f"invalid config value ('{value}'): expected true or false"


def _highest_image_size(facts: ImageFacts, value: str) -> str | None:
    threshold = parse_bytes(value)
    if facts.size_bytes > threshold:
        return f"image is too large (size={facts.size_bytes} bytes > threshold={threshold})"
    return None


def _no_secrets(facts: ImageFacts, value: str) -> str | None:
    if value.lower() != "true" or not facts.secret_paths:
        return None
    where = ", ".join(sorted(set(facts.secret_paths))[:5])
    return f"{len(facts.secret_paths)} secret(s) ship in the image's layers ({where})"


def _non_root(facts: ImageFacts, value: str) -> str | None:
    if value.lower() != "true":
        return None
    uid = facts.user.split(":")[0]
    return None if uid not in ("", "0", "root") else f"the image runs as root (User={facts.user or '(unset)'})"


DOCKOPT_RULES: tuple[Rule, ...] = (
    Rule("highestImageSize", "disabled", size_validator, _highest_image_size, "dockopt"),  # e.g. "200MB"
    Rule("noSecrets", "true", _bool_validator, _no_secrets, "dockopt"),  # a secret in any layer ships with the image
    Rule("nonRoot", "disabled", _bool_validator, _non_root, "dockopt"),  # "true": the image must not run as root
)
RULES = DIVE_RULES + DOCKOPT_RULES


def load_ci_config(path: str | os.PathLike[str] | None = ".dive-ci") -> tuple[dict[str, str], str | None]:
    """Every rule's value (dive's and dockopt's) from a ``.dive-ci`` file, and the file used."""
    return _load(path, RULES)


def evaluate_ci(metrics: DiveMetrics, config: Mapping[str, str] | None = None, *,
                secrets: Any = None, user: str | None = None,
                image_size_bytes: int | None = None, config_file: str | None = None) -> CiResult:
    """Apply dive's three rules (same defaults, messages and comparisons) and dockopt's three.

    ``config``: rule values as strings (``load_ci_config``); ``secrets``: the paths secrets were
    found in, or the ``dockopt.secrets.find`` frame; ``user``: the image config's ``User``;
    ``image_size_bytes``: defaults to dive's size.
    """
    paths = secrets["path"] if secrets is not None and hasattr(secrets, "columns") else secrets
    facts = ImageFacts(efficiency=metrics.efficiency, wasted_bytes=metrics.wasted_bytes,
                       user_wasted_percent=metrics.user_wasted_percent,
                       size_bytes=metrics.size_bytes if image_size_bytes is None else image_size_bytes,
                       secret_paths=tuple(str(p) for p in (paths if paths is not None else ())), user=user or "")
    return evaluate(RULES, config or {}, facts, config_file)
