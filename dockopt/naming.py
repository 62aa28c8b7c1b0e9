"""What dockopt calls the images it makes and how it labels them: the one place for label keys,
the image namespace of samples and experiments, and the extra labels a run adds.

Two settings, read from the environment at each build so a notebook kernel or a test session can
set them:

- ``DOCKOPT_NAMESPACE``: the repository prefix of sample and experiment images
  (``dockopt-sample/<sample>:<build>``; default ``dockopt-sample``).
- ``DOCKOPT_LABELS``: extra ``key=value`` labels, comma-separated, on every sample and experiment
  image. The test suite sets both per session and removes exactly the images carrying its label,
  so what ``make all`` built is never touched by ``make test``.

Stand-in base images never get the extra labels: they are shared by every run, and labels are
inherited by every image built FROM them.
"""

from __future__ import annotations

import re

from . import settings
from .errors import ConfigError

NAMESPACE_ENV = settings.NAMESPACE
LABELS_ENV = settings.LABELS
DEFAULT_NAMESPACE = settings.DEFAULT_NAMESPACE

# What made an image or container: sample, experiment, base, container, fixture, test.
LABEL_MANAGED = "io.dockopt.managed"
# Sample images: which sample, which Dockerfile role, which runtime base value.
LABEL_SAMPLE = "io.dockopt.sample"
LABEL_VARIANT = "io.dockopt.variant"
LABEL_BASE = "io.dockopt.base"
# Exercise images: which exercise graded them (see dockopt.exercises).
LABEL_EXERCISE = "io.dockopt.exercise"
# Images of a user's project (dockopt.project), by the project's name.
LABEL_PROJECT = "io.dockopt.project"
# Offline stand-ins for upstream base images (see dockopt.bases).
LABEL_STANDIN = "io.dockopt.standin"
LABEL_STANDIN_FOR = "io.dockopt.standin.for"
LABEL_STANDIN_RECIPE = "io.dockopt.standin.recipe"

# A repository path as the engine accepts it (lower case, path components separated by "/").
_NAMESPACE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_LABEL_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def namespace() -> str:
    """The repository prefix of sample and experiment images (``$DOCKOPT_NAMESPACE``, else ``dockopt-sample``)."""
    value = settings.namespace()
    if not _NAMESPACE.match(value):
        raise ConfigError(f"{NAMESPACE_ENV}={value!r} is not a repository name",
                          hint="use lower-case letters, digits, '.', '_', '-' and '/', e.g. dockopt-sample")
    return value


def run_labels() -> dict[str, str]:
    """The extra labels of this run (``$DOCKOPT_LABELS``, ``key=value,key=value``); empty when unset."""
    raw = settings.labels()
    out: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in raw.split(","))):
        key, sep, value = pair.partition("=")
        if not sep or not _LABEL_KEY.match(key.strip()):
            raise ConfigError(f"{LABELS_ENV}: {pair!r} is not key=value",
                              hint="write it as DOCKOPT_LABELS=io.example.run=42,io.example.owner=me")
        out[key.strip()] = value.strip()
    return out


def image_labels(managed: str, **extra: str) -> dict[str, str]:
    """Labels for an image dockopt builds for a sample or an experiment: what made it, ``extra``
    (keys are label names), and this run's labels."""
    return {LABEL_MANAGED: managed, **extra, **run_labels()}
