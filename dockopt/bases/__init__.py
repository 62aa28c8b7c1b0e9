"""Base images for the samples: the catalog of upstream references and offline stand-ins.

``ensure(references=None)`` makes them present (local → pull → stand-in built from Debian packages,
the npm registry and the Alpine minirootfs); ``catalog()`` says what the engine has for each.
"""

from .catalog import (BASES, BaseImage, StandinInfo, catalog, is_standin_of, parse_labels, standin_labels,
                      standins_in_use)
from .provision import ensure

__all__ = ["BASES", "BaseImage", "StandinInfo", "catalog", "ensure", "is_standin_of", "parse_labels",
           "standin_labels", "standins_in_use"]
