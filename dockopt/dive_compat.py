"""dive interop: its ``--json`` export schema and its ``--ci`` rules, plus dockopt's own CI rules.

``dive_export`` writes what ``dive IMAGE --json FILE`` writes (dive 0.13: ``layer[].fileList[]``,
``image.sizeBytes / inefficientBytes / efficiencyScore / fileReference``), so tools that read
dive's JSON read dockopt's. ``evaluate_ci`` applies dive's rules with dive's defaults and its
``.dive-ci`` file, and dockopt's rules (``highestImageSize``, ``noSecrets``, ``nonRoot``) read
from the same ``rules:`` section; ``junit_xml`` renders the result for CI systems.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from .analysis import DiveMetrics, dive_metrics
from .errors import AnalysisError
from .image import KINDS, ImageContents

# Go's os.FileMode bits, as dive's JSON stores ``fileMode``.
_GO_DIR = 1 << 31
_GO_SYMLINK = 1 << 27
_GO_DEVICE = 1 << 26
_GO_PIPE = 1 << 25
_GO_SETUID = 1 << 23
_GO_SETGID = 1 << 22
_GO_CHARDEV = 1 << 21
_GO_STICKY = 1 << 20
_TYPEFLAG = {"file": 48, "hardlink": 49, "symlink": 50, "char": 51, "block": 52, "dir": 53, "fifo": 54,
             "whiteout": 48, "other": 48}


def go_file_mode(kind: str, mode: int) -> int:
    """Go's ``tar.Header.FileInfo().Mode()`` for an entry of ``kind`` with permission ``mode``."""
    m = mode & 0o777
    if mode & 0o4000:
        m |= _GO_SETUID
    if mode & 0o2000:
        m |= _GO_SETGID
    if mode & 0o1000:
        m |= _GO_STICKY
    m |= {"dir": _GO_DIR, "symlink": _GO_SYMLINK, "char": _GO_DEVICE | _GO_CHARDEV, "block": _GO_DEVICE,
          "fifo": _GO_PIPE}.get(kind, 0)
    return m


_INFO_KEYS = ("path", "typeFlag", "linkName", "size", "fileMode", "uid", "gid", "isDir")
_EMPTY_INFO = ("", 0, "", 0, 0, 0, 0, False)  # an intermediate node without a tar entry of its own


def _go_modes(kind_codes: np.ndarray, mode: np.ndarray) -> np.ndarray:
    """``go_file_mode`` for whole columns at once."""
    m = mode & 0o777
    m = m | np.where(mode & 0o4000, _GO_SETUID, 0) | np.where(mode & 0o2000, _GO_SETGID, 0) \
        | np.where(mode & 0o1000, _GO_STICKY, 0)
    type_bits = np.array([{"dir": _GO_DIR, "symlink": _GO_SYMLINK, "char": _GO_DEVICE | _GO_CHARDEV,
                           "block": _GO_DEVICE, "fifo": _GO_PIPE}.get(k, 0) for k in KINDS], dtype=np.int64)
    return m | type_bits[kind_codes]


def _file_infos(rows: pd.DataFrame) -> list[tuple]:
    """One layer's tree as dive exports it: every node, children first, names in sorted order.

    Each item is a tuple in ``_INFO_KEYS`` order (dicts only when a caller asks, to keep memory low).
    """
    codes = rows["kind"].cat.codes.to_numpy().astype(np.int64)
    whiteout, directory = KINDS.index("whiteout"), KINDS.index("dir")
    paths = [p[1:] for p in rows["path"].tolist()]
    links = rows["link_target"].tolist()
    for i in np.flatnonzero(codes == whiteout).tolist():
        head, _, tail = paths[i].rpartition("/")
        paths[i] = f"{head}/.wh.{tail}" if head else f".wh.{tail}"
    flags = np.array([_TYPEFLAG.get(k, 48) for k in KINDS], dtype=np.int64)[codes].tolist()
    modes = _go_modes(codes, rows["mode"].to_numpy().astype(np.int64)).tolist()
    infos: dict[str, tuple] = {p: t for p, t in zip(paths, zip(
        paths, flags, links, rows["size_bytes"].tolist(), modes, rows["uid"].tolist(), rows["gid"].tolist(),
        (codes == directory).tolist()))}
    for p in list(infos):
        parent = p.rpartition("/")[0]
        while parent and parent not in infos:
            infos[parent] = _EMPTY_INFO
            parent = parent.rpartition("/")[0]
    # "\0" sorts below every character a name can hold, so this is component-wise order.
    keys = sorted(infos, key=lambda p: p.replace("/", "\0"))
    ordered: list[tuple] = []
    stack: list[str] = []
    for k in keys:
        while stack and not k.startswith(stack[-1] + "/"):
            ordered.append(infos[stack.pop()])
        stack.append(k)
    ordered.extend(infos[k] for k in reversed(stack))
    return ordered


