"""Precision and recall of the secrets scan on a planted corpus and on every sample image.

    .venv/bin/python benchmarks/secrets_precision.py [--keep] [--build-samples] [--baseline REV] [--seed 13]

Builds the corpus images of ``tests/fixtures/secrets/corpus.py`` (a Python image with boto3,
botocore, Flask, Django, requests and cryptography; a Node image with express, aws-sdk,
jsonwebtoken, dotenv, stripe and the Slack SDK; each with fake secrets planted in files, some
deleted in a later layer, in ``ENV`` and in build arguments), tagged ``dockopt-secrets-bench/...``.
Sample images ``dockopt-sample/*`` found locally join the corpus with no planted secret (every
finding there is a false positive); ``--build-samples`` builds each sample's naive and optimised
image under ``dockopt-secrets-bench/sample-*`` first.

Each image is read once. The same captured files are then scanned by each contender and timed
(scan only, not the image read):

- ``dockopt``: ``dockopt.secrets.find`` as ``dockopt analyze`` runs it;
- ``detect-secrets``: Yelp's detect-secrets (default plugins and filters) over the files dockopt's
  context rules select, plus the image's Env and history as one text file each - only when the
  package is installed (``pip install detect-secrets``);
- ``baseline``: with ``--baseline REV``, ``dockopt/secrets.py`` as it was at git revision REV,
  over what that version captured.

A finding is a true positive when its location (path, or ``(config) Env NAME`` / ``(history) ARG
NAME``) and value (redacted preview; detect-secrets' raw value) are a planted secret's; anything
else is a false positive. Prints per image and in total: planted, TP, FP, FN, precision, recall,
scan seconds. Exits 1 when dockopt misses the goal (recall 100 %, precision >= 95 %). Images this
script built are removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "fixtures" / "secrets"))
sys.path.insert(0, str(REPO))

import corpus  # noqa: E402
import pandas as pd  # noqa: E402

from dockopt import engine, proc, samples, sbom, secrets  # noqa: E402
from dockopt.image import ImageContents, read_image  # noqa: E402
from dockopt.units import human_bytes, human_percent, human_seconds  # noqa: E402

GOAL_RECALL, GOAL_PRECISION = 1.0, 0.95


@dataclass
class Score:
    planted: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    seconds: float = 0.0
    false_positives: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.planted += other.planted
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.seconds += other.seconds

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return (self.planted - self.fn) / self.planted if self.planted else 1.0


def _matches(preview: str, value: str) -> bool:
    """A redacted preview stands for ``value``: today's redaction, or (baseline) the same first characters."""
    if preview == secrets.redact(value):
        return True
    if value.lstrip().startswith("-----BEGIN"):
        return preview.startswith(value.strip().splitlines()[0])
    return len(value) > 8 and preview.startswith(value[:4] + "…")


def score_findings(found: pd.DataFrame, planted: Iterable[corpus.Planted]) -> Score:
    planted = list(planted)
    s = Score(planted=len(planted))
    hit: set[int] = set()
    for row in found.itertuples(index=False):
        idx = next((i for i, p in enumerate(planted) if p.where == row.path and _matches(row.preview, p.value)), None)
        if idx is None:
            s.fp += 1
            s.false_positives.append(f"layer {row.layer}  {row.path}  {row.rule}  {row.preview}")
        else:
            s.tp += 1
            hit.add(idx)
    s.fn = len(planted) - len(hit)
    s.missed = [f"{p.where}  ({p.shape})" for i, p in enumerate(planted) if i not in hit]
    return s


# --- contenders -------------------------------------------------------------------------------------


def _fits(policy: Callable[[str, int, int], int], path: str, data: bytes) -> bool:
    want = policy(path, len(data), 0o644)
    return want > 0 and len(data) <= want


def _product_capture(path: str, size: int, mode: int) -> int:
    return max(secrets.capture_policy(path, size, mode), sbom.capture_policy(path, size, mode))


def run_dockopt(c: ImageContents, planted: list[corpus.Planted]) -> Score:
    contents = {k: v for k, v in c.contents.items() if _fits(_product_capture, k[1], v)}
    t = time.perf_counter()
    found = secrets.find(c.files, contents, c.layers, config=c.config)
    elapsed = time.perf_counter() - t
    s = score_findings(found, planted)
    s.seconds = elapsed
    return s


def load_baseline(rev: str) -> types.ModuleType:
    """``dockopt/secrets.py`` at git revision ``rev``, as a module."""
    git = proc.require("git", install_hint="apt-get install git")
    source = proc.run([git, "-C", str(REPO), "show", f"{rev}:dockopt/secrets.py"]).stdout
    module = types.ModuleType(f"dockopt_secrets_at_{rev}")
    sys.modules[module.__name__] = module  # dataclasses look their module up there
    exec(compile(source, f"{rev}:dockopt/secrets.py", "exec"), module.__dict__)  # noqa: S102 - our own history
    return module


