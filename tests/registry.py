"""A registry for the tests that need one: started when the session needs it, stopped only if this session started it.

A pytest plugin (loaded by tests/conftest.py and notebooks/conftest.py). The address is
``$DOCKOPT_REGISTRY`` (default 127.0.0.1:5000). If a registry answers there already (``make
registry``, a user's own), it is used and left running; otherwise ``scripts/ensure-registry.sh``
starts Debian's docker-registry (installing it where it can) and ``ensure-registry.sh --stop``
stops exactly that process at the end. Notebooks (the shipping story and the size cells push
images) get it before the first notebook runs; tests ask for the ``registry`` fixture. Without a
registry the tests that need it skip locally and fail under ``CI=true``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "ensure-registry.sh"


class _State:
    address: str | None = None
    started = False
    failure: str | None = None


_state = _State()


def ensure() -> str:
    """The registry's address, starting one if none answers; raises ``RuntimeError`` with the script's output."""
    if _state.address is not None:
        return _state.address
    if _state.failure is not None:
        raise RuntimeError(_state.failure)
    from dockopt.registry import default_registry

    address = default_registry()
    done = subprocess.run(["bash", str(SCRIPT)], cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "DOCKOPT_REGISTRY": address}, check=False)
    if done.returncode != 0:
        _state.failure = f"no registry at {address}: {(done.stdout + done.stderr).strip()[-800:]}"
        raise RuntimeError(_state.failure)
    _state.started = "registry: started" in done.stdout
    _state.address = address
    return address


def _stop() -> None:
    if _state.started and _state.address:
        subprocess.run(["bash", str(SCRIPT), "--stop"], cwd=REPO, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "DOCKOPT_REGISTRY": _state.address}, check=False)
    _state.started = False
    _state.address = None


@pytest.fixture(scope="session")
def registry() -> str:
    """``HOST:PORT`` of a registry that answers (skips locally, fails under CI=true, when none can start)."""
    try:
        return ensure()
    except RuntimeError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs a registry and none could be started: {exc}")
        pytest.skip(str(exc))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Notebook kernels cannot ask for a fixture: start the registry before the first one runs.
    if any(str(i.fspath).endswith(".ipynb") for i in items):
        with contextlib.suppress(RuntimeError):  # the notebook cell that pushes fails with dockopt's own error
            ensure()


def pytest_unconfigure(config: pytest.Config) -> None:
    _stop()