def _layer_docs(image: ImageContents) -> Iterator[tuple[dict[str, Any], list[tuple]]]:
    history = image.history
    by_layer = {k: v for k, v in image.files.groupby("layer", sort=True)}
    for row in image.layers.itertuples(index=False):
        hi = row.history_index
        created_by = history[int(hi)].get("created_by", "") if hi is not None and not pd.isna(hi) else "(missing)"
        rows = by_layer.get(row.layer)
        head = {"index": int(row.layer), "id": str(row.tar_path).split("/")[0], "digestId": row.digest or "",
                "sizeBytes": int(row.size_bytes), "command": created_by.removeprefix("/bin/sh -c ")}
        yield head, (_file_infos(rows) if rows is not None else [])


def _image_doc(m: DiveMetrics) -> dict[str, Any]:
    return {"sizeBytes": m.size_bytes, "inefficientBytes": m.wasted_bytes, "efficiencyScore": m.efficiency,
            "fileReference": [{"count": int(c), "sizeBytes": int(s), "file": p}
                              for p, c, s in zip(m.inefficient["path"], m.inefficient["count"],
                                                 m.inefficient["size_bytes"])]}


def dive_export(image: ImageContents, metrics: DiveMetrics | None = None) -> dict[str, Any]:
    """The document ``dive IMAGE --json FILE`` writes for this image."""
    m = metrics or dive_metrics(image.files, image.layers["size_bytes"].tolist())
    layers = [{**head, "fileList": [dict(zip(_INFO_KEYS, info)) for info in infos]}
              for head, infos in _layer_docs(image)]
    return {"layer": layers, "image": _image_doc(m)}


def write_dive_json(image: ImageContents, path: str | os.PathLike[str], metrics: DiveMetrics | None = None) -> Path:
    """Write ``dive_export`` to ``path`` as dive indents it, streaming (no whole document in memory)."""
    m = metrics or dive_metrics(image.files, image.layers["size_bytes"].tolist())
    dumps = json.dumps
    out = Path(path)
    with out.open("w", encoding="utf-8") as f:
        f.write('{\n  "layer": [')
        for n, (head, infos) in enumerate(_layer_docs(image)):
            f.write(",\n    {\n" if n else "\n    {\n")
            for key, value in head.items():
                f.write(f'      {dumps(key)}: {dumps(value)},\n')
            if not infos:
                f.write('      "fileList": []\n    }')
                continue
            f.write('      "fileList": [\n')
            # Written in slices: one layer's list can hold 100k+ entries.
            for start in range(0, len(infos), 2000):
                if start:
                    f.write(",\n")
                f.write(",\n".join(
                    f'        {{\n          "path": {dumps(p)},\n          "typeFlag": {t},\n'
                    f'          "linkName": {dumps(ln)},\n          "size": {s},\n          "fileMode": {fm},\n'
                    f'          "uid": {u},\n          "gid": {g},\n          "isDir": {"true" if d else "false"}\n'
                    '        }'
                    for p, t, ln, s, fm, u, g, d in infos[start:start + 2000]))
            f.write("\n      ]\n    }")
        f.write("\n  ],\n  \"image\": ")
        f.write(dumps(_image_doc(m), indent=2).replace("\n", "\n  "))
        f.write("\n}")
    return out


# --- CI rules -------------------------------------------------------------------------------

DIVE_DEFAULTS: Mapping[str, str] = {
    "lowestEfficiency": "0.9",
    "highestWastedBytes": "disabled",
    "highestUserWastedPercent": "0.1",
}
DOCKOPT_DEFAULTS: Mapping[str, str] = {
    "highestImageSize": "disabled",   # e.g. "200MB"
    "noSecrets": "true",              # a secret in any layer ships with the image
    "nonRoot": "disabled",            # "true": the image must not run as root
}

