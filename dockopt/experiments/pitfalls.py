"""The guide's common pitfalls, each a minimal pair of Dockerfiles built and measured.

- ``apt_lists``: apt's package lists left in a layer, removed later (hidden, still shipped), removed in
  the same ``RUN`` (``notebooks/guide/pitfalls/apt-lists``).
- ``numeric_stage_reference``: ``COPY --from=0`` when a stage is inserted above the builder: the build
  still succeeds and ships the other stage's file; a named reference keeps working
  (``notebooks/guide/pitfalls/numeric-from``).
- ``deleted_secret``: a private key copied in and deleted by the next ``RUN``: the scanner finds it in
  the earlier layer and its bytes read back from the image equal the key's.
- ``moving_latest``: a base rebuilt under the same ``:latest`` tag changes the app image built from the same
  Dockerfile; a pinned tag does not.
- ``silent_unhealthy``: a broken app whose process stays up is "running" for Docker forever without a
  ``HEALTHCHECK``, and "unhealthy" within seconds with one.
The ``.dockerignore`` and manifest-first pitfalls are rungs 0-2 of the conversion ladder (``climb``).
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from .. import content, engine, naming
from ..analysis_report import analyze_report
from ..build import BuildResult, build
from ..dockerfile import parse
from ..image import read_image

PITFALLS_DIR = content.guide_dir("pitfalls")
APT_LISTS = "/var/lib/apt/lists/"


def _build(context: Path, dockerfile: Path, name: str) -> BuildResult:
    return build(context, dockerfile, tag=f"{naming.namespace()}/pitfall:{name}", progress=False,
                 labels=naming.image_labels("experiment", **{naming.LABEL_SAMPLE: "pitfalls"}))


def apt_lists(directory: str | Path | None = None) -> pd.DataFrame:
    """Each row is one Dockerfile of the apt-lists pair (``leaves-lists``, ``cleans-later``,
    ``cleans-same-run``): ``variant``, ``size_bytes``, ``lists_visible_bytes`` (under
    ``/var/lib/apt/lists`` in the final filesystem), ``lists_shipped_bytes`` (in any layer, hidden
    or not: what a pull downloads), ``layers``, ``bases``."""
    root = Path(directory) if directory is not None else PITFALLS_DIR / "apt-lists"
    rows = []
    for variant in ("leaves-lists", "cleans-later", "cleans-same-run"):
        result = _build(root, root / f"{variant}.Dockerfile", f"apt-{variant}")
        files = read_image(result.image_id).files
        lists = files[files["path"].str.startswith(APT_LISTS) & (files["kind"] == "file")]
        rows.append({"variant": variant, "size_bytes": result.size_bytes,
                     "lists_visible_bytes": int(lists.loc[lists["visible"], "size_bytes"].sum()),
                     "lists_shipped_bytes": int(lists["size_bytes"].sum()),
                     "layers": int(files["layer"].max()) + 1, "bases": ", ".join(result.base_images)})
    return pd.DataFrame(rows)


def numeric_stage_reference(directory: str | Path | None = None, *, path: str = "/srv/version.txt",
                            expected: str = "app build") -> pd.DataFrame:
    """Each row is one Dockerfile of the numeric-from pair: ``variant``, ``reference`` (numeric or
    named), ``stage_inserted``, ``built`` (the build succeeded), ``shipped`` (the text of ``path``
    in the image), ``correct`` (it starts with ``expected``), ``numeric_refs_flagged`` (numeric
    stage references dockopt's parser flags in the file), ``bases``."""
    root = Path(directory) if directory is not None else PITFALLS_DIR / "numeric-from"
    rows = []
    for variant in ("numeric", "numeric-inserted", "named", "named-inserted"):
        df = root / f"{variant}.Dockerfile"
        result = _build(root, df, f"from-{variant}")
        code, out = engine.run_output(result.image_id, ["cat", path])
        shipped = out.strip() if code == 0 else f"(cat failed: {out.strip()[:80]})"
        flagged = sum(1 for e in parse(df).edges if e.numeric)
        rows.append({"variant": variant, "reference": variant.split("-")[0],
                     "stage_inserted": variant.endswith("inserted"), "built": True, "shipped": shipped,
                     "correct": shipped.startswith(expected), "numeric_refs_flagged": flagged,
                     "bases": ", ".join(result.base_images)})
    return pd.DataFrame(rows)


def fake_private_key(seed: str = "dockopt pitfall key") -> bytes:
    """A PEM-shaped fake private key made here (random-looking, never committed, no real key)."""
    body = b"".join(hashlib.sha512(f"{seed} {i}".encode()).digest() for i in range(12))
    lines = [base64.b64encode(body)[i:i + 70] for i in range(0, len(base64.b64encode(body)), 70)]
    return b"-----BEGIN OPENSSH PRIVATE KEY-----\n" + b"\n".join(lines) + b"\n-----END OPENSSH PRIVATE KEY-----\n"


_DELETED_SECRET_DOCKERFILE = """\
# A deploy key copied in for one step and deleted by the next: the delete only hides it.
FROM busybox:1.35
COPY id_deploy /root/.ssh/id_deploy
RUN wc -c /root/.ssh/id_deploy > /root/key-bytes
RUN rm /root/.ssh/id_deploy
"""


def deleted_secret() -> tuple[pd.DataFrame, dict[str, Any]]:
    """Build a key-in-one-layer, deleted-in-the-next image from a context made here; returns the
    scanner's findings (``secrets.FINDING_COLUMNS``) and ``{"image", "key_bytes", "recovered_bytes",
    "recovered_equal", "visible_in_final", "bases"}``: the key's bytes read back from its layer."""
    key = fake_private_key()
    with tempfile.TemporaryDirectory(prefix="dockopt-pitfall-") as tmp:
        ctx = Path(tmp)
        (ctx / "id_deploy").write_bytes(key)
        (ctx / "Dockerfile").write_text(_DELETED_SECRET_DOCKERFILE, encoding="utf-8")
        result = _build(ctx, ctx / "Dockerfile", "deleted-secret")
    report = analyze_report(result.image_id, build=result)
    found = report.secrets
    path = "/root/.ssh/id_deploy"
    recovered = [data for (layer, p), data in report.contents.contents.items() if p == path]
    visible = bool(((report.contents.files["path"] == path) & report.contents.files["visible"]).any())
    return found, {"image": result.ref, "key_bytes": len(key), "recovered_bytes": len(recovered[0]) if recovered else 0,
                   "recovered_equal": bool(recovered) and recovered[0] == key, "visible_in_final": visible,
                   "bases": ", ".join(result.base_images)}


# --- a base tag that moves --------------------------------------------------------------------------------------

def moving_latest(base: str = "busybox:1.35") -> pd.DataFrame:
    """Each row is one app build, before and after its base moves: a local base is built as ``v1`` under
    both ``<namespace>/pitfall-base:latest`` and ``:1``, an app is built ``FROM`` each tag; then ``v2``
    is built under ``:latest`` only (what a registry's ``latest`` does between two CI runs) and both apps
    are rebuilt from the same Dockerfiles. Columns: ``reference`` (``latest`` / ``pinned``), ``from``,
    ``image_before``, ``image_after``, ``changed`` (the same Dockerfile gave another image),
    ``base_version_after`` (the ``/base-version`` the rebuilt app ships), ``bases``."""
    repo = f"{naming.namespace()}/pitfall-base"
    labels = naming.image_labels("experiment", **{naming.LABEL_SAMPLE: "pitfalls"})
    with tempfile.TemporaryDirectory(prefix="dockopt-pitfall-") as tmp:
        ctx = Path(tmp)
        (ctx / "Dockerfile.base").write_text(f"FROM {base}\nCOPY base-version /base-version\n", encoding="utf-8")
        for name, tag in (("latest", "latest"), ("pinned", "1")):
            (ctx / f"Dockerfile.{name}").write_text(
                f"FROM {repo}:{tag}\nCOPY app.txt /app.txt\nCMD [\"cat\", \"/base-version\", \"/app.txt\"]\n",
                encoding="utf-8")
        (ctx / "app.txt").write_text("the same app, byte for byte\n", encoding="utf-8")

        def base_version(version: str, tags: tuple[str, ...]) -> None:
            (ctx / "base-version").write_text(version + "\n", encoding="utf-8")
            built = build(ctx, ctx / "Dockerfile.base", tag=f"{repo}:{tags[0]}", labels=labels, progress=False)
            for extra in tags[1:]:
                engine.tag_image(built.image_id, f"{repo}:{extra}")

        base_version("v1", ("latest", "1"))
        before = {name: _build(ctx, ctx / f"Dockerfile.{name}", f"app-{name}") for name in ("latest", "pinned")}
        base_version("v2", ("latest",))
        after = {name: _build(ctx, ctx / f"Dockerfile.{name}", f"app-{name}") for name in ("latest", "pinned")}
    rows = []
    for name, tag in (("latest", "latest"), ("pinned", "1")):
        _, shipped = engine.run_output(after[name].image_id, ["cat", "/base-version"])
        rows.append({"reference": name, "from": f"{repo}:{tag}", "image_before": before[name].image_id,
                     "image_after": after[name].image_id,
                     "changed": before[name].image_id != after[name].image_id,
                     "base_version_after": shipped.strip(), "bases": base})
    return pd.DataFrame(rows)


# --- running, not healthy ---------------------------------------------------------------------------------------

_SILENT = """\
FROM {base}
# the app's process stays up, but nothing listens on its port: it is broken
CMD ["sleep", "3600"]
"""
_CHECKED = _SILENT + """\
HEALTHCHECK --interval=1s --timeout=1s --start-period=1s --retries=2 \\
  CMD wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1
"""


def silent_unhealthy(base: str = "busybox:1.35", *, watch_s: float = 6.0, every_s: float = 1.0) -> pd.DataFrame:
    """Each row is one look at a broken container (its process runs, nothing answers on its port),
    with and without a ``HEALTHCHECK``: ``variant``, ``t_s`` (seconds since start), ``status`` (what
    ``docker ps`` says: running / exited), ``health`` (the engine's health status, None without a
    check), ``image``, ``bases``. Both containers are removed afterwards."""
    import time

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="dockopt-pitfall-") as tmp:
        ctx = Path(tmp)
        for variant, text in (("no HEALTHCHECK", _SILENT), ("HEALTHCHECK", _CHECKED)):
            name = "no-healthcheck" if variant == "no HEALTHCHECK" else "healthcheck"
            (ctx / f"{name}.Dockerfile").write_text(text.format(base=base), encoding="utf-8")
            result = _build(ctx, ctx / f"{name}.Dockerfile", f"silent-{name}")
            with engine.running(result.image_id) as c:
                t0 = time.monotonic()
                while (t := time.monotonic() - t0) <= watch_s:
                    state = engine.container_state(c.id)
                    rows.append({"variant": variant, "t_s": round(t, 1), "status": state.get("Status"),
                                 "health": (state.get("Health") or {}).get("Status"), "image": result.image_id,
                                 "bases": base})
                    time.sleep(every_s)
    return pd.DataFrame(rows, columns=["variant", "t_s", "status", "health", "image", "bases"])
