"""Every setting dockopt reads from the environment (``DOCKOPT_*``), its default and its meaning.

One function per setting, read at each call (not at import), so that a notebook kernel, a test
session or a classroom shell can change one without restarting Python. Nothing else in dockopt
reads ``os.environ`` for a ``DOCKOPT_*`` name; validation of a value's shape stays with the module
that uses it (e.g. ``naming.namespace()`` checks the repository grammar).

This module imports only the standard library: the command line reads settings on every start.

| variable | default | meaning |
|---|---|---|
| ``DOCKOPT_NAMESPACE`` | ``dockopt-sample`` | repository prefix of sample and experiment images |
| ``DOCKOPT_LABELS`` | (none) | extra ``key=value,...`` labels on every sample and experiment image |
| ``DOCKOPT_REGISTRY`` | ``127.0.0.1:5000`` | the registry pushes, pulls and shipping experiments use |
| ``DOCKOPT_INSECURE_REGISTRIES`` | (none) | comma-separated hosts spoken to over plain http |
| ``DOCKOPT_SAMPLES_DIR`` | the installed ``sample_apps/`` (``dockopt.content``) | where the sample apps live |
| ``DOCKOPT_EXERCISES_DIR`` | the installed ``exercises/`` | where the exercises live |
| ``DOCKOPT_GUIDE_EXAMPLES`` | the installed ``notebooks/guide/examples/`` | where the guide's recipes live |
| ``DOCKOPT_OFFLINE_BASES`` | ``$XDG_DATA_HOME/dockopt/offline-bases`` | tarballs stand-in base images are built from |
| ``DOCKOPT_REPORT`` | (unset) | set by report rendering in the kernels it starts |
| ``DOCKOPT_CLASSROOM`` | ``0`` | ``1``: the engine is shared by a class; pruning its build cache is refused |
| ``DOCKOPT_EXERCISE_LIMITS`` | ``$XDG_STATE_HOME/dockopt/exercise-limits.toml`` | calibrated exercise limits |
| ``DOCKOPT_CACHE_DIR`` | ``$XDG_CACHE_HOME/dockopt`` | dockopt's own cache (analysis facts, .debs) |
"""

from __future__ import annotations

import os
from pathlib import Path

NAMESPACE = "DOCKOPT_NAMESPACE"
LABELS = "DOCKOPT_LABELS"
REGISTRY = "DOCKOPT_REGISTRY"
INSECURE_REGISTRIES = "DOCKOPT_INSECURE_REGISTRIES"
SAMPLES_DIR = "DOCKOPT_SAMPLES_DIR"
EXERCISES_DIR = "DOCKOPT_EXERCISES_DIR"
GUIDE_EXAMPLES = "DOCKOPT_GUIDE_EXAMPLES"
OFFLINE_BASES = "DOCKOPT_OFFLINE_BASES"
REPORT = "DOCKOPT_REPORT"
CLASSROOM = "DOCKOPT_CLASSROOM"
CACHE_DIR = "DOCKOPT_CACHE_DIR"
EXERCISE_LIMITS = "DOCKOPT_EXERCISE_LIMITS"

DEFAULT_NAMESPACE = "dockopt-sample"
DEFAULT_REGISTRY = "127.0.0.1:5000"

_TRUE = {"1", "true", "yes", "on"}


def _text(name: str) -> str:
    return os.environ.get(name, "").strip()


def _path(name: str) -> Path | None:
    value = _text(name)
    return Path(value) if value else None


def namespace() -> str:
    """``DOCKOPT_NAMESPACE``: the repository prefix of sample and experiment images (unvalidated)."""
    return _text(NAMESPACE) or DEFAULT_NAMESPACE


def labels() -> str:
    """``DOCKOPT_LABELS``: the raw ``key=value,key=value`` extra labels ("" when unset)."""
    return _text(LABELS)


def registry() -> str:
    """``DOCKOPT_REGISTRY``: the registry dockopt pushes to and reads from by default."""
    return _text(REGISTRY) or DEFAULT_REGISTRY


def insecure_registries() -> frozenset[str]:
    """``DOCKOPT_INSECURE_REGISTRIES``: hosts spoken to over http (loopback hosts always are)."""
    return frozenset(h.strip() for h in _text(INSECURE_REGISTRIES).split(",") if h.strip())


def samples_dir() -> Path | None:
    """``DOCKOPT_SAMPLES_DIR``: where the samples live; None means the packaged default."""
    return _path(SAMPLES_DIR)


def exercises_dir() -> Path | None:
    """``DOCKOPT_EXERCISES_DIR``: where the exercises live; None means the packaged default."""
    return _path(EXERCISES_DIR)


def guide_examples_dir() -> Path | None:
    """``DOCKOPT_GUIDE_EXAMPLES``: where the guide's recipes live; None means the packaged default."""
    return _path(GUIDE_EXAMPLES)


def offline_bases() -> Path:
    """``DOCKOPT_OFFLINE_BASES``: the folder of tarballs offline stand-in bases are built from."""
    value = _path(OFFLINE_BASES)
    if value is not None:
        return value.expanduser()
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "dockopt" / "offline-bases"


def in_report() -> bool:
    """``DOCKOPT_REPORT``: whether this process is a kernel started by report rendering."""
    return bool(os.environ.get(REPORT))


def classroom() -> bool:
    """``DOCKOPT_CLASSROOM``: the engine is shared by a class; destructive engine-wide actions
    (pruning the build cache) are refused, whatever flag asks for them."""
    return _text(CLASSROOM).lower() in _TRUE


def cache_dir() -> Path:
    """``DOCKOPT_CACHE_DIR``: dockopt's own cache folder (created on demand); default
    ``${XDG_CACHE_HOME:-~/.cache}/dockopt``."""
    root = _path(CACHE_DIR) or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dockopt"
    root.mkdir(parents=True, exist_ok=True)
    return root


def state_dir() -> Path:
    """``${XDG_STATE_HOME:-~/.local/state}/dockopt``: what dockopt keeps between runs on this machine
    (calibrated exercise limits, the hints a learner opened)."""
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "dockopt"


def exercise_limits_file() -> Path:
    """``DOCKOPT_EXERCISE_LIMITS``: the calibration file of the class's exercise limits; default
    ``${XDG_STATE_HOME:-~/.local/state}/dockopt/exercise-limits.toml``."""
    value = _text(EXERCISE_LIMITS)
    if value:
        return Path(value).expanduser()
    return state_dir() / "exercise-limits.toml"