_BYTES_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "ki": 1024, "kib": 1024, "m": 1000**2, "mb": 1000**2,
                "mi": 1024**2, "mib": 1024**2, "g": 1000**3, "gb": 1000**3, "gi": 1024**3, "gib": 1024**3,
                "t": 1000**4, "tb": 1000**4, "ti": 1024**4, "tib": 1024**4, "p": 1000**5, "pb": 1000**5,
                "pi": 1024**5, "pib": 1024**5, "e": 1000**6, "eb": 1000**6, "ei": 1024**6, "eib": 1024**6}


def parse_bytes(value: str) -> int:
    """go-humanize's ``ParseBytes``: "20MB" = 20 000 000, "20MiB" = 20 971 520, "42" = 42."""
    text = str(value).strip()
    m = re.match(r"^([0-9.,]*)(.*)$", text)
    assert m
    number, unit = m.group(1).replace(",", ""), m.group(2).strip().lower()
    if not number or unit not in _BYTES_UNITS:
        raise ValueError(f"unhandled size name: {unit or text!r}")
    return int(float(number) * _BYTES_UNITS[unit])


def go_float(x: float) -> str:
    """A float64 as Go's ``%v`` prints it (what dive's messages show)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class RuleResult:
    """One CI rule's outcome: ``status`` is PASS, FAIL, SKIP or MISCONFIGURED."""

    rule: str
    status: str
    message: str
    source: str  # "dive" or "dockopt"


@dataclass(frozen=True)
class CiResult:
    """All rules evaluated; ``passed`` is what the exit code follows."""

    results: tuple[RuleResult, ...]
    config_file: str | None

    @property
    def passed(self) -> bool:
        return all(r.status in ("PASS", "SKIP") for r in self.results)

    @property
    def misconfigured(self) -> bool:
        return any(r.status == "MISCONFIGURED" for r in self.results)

    def frame(self) -> pd.DataFrame:
        """Each row is one rule: ``rule``, ``status``, ``message``, ``source``."""
        return pd.DataFrame([r.__dict__ for r in self.results], columns=["rule", "status", "message", "source"])

    def to_text(self) -> str:
        lines = ["Results:"]
        for r in sorted(self.results, key=lambda r: r.rule):
            lines.append(f"  {r.status}: {r.rule}" + (f": {r.message}" if r.message else ""))
        tally = {s: sum(r.status == s for r in self.results) for s in ("PASS", "FAIL", "SKIP")}
        if self.misconfigured:
            lines.append("CI Misconfigured")
        else:
            lines.append(f"Result:{'PASS' if self.passed else 'FAIL'} [Total:{len(self.results)}] "
                         f"[Passed:{tally['PASS']}] [Failed:{tally['FAIL']}] [Warn:0] [Skipped:{tally['SKIP']}]")
        return "\n".join(lines)


def load_ci_config(path: str | os.PathLike[str] | None = ".dive-ci") -> tuple[dict[str, str], str | None]:
    """Rule values from a ``.dive-ci`` YAML file (missing file: defaults), as strings like dive's viper."""
    values = {**DIVE_DEFAULTS, **DOCKOPT_DEFAULTS}
    if path is None or not Path(path).is_file():
        return values, None
    import yaml

    try:
        doc = yaml.safe_load(Path(path).read_text()) or {}
    except yaml.YAMLError as exc:
        raise AnalysisError(f"{path}: not valid YAML ({exc})", hint="see dive's .dive-ci format: rules: {...}") from exc
    rules = doc.get("rules") if isinstance(doc, dict) else None
    for key, value in (rules or {}).items():
        if key in values:
            values[key] = _as_config_string(value)
    return values, str(path)


def _as_config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    return str(value)