def run_baseline(old: types.ModuleType, c: ImageContents, planted: list[corpus.Planted]) -> Score:
    def policy(path: str, size: int, mode: int) -> int:
        return max(old.capture_policy(path, size, mode), sbom.capture_policy(path, size, mode))

    contents = {k: v for k, v in c.contents.items() if _fits(policy, k[1], v)}
    t = time.perf_counter()
    found = old.find(c.files, contents, c.layers)
    elapsed = time.perf_counter() - t
    s = score_findings(found, planted)
    s.seconds = elapsed
    return s


def detect_secrets_available() -> bool:
    return importlib.util.find_spec("detect_secrets") is not None


def run_detect_secrets(c: ImageContents, planted: list[corpus.Planted], tmp: Path) -> Score:
    """detect-secrets over the files dockopt's context rules select, and the config as text."""
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    files: dict[Path, str] = {}  # file on disk -> location label
    for n, ((_layer, path), data) in enumerate(sorted(c.contents.items())):
        if not _fits(secrets.capture_policy, path, data):
            continue
        # Keep the base name: detect-secrets decides by it too (.env, .npmrc, *.json, *.yaml).
        where = tmp / f"{n:06d}" / path.lstrip("/")
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_bytes(data)
        files[where] = path
    env = [str(e) for e in (c.image_config.get("Env") or [])]
    history = [str(h.get("created_by") or "") for h in c.history]
    (tmp / "config-env.env").write_text("\n".join(env) + "\n")
    (tmp / "history.txt").write_text("\n".join(history) + "\n")
    files[tmp / "config-env.env"] = "(metadata)"
    files[tmp / "history.txt"] = "(metadata)"
    results: list[tuple[str, str]] = []
    t = time.perf_counter()
    with default_settings():
        for f, label in files.items():
            for found in scan_file(str(f)):
                results.append((label, found.secret_value or ""))
    elapsed = time.perf_counter() - t
    s = Score(planted=len(planted), seconds=elapsed)
    hit: set[int] = set()
    for label, value in dict.fromkeys(results):
        def same(p: corpus.Planted, label: str = label, value: str = value) -> bool:
            where_ok = p.where == label or (label == "(metadata)" and p.where.startswith("("))
            # detect-secrets reports part of some values ("ghp", "glpat", a PEM header line) or a
            # line around them ("AccountKey=..."): either containment counts as finding that secret.
            return where_ok and len(value) >= 3 and (value in p.value or p.value in value)
        idx = next((i for i, p in enumerate(planted) if same(p)), None)
        if idx is None:
            s.fp += 1
            s.false_positives.append(f"{label}  {secrets.redact(value)}")
        else:
            s.tp += 1
            hit.add(idx)
    s.fn = len(planted) - len(hit)
    s.missed = [f"{p.where}  ({p.shape})" for i, p in enumerate(planted) if i not in hit]
    return s


# --- images ------------------------------------------------------------------------------------------


def build_samples() -> list[str]:
    """Each sample's naive and default optimised image, tagged under the corpus prefix."""
    tags = []
    for s in samples.all_samples():
        for b in s.builds():
            if not b.buildable or b.variant not in ("naive", "optimised") or b.base not in (None, s.default_base):
                continue
            tag = f"{corpus.PREFIX}sample-{s.name}:{b.label}"
            t = time.perf_counter()
            samples.build_sample(s, b.variant, b.base, target=b.target, tag=tag, progress=False)
            print(f"built {tag} in {human_seconds(time.perf_counter() - t)}", flush=True)
            tags.append(tag)
    return tags


def local_samples() -> list[str]:
    return sorted({ref for img in engine.list_images(name=samples.IMAGE_REPO + "/*")
                   for ref in img.get("RepoTags") or [] if ref.startswith(samples.IMAGE_REPO + "/")})


