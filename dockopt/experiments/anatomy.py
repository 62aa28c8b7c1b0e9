"""The anatomy of a build (guide chapter 03): what a layer costs, and what a build stage holds.

- ``layer_costs``: the same work as N ``RUN`` lines, as one ``RUN``, and as one ``RUN`` followed by N
  ``ENV`` and N ``LABEL`` lines, built on a tiny busybox context; layers, bytes (engine and gzip) and
  config bytes of each image, measured.
- ``layer_cost_dockerfiles``: the three Dockerfiles ``layer_costs`` builds, as text.
- ``stage_extras``: what an intermediate stage's image holds under a folder (listed by a command run
  inside it) and whether the final image has each entry.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd

from .. import engine, naming
from ..build import build
from ..image import read_image
from ..image.compressed import compressed_layers

LAYER_VARIANTS = ("many-runs", "one-run", "metadata")
LAYER_COST_COLUMNS = ["variant", "instructions", "run_instructions", "metadata_instructions", "layers",
                      "added_layers", "history_entries", "size_bytes", "added_bytes", "added_tar_bytes",
                      "added_compressed_bytes",
                      "config_bytes", "image", "bases"]
TINY_BASE = "busybox:1.35"


def layer_cost_dockerfiles(steps: int = 5, kib: int = 64, base: str = TINY_BASE) -> dict[str, str]:
    """Variant -> Dockerfile text. Every variant writes ``steps`` files of ``kib`` KiB of random bytes
    under ``/data``: ``many-runs`` one ``RUN`` per file, ``one-run`` all in one ``RUN``, ``metadata``
    that same ``RUN`` then ``steps`` ``ENV`` and ``steps`` ``LABEL`` lines (after the ``RUN``, so its
    layer is the cached ``one-run`` layer and only the metadata differs)."""
    if steps < 1 or kib < 1:
        raise ValueError("steps and kib must be at least 1")
    write = [f"head -c {kib * 1024} /dev/urandom > /data/part-{i}" for i in range(1, steps + 1)]
    one_run = "RUN mkdir -p /data \\\n && " + " \\\n && ".join(write) + "\n"
    head = f"FROM {base}\n"
    return {
        "many-runs": head + "".join(f"RUN mkdir -p /data && {w}\n" for w in write),
        "one-run": head + one_run,
        "metadata": head + one_run
        + "".join(f"ENV ANATOMY_STEP_{i}=value-{i}\n" for i in range(1, steps + 1))
        + "".join(f'LABEL io.dockopt.anatomy.step-{i}="value {i}"\n' for i in range(1, steps + 1)),
    }


def _count(text: str, keywords: tuple[str, ...]) -> int:
    return sum(1 for line in text.splitlines() if line.split(" ", 1)[0].upper() in keywords)


def layer_costs(directory: str | Path | None = None, *, steps: int = 5, kib: int = 64,
                base: str = TINY_BASE) -> pd.DataFrame:
    """Each row is one variant of ``layer_cost_dockerfiles`` built and measured.

    Columns: ``variant``, ``instructions`` (after ``FROM``), ``run_instructions``, ``metadata_instructions``
    (``ENV``/``LABEL``), ``layers`` (filesystem layers of the image), ``added_layers`` (over the base),
    ``history_entries`` (``docker history`` rows, metadata included), ``size_bytes`` (the engine's size),
    ``added_bytes`` (over the base: file bytes), ``added_tar_bytes`` (the added layers as tar archives, headers
    included, as ``docker save`` writes them), ``added_compressed_bytes`` (the added layers gzip-compressed, as a
    registry stores them), ``config_bytes`` (the image config JSON, compact), ``image`` (the tag),
    ``bases`` (the base image).
    The Dockerfiles are written to ``directory`` (a temporary folder when None): the context holds
    nothing else. Images are tagged ``<namespace>/anatomy:<variant>``.
    """
    base_info = engine.inspect_image(base)
    texts = layer_cost_dockerfiles(steps, kib, base)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dockopt-anatomy-") as tmp:
        root = Path(directory) if directory is not None else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        for variant, text in texts.items():
            dockerfile = root / f"{variant}.Dockerfile"
            dockerfile.write_text(text, encoding="utf-8")
            result = build(root, dockerfile, tag=f"{naming.namespace()}/anatomy:{variant}", progress=False,
                           labels=naming.image_labels("experiment", **{naming.LABEL_SAMPLE: "anatomy"}))
            info = engine.inspect_image(result.image_id)
            config = read_image(result.image_id).config
            packed = compressed_layers(result.image_id)
            added = len(info.layers) - len(base_info.layers)
            rows.append({
                "variant": variant, "instructions": len(result.parsed.stages[-1].instructions) - 1,
                "run_instructions": _count(text, ("RUN",)), "metadata_instructions": _count(text, ("ENV", "LABEL")),
                "layers": len(info.layers), "added_layers": added,
                "history_entries": len(engine.image_history(result.image_id)),
                "size_bytes": info.size_bytes, "added_bytes": info.size_bytes - base_info.size_bytes,
                "added_tar_bytes": sum(packed.layer_bytes[len(base_info.layers):]),
                "added_compressed_bytes": sum(packed.compressed_bytes[len(base_info.layers):]),
                "config_bytes": len(json.dumps(config, separators=(",", ":"))),
                "image": result.ref, "bases": base,
            })
    return pd.DataFrame(rows, columns=LAYER_COST_COLUMNS)


def parse_file_sizes(output: str, path: str) -> dict[str, int]:
    """Top-level entry under ``path`` -> bytes of the files below it, from ``find <path> -type f -printf
    '%s\\t%p\\n'`` output (``<bytes>\\t<path>/<entry>[/...]`` lines); other lines (warnings) are skipped."""
    prefix = path.rstrip("/") + "/"
    sizes: dict[str, int] = {}
    for line in output.splitlines():
        size, _, name = line.partition("\t")
        if size.strip().isdigit() and name.startswith(prefix):
            entry = name[len(prefix):].split("/", 1)[0]
            sizes[entry] = sizes.get(entry, 0) + int(size)
    return sizes


def stage_extras(stage_image: str, final_image: str, path: str = "/app") -> pd.DataFrame:
    """Each row is one entry directly under ``path`` in ``stage_image``, its files listed by GNU ``find``
    run inside it with ``engine.run_output`` (so the stage image needs ``find``, as Debian-based ones have).

    Columns: ``entry``, ``size_bytes`` (its files' bytes in the stage image), ``in_final`` (the final
    image has ``path/entry``; read from its layers, so a final image without a shell works),
    ``final_size_bytes`` (its files' bytes there; 0 when absent).
    """
    folder = path.rstrip("/")
    _, output = engine.run_output(stage_image, ["find", folder, "-type", "f", "-printf", "%s\\t%p\\n"],
                                  entrypoint=[])
    sizes = parse_file_sizes(output, folder)
    files = read_image(final_image).files
    files = files[files["visible"]]
    prefix = folder + "/"
    rows = []
    for entry, size in sorted(sizes.items()):
        here = files[(files["path"] == prefix + entry) | files["path"].str.startswith(prefix + entry + "/")]
        rows.append({"entry": entry, "size_bytes": size, "in_final": not here.empty,
                     "final_size_bytes": int(here.loc[here["kind"] == "file", "size_bytes"].sum())})
    return pd.DataFrame(rows, columns=["entry", "size_bytes", "in_final", "final_size_bytes"])