def evaluate_ci(metrics: DiveMetrics, config: Mapping[str, str] | None = None, *,
                secrets: pd.DataFrame | None = None, user: str | None = None,
                image_size_bytes: int | None = None) -> CiResult:
    """Apply dive's three rules (same defaults, messages and comparisons) and dockopt's three.

    ``config``: rule values as strings (``load_ci_config``); ``secrets``: ``dockopt.secrets.find``
    output; ``user``: the image config's ``User``; ``image_size_bytes``: defaults to dive's size.
    """
    values = {**DIVE_DEFAULTS, **DOCKOPT_DEFAULTS, **(config or {})}
    out: list[RuleResult] = []

    def rule(key: str, source: str, validate, evaluate) -> None:  # noqa: ANN001 - small local helper
        value = str(values[key]).strip()
        if value == "disabled":
            out.append(RuleResult(key, "SKIP", "rule disabled", source))
            return
        problem = validate(value)
        if problem:
            out.append(RuleResult(key, "MISCONFIGURED", problem, source))
            return
        message = evaluate(value)
        out.append(RuleResult(key, "FAIL" if message else "PASS", message or "", source))

    def ratio(name: str):  # noqa: ANN202
        def check(v: str) -> str | None:
            try:
                f = float(v)
            except ValueError as exc:
                return f"invalid config value ('{v}'): {exc}"
            if f < 0 or f > 1:
                return f"{name} config value is outside allowed range (0-1), given '{v}'"
            return None
        return check

    def size_ok(v: str) -> str | None:
        try:
            parse_bytes(v)
        except ValueError as exc:
            return f"invalid config value ('{v}'): {exc}"
        return None

    def bool_ok(v: str) -> str | None:
        return None if v.lower() in ("true", "false") else f"invalid config value ('{v}'): expected true or false"

    rule("lowestEfficiency", "dive", ratio("lowestEfficiency"),
         lambda v: (f"image efficiency is too low (efficiency={go_float(metrics.efficiency)} < threshold={go_float(float(v))})"
                    if float(v) > metrics.efficiency else None))
    rule("highestWastedBytes", "dive", size_ok,
         lambda v: (f"too many bytes wasted (wasted-bytes={metrics.wasted_bytes} > threshold={parse_bytes(v)})"
                    if metrics.wasted_bytes > parse_bytes(v) else None))
    # Go compares with NaN as false, so an image without user bytes passes like in dive.
    rule("highestUserWastedPercent", "dive", ratio("highestUserWastedPercent"),
         lambda v: ("too many bytes wasted, relative to the user bytes added "
                    f"(%-user-wasted-bytes={go_float(metrics.user_wasted_percent)} > threshold={go_float(float(v))})"
                    if float(v) < metrics.user_wasted_percent else None))
    size = metrics.size_bytes if image_size_bytes is None else image_size_bytes
    rule("highestImageSize", "dockopt", size_ok,
         lambda v: (f"image is too large (size={size} bytes > threshold={parse_bytes(v)})"
                    if size > parse_bytes(v) else None))

    def no_secrets(v: str) -> str | None:
        if v.lower() != "true" or secrets is None or not len(secrets):
            return None
        where = ", ".join(sorted(set(secrets["path"].astype(str)))[:5])
        return f"{len(secrets)} secret(s) ship in the image's layers ({where})"

    rule("noSecrets", "dockopt", bool_ok, no_secrets)

    def non_root(v: str) -> str | None:
        if v.lower() != "true":
            return None
        u = (user or "").split(":")[0]
        return None if u not in ("", "0", "root") else f"the image runs as root (User={user or '(unset)'})"

    rule("nonRoot", "dockopt", bool_ok, non_root)
    return CiResult(results=tuple(out), config_file=None)


def junit_xml(result: CiResult, *, suite: str = "dockopt analyze", image: str = "") -> str:
    """JUnit XML with one test case per rule (failures and skips as JUnit understands them)."""
    failures = sum(r.status in ("FAIL", "MISCONFIGURED") for r in result.results)
    skipped = sum(r.status == "SKIP" for r in result.results)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites name={quoteattr(suite)} tests="{len(result.results)}" failures="{failures}">',
             f'  <testsuite name={quoteattr(suite + (": " + image if image else ""))} tests="{len(result.results)}" '
             f'failures="{failures}" skipped="{skipped}" errors="0">']
    for r in result.results:
        head = f'    <testcase classname={quoteattr(r.source)} name={quoteattr(r.rule)}'
        if r.status == "PASS":
            lines.append(head + "/>")
        elif r.status == "SKIP":
            lines.append(head + f'><skipped message={quoteattr(r.message)}/></testcase>')
        else:
            lines.append(head + f'><failure message={quoteattr(r.message)} type="{r.status}">'
                         f'{escape(r.message)}</failure></testcase>')
    lines += ["  </testsuite>", "</testsuites>"]
    return "\n".join(lines) + "\n"
