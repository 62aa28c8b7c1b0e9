"""A ``Verdict`` in every external format, one module each: ``text`` (dive's ``--ci`` layout), ``json``,
``junit`` (JUnit XML) and ``sarif`` (SARIF 2.1.0)."""

from __future__ import annotations

from typing import Literal

Format = Literal["text", "json", "junit", "sarif"]
FORMATS: tuple[Format, ...] = ("text", "json", "junit", "sarif")
