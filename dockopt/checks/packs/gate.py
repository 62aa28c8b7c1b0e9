"""dockopt's CI gate next to dive's rules: ``highestImageSize``, ``noSecrets``, ``nonRoot``.

Same ``.dive-ci`` file (its ``rules:`` section) and the same result as dive's rules; ``ci_verdict``
applies both packs to one image's facts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..facts import ImageFacts
from ..rule import Rule, Severity, Verdict, bool_validator, load_config, parse_bytes, run, size_validator
from .dive import DIVE_RULES

PACK = "dockopt"


def _highest_image_size(facts: ImageFacts, value: str) -> str | None:
    threshold = parse_bytes(value)
    assert facts.size_bytes is not None  # reads size_bytes
    if facts.size_bytes > threshold:
        return f"image is too large (size={facts.size_bytes} bytes > threshold={threshold})"
    return None


def _no_secrets(facts: ImageFacts, value: str) -> str | None:
    paths = facts.secret_paths or ()
    if value.lower() != "true" or not paths:
        return None
    assert facts.secrets is not None
    where = ", ".join(sorted(set(paths))[:5])
    return f"{len(facts.secrets)} secret(s) ship in the image's layers ({where})"


def _non_root(facts: ImageFacts, value: str) -> str | None:
    if value.lower() != "true" or not facts.runs_as_root:
        return None
    return f"the image runs as root (User={facts.user or '(unset)'})"


GATE_RULES: tuple[Rule, ...] = (
    Rule("highestImageSize", "disabled", size_validator, _highest_image_size, PACK,  # e.g. "200MB"
         title="image size at most the threshold", severity=Severity.ERROR, reads=("size_bytes",)),
    Rule("noSecrets", "true", bool_validator, _no_secrets, PACK,  # a secret in any layer ships with the image
         title="no secrets in any layer", severity=Severity.ERROR, reads=("secrets",)),
    Rule("nonRoot", "disabled", bool_validator, _non_root, PACK,  # "true": the image must not run as root
         title="does not run as root", severity=Severity.ERROR, reads=("runs_as_root",)),
)
CI_RULES: tuple[Rule, ...] = DIVE_RULES + GATE_RULES


def load_ci_config(path: str | os.PathLike[str] | None = ".dive-ci") -> tuple[dict[str, str], str | None]:
    """Every CI rule's setting (dive's and dockopt's) from a ``.dive-ci`` file, and the file used."""
    return load_config(path, CI_RULES)


def ci_verdict(facts: ImageFacts, values: Mapping[str, str] | None = None, *,
               config_file: str | None = None) -> Verdict:
    """dive's three rules and dockopt's three on one image's facts."""
    return run(CI_RULES, facts, values, config_file=config_file, subject=facts.image)
