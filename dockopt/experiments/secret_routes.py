"""Three ways to hand a build step a token, and what each leaves in the image.

The course's chapter 9 (``notebooks/guide/09_performance_security.ipynb``) asks whether a build
secret passed as ``RUN --mount=type=secret`` really leaves no trace, where a build argument and a
copied ``.env`` file do. ``secret_routes()`` writes one tiny context (a ``.env`` with a token
generated for this run, never a real one), builds one Dockerfile per route on a small base, and
measures each image two ways: dockopt's secret scanner (files in every layer, the config, the
history) and, independently of any rule, whether the token's bytes occur anywhere in
``docker save``'s export of the image.
"""

from __future__ import annotations

import secrets as random_source
import string
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from .. import engine, naming
from ..analysis_report import analyze_report
from ..build import BuildResult, build

TOKEN_ID = "api_token"
TOKEN_NAME = "API_TOKEN"
DEFAULT_BASE = "busybox:1.35"

# route → Dockerfile body after FROM; each RUN proves it could read the token (test -n) and writes a marker
_ROUTES: Mapping[str, str] = MappingProxyType({
    "secret mount": (f"RUN --mount=type=secret,id={TOKEN_ID} test -n \"$(cat /run/secrets/{TOKEN_ID})\" "
                     "&& echo used > /token-was-used\n"),
    "build arg": (f"ARG {TOKEN_NAME}\n"
                  f"RUN test -n \"${TOKEN_NAME}\" && echo used > /token-was-used\n"),
    "COPY .env": ("COPY .env /app/.env\n"
                  f"RUN . /app/.env && test -n \"${TOKEN_NAME}\" && echo used > /token-was-used\n"),
})
SECRET_ROUTES = tuple(_ROUTES)

ROUTE_COLUMNS = ["route", "image", "size_bytes", "build_s", "findings", "in_files", "in_history", "rules", "paths",
                 "token_in_export", "note"]


def new_token() -> str:
    """A fresh random token shaped like a provider's API key (letters and digits, 40 characters)."""
    alphabet = string.ascii_letters + string.digits
    return "tok_" + "".join(random_source.choice(alphabet) for _ in range(36))


def route_dockerfile(route: str, base: str = DEFAULT_BASE) -> str:
    """The Dockerfile text of one route (one of ``SECRET_ROUTES``) on ``base``."""
    if route not in _ROUTES:
        from ..errors import DockoptError

        raise DockoptError(f"unknown secret route {route!r}", hint=f"one of: {', '.join(SECRET_ROUTES)}")
    return f"FROM {base}\n{_ROUTES[route]}"


def token_in_export(image: str, token: str) -> bool:
    """Whether ``token``'s bytes occur anywhere in ``docker save`` of ``image`` (layers, config, history),
    streamed with an overlap so a match split across chunks is still seen."""
    needle = token.encode()
    tail = b""
    for chunk in engine.save_image(image):
        window = tail + chunk
        if needle in window:
            return True
        tail = window[-(len(needle) - 1):]
    return False


@dataclass(frozen=True)
class SecretRoutes:
    """``table``: each row is one route (``ROUTE_COLUMNS``): ``route``, ``image``, ``size_bytes``,
    ``build_s`` (wall seconds of its build), ``findings`` (the scanner's findings), ``in_files`` (of
    them, in a layer's file), ``in_history`` (in the image config or its history), ``rules`` and
    ``paths`` the scanner named, ``token_in_export`` (the token's bytes occur in ``docker save``),
    ``note``. ``findings`` holds the scanner's rows per route (previews redacted)."""

    table: pd.DataFrame = field(repr=False)
    findings: Mapping[str, pd.DataFrame] = field(repr=False)
    builds: Mapping[str, BuildResult] = field(repr=False)
    base: str = DEFAULT_BASE

    @property
    def base_images(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ref for r in self.builds.values() for ref in r.base_images))

    def summary(self) -> str:
        """The routes in Markdown, every word from ``table``: which left no trace, which leaked and where."""
        records = self.table.to_dict("records")
        clean = [str(r["route"]) for r in records if r["findings"] == 0 and not r["token_in_export"]]
        leaked = [f"**{r['route']}** leaked it (found at {r['paths'] or 'no path the scanner knows'}; token bytes in "
                  f"the export: {'yes' if r['token_in_export'] else 'no'})" for r in records if r["route"] not in clean]
        return (f"{', '.join(clean) or 'No route'} left no trace of the token (no finding, its bytes absent from "
                f"`docker save`); {', '.join(leaked) or 'no route leaked it'}.")


def secret_routes(*, base: str = DEFAULT_BASE, progress: bool = False) -> SecretRoutes:
    """Build one image per route of ``SECRET_ROUTES`` on ``base`` with a token generated for this
    call, scan each (``analyze_report``) and look for the token's bytes in its export."""
    token = new_token()
    ns = naming.namespace()
    rows: list[dict[str, object]] = []
    found: dict[str, pd.DataFrame] = {}
    builds: dict[str, BuildResult] = {}
    with tempfile.TemporaryDirectory(prefix="dockopt-secret-routes-") as tmp:
        ctx = Path(tmp)
        (ctx / ".env").write_text(f"{TOKEN_NAME}={token}\n", encoding="utf-8")
        (ctx / "token.txt").write_text(token, encoding="utf-8")
        for route in SECRET_ROUTES:
            dockerfile = ctx / f"{route.replace(' ', '-').replace('.', '')}.Dockerfile"
            dockerfile.write_text(route_dockerfile(route, base), encoding="utf-8")
            # the context holds only .env and the Dockerfiles: token.txt stays outside it for the mount
            (ctx / ".dockerignore").write_text("token.txt\n", encoding="utf-8")
            labels = naming.image_labels("experiment", **{naming.LABEL_VARIANT: route})
            started = time.monotonic()
            result = build(ctx, dockerfile=dockerfile, tag=f"{ns}/secret-routes:{dockerfile.stem.lower()}",
                           labels=labels, progress=progress,
                           build_args={TOKEN_NAME: token} if route == "build arg" else None,
                           secrets={TOKEN_ID: ctx / "token.txt"} if route == "secret mount" else None)
            build_s = time.monotonic() - started
            builds[route] = result
            report = analyze_report(result.ref, build=result)
            table = report.secrets
            found[route] = table
            in_history = table["path"].astype(str).str.startswith("(") if len(table) else pd.Series([], dtype=bool)
            rows.append({"route": route, "image": result.ref, "size_bytes": result.size_bytes,
                         "build_s": round(build_s, 2), "findings": len(table),
                         "in_files": int((~in_history).sum()), "in_history": int(in_history.sum()),
                         "rules": ", ".join(sorted(set(table["rule"]))) if len(table) else "",
                         "paths": ", ".join(sorted(set(table["path"].astype(str)))) if len(table) else "",
                         "token_in_export": token_in_export(result.ref, token), "note": None})
    return SecretRoutes(table=pd.DataFrame(rows, columns=ROUTE_COLUMNS), findings=MappingProxyType(found),
                        builds=MappingProxyType(builds), base=base)
