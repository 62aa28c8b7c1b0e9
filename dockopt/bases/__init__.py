"""Base images for the samples: the catalog of upstream references and offline stand-ins.

``ensure(references=None)`` makes them present (local → pull → stand-in built from Debian packages,
the npm registry and the Alpine minirootfs); ``catalog()`` says what the engine has for each;
``probe(reference)`` is the one check of what sits at a reference and whether it is a stand-in;
``provenance(references)`` tabulates it for the bases a build used.
"""

from .catalog import (
                      BASES,
                      BaseImage,
                      BaseState,
                      RuntimeCandidate,
                      StandinInfo,
                      catalog,
                      is_standin_of,
                      parse_labels,
                      probe,
                      provenance,
                      runtime_candidates,
                      standin_labels,
)
from .provision import ensure

__all__ = ["BASES", "BaseImage", "BaseState", "RuntimeCandidate", "StandinInfo", "catalog", "ensure", "is_standin_of",
           "parse_labels", "probe", "provenance", "runtime_candidates", "standin_labels"]