def _capture_for(baseline: types.ModuleType | None) -> Callable[[str, int, int], int]:
    def capture(path: str, size: int, mode: int) -> int:
        want = _product_capture(path, size, mode)
        if baseline is not None:
            want = max(want, baseline.capture_policy(path, size, mode))
        return want
    return capture


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", action="store_true", help="keep the images this script built")
    ap.add_argument("--build-samples", action="store_true", help="build every sample's naive and optimised image")
    ap.add_argument("--baseline", metavar="REV", help="also score dockopt/secrets.py as of git revision REV")
    ap.add_argument("--seed", type=int, default=13, help="seed of the planted secrets")
    ap.add_argument("--show", type=int, default=10, help="false positives / misses listed per image and contender")
    args = ap.parse_args(argv)

    baseline = load_baseline(args.baseline) if args.baseline else None
    with_ds = detect_secrets_available()
    built: list[str] = []
    images: list[tuple[str, list[corpus.Planted]]] = []
    try:
        for recipe in corpus.recipes(args.seed):
            t = time.perf_counter()
            corpus.build(recipe)
            built.append(recipe.tag)
            print(f"built {recipe.tag} in {human_seconds(time.perf_counter() - t)}", flush=True)
            images.append((recipe.tag, list(recipe.planted)))
        if args.build_samples:
            sample_tags = build_samples()
            built.extend(sample_tags)
        else:
            sample_tags = local_samples()
        images.extend((tag, []) for tag in sample_tags)

        contenders = ["dockopt"] + (["detect-secrets"] if with_ds else []) + (["baseline"] if baseline else [])
        totals = {name: Score() for name in contenders}
        rows = []
        for tag, planted in images:
            t = time.perf_counter()
            c = read_image(tag, capture=_capture_for(baseline))
            read_s = time.perf_counter() - t
            scores: dict[str, Score] = {"dockopt": run_dockopt(c, planted)}
            if with_ds:
                with tempfile.TemporaryDirectory(prefix="dockopt-secrets-ds-") as tmp:
                    scores["detect-secrets"] = run_detect_secrets(c, planted, Path(tmp))
            if baseline is not None:
                scores["baseline"] = run_baseline(baseline, c, planted)
            scanned = sum(1 for (_, p), v in c.contents.items() if _fits(secrets.capture_policy, p, v))
            scanned_bytes = sum(len(v) for (_, p), v in c.contents.items() if _fits(secrets.capture_policy, p, v))
            for name, s in scores.items():
                totals[name].add(s)
                rows.append({"image": tag.removeprefix(corpus.PREFIX), "scanner": name, "planted": s.planted,
                             "TP": s.tp, "FP": s.fp, "FN": s.fn, "precision": human_percent(s.precision),
                             "recall": human_percent(s.recall), "scan": human_seconds(s.seconds)})
                for line in s.false_positives[:args.show]:
                    print(f"  FP {name:<14} {tag}: {line}")
                if len(s.false_positives) > args.show:
                    print(f"  FP {name:<14} {tag}: ... {len(s.false_positives) - args.show} more")
                for line in s.missed[:args.show]:
                    print(f"  FN {name:<14} {tag}: {line}")
            print(f"read {tag} in {human_seconds(read_s)}: {scanned} files ({human_bytes(scanned_bytes)}) "
                  "selected for the secrets scan", flush=True)
        for name, s in totals.items():
            rows.append({"image": "TOTAL", "scanner": name, "planted": s.planted, "TP": s.tp, "FP": s.fp, "FN": s.fn,
                         "precision": human_percent(s.precision), "recall": human_percent(s.recall),
                         "scan": human_seconds(s.seconds)})
        print()
        print(pd.DataFrame(rows).to_string(index=False))
        print()
        if not with_ds:
            print("detect-secrets is not installed: its column is missing (pip install detect-secrets to compare)")
        ours = totals["dockopt"]
        ok = ours.recall >= GOAL_RECALL and ours.precision >= GOAL_PRECISION
        print(f"dockopt: precision {human_percent(ours.precision)} (goal >= {human_percent(GOAL_PRECISION)}), "
              f"recall {human_percent(ours.recall)} (goal {human_percent(GOAL_RECALL)}), "
              f"scan {human_seconds(ours.seconds)} -> {'goal met' if ok else 'GOAL MISSED'}")
        for name in contenders[1:]:
            other = totals[name]
            ratio = other.seconds / ours.seconds if ours.seconds else float("nan")
            print(f"{name}: precision {human_percent(other.precision)}, recall {human_percent(other.recall)}, "
                  f"scan {human_seconds(other.seconds)} ({ratio:.1f}x dockopt's time)")
        import record

        record.write("secrets_precision",
                     [{"scanner": name, "planted": s.planted, "true_positives": s.tp, "false_positives": s.fp,
                       "missed": s.fn, "precision_pct": s.precision * 100, "recall_pct": s.recall * 100,
                       "scan_s": s.seconds} for name, s in totals.items()],
                     notes=[f"{sum(1 for r in rows if r['image'] != 'TOTAL') // max(len(totals), 1)} images; goal: "
                            f"recall {human_percent(GOAL_RECALL)}, precision >= {human_percent(GOAL_PRECISION)}: "
                            f"{'met' if ok else 'MISSED'}"])
        return 0 if ok else 1
    finally:
        if not args.keep:
            for tag in built:
                corpus.remove(tag)


if __name__ == "__main__":
    raise SystemExit(main())
