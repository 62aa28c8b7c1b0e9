"""The fleet's questions as group-bys over the audit's tables (``images``, ``layers``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _analysed(images: pd.DataFrame) -> pd.DataFrame:
    return images[images["error"].isna() & images["digest"].notna()]


def offenders(images: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """Each row is one distinct image (digest) among the ``top`` by reclaimable bytes, with every
    tag that points at it and the fix dockopt suggests first."""
    ok = _analysed(images)
    named = ok.assign(name=ok["repository"] + ":" + ok["tag"])
    tags = named.groupby("digest")["name"].agg(lambda s: ", ".join(sorted(s)))
    first = ok.drop_duplicates("digest").set_index("digest")
    out = first.assign(tags=tags).reset_index()
    out = out[out["reclaimable_bytes"].fillna(0) > 0]
    cols = ["repository", "tags", "digest", "size_bytes", "reclaimable_bytes", "wasted_bytes", "efficiency",
            "waste_instruction", "waste_instruction_bytes", "top_rule", "top_fix"]
    return out.sort_values(["reclaimable_bytes", "repository"], ascending=[False, True]).head(top)[cols].reset_index(
        drop=True)


def risky(images: pd.DataFrame) -> pd.DataFrame:
    """Each row is one (repository, tag) whose image runs as root or carries secrets."""
    ok = _analysed(images)
    hit = ok[ok["runs_as_root"].fillna(False).astype(bool) | (ok["secrets_count"].fillna(0) > 0)]
    return hit[["repository", "tag", "digest", "runs_as_root", "user", "secrets_count", "has_shell"]].reset_index(
        drop=True)


def base_families(images: pd.DataFrame) -> pd.DataFrame:
    """Each row is one base family and version: how many distinct images and repositories use it,
    and the oldest base among them (``base_age_days``: days since the base's first layer was built)."""
    ok = _analysed(images).drop_duplicates("digest")
    ok = ok.assign(base_family=ok["base_family"].fillna("(none: scratch or unknown)"),
                   base_version=ok["base_version"].fillna(""))
    return (ok.groupby(["base_family", "base_version"], dropna=False)
            .agg(images=("digest", "nunique"), repositories=("repository", "nunique"),
                 oldest_base_age_days=("base_age_days", "max"))
            .reset_index().sort_values(["images", "base_family"], ascending=[False, True]).reset_index(drop=True))


def shared_layers(images: pd.DataFrame, layers: pd.DataFrame) -> pd.DataFrame:
    """Each row is one layer blob used by more than one repository: ``repositories``, ``images``,
    ``compressed_bytes`` (once), ``saved_bytes`` (what storing it once saves: bytes × (images − 1))."""
    import pandas as pd

    repo_of = _analysed(images).drop_duplicates("digest")[["digest", "repository"]]
    joined = layers.merge(repo_of, on="digest", how="inner")
    if joined.empty:
        return pd.DataFrame(columns=["layer_digest", "repositories", "images", "compressed_bytes", "size_bytes",
                                     "saved_bytes", "instruction"])
    g = joined.groupby("layer_digest").agg(repositories=("repository", "nunique"), images=("digest", "nunique"),
                                          compressed_bytes=("compressed_bytes", "first"),
                                          size_bytes=("size_bytes", "first"), instruction=("instruction", "first"))
    g = g[g["repositories"] > 1].reset_index()
    g["saved_bytes"] = g["compressed_bytes"] * (g["images"] - 1)
    return g.sort_values(["saved_bytes", "layer_digest"], ascending=[False, True]).reset_index(drop=True)[
        ["layer_digest", "repositories", "images", "compressed_bytes", "size_bytes", "saved_bytes", "instruction"]]


def summary(images: pd.DataFrame, layers: pd.DataFrame) -> dict[str, int]:
    """The fleet in a few numbers: tags, distinct images, failures, bytes stored and reclaimable."""
    ok = _analysed(images).drop_duplicates("digest")
    unique_layers = layers.drop_duplicates("layer_digest")
    return {"tags": int(len(images)), "images": int(images["digest"].nunique()),
            "failed": int(images["error"].notna().sum()),
            "repositories": int(images["repository"].nunique()),
            "compressed_bytes_listed": int(ok["compressed_bytes"].fillna(0).sum()),
            "compressed_bytes_stored": int(unique_layers["compressed_bytes"].fillna(0).sum()),
            "reclaimable_bytes": int(ok["reclaimable_bytes"].fillna(0).sum()),
            "runs_as_root": int(ok["runs_as_root"].fillna(False).astype(bool).sum()),
            "with_secrets": int((ok["secrets_count"].fillna(0) > 0).sum())}
