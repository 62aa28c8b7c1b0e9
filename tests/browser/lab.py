"""Real JupyterLab in headless Chromium for the browser tests: start ``jupyter lab`` on 127.0.0.1
with a token, drive it with Playwright (Debian's chromium, never a downloaded browser), and shut
down the server and every kernel it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTEFACTS = Path(__file__).resolve().parents[2] / "tests" / "artefacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]

    def api(self, path: str, method: str = "GET") -> object:
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - 127.0.0.1 only
            body = resp.read()
        return json.loads(body) if body else None

    def kernels(self) -> list[dict[str, object]]:
        return list(self.api("/api/kernels"))  # type: ignore[call-overload]


@contextlib.contextmanager
def jupyter_lab(root: Path, log: Path) -> Iterator[Lab]:
    """``jupyter lab`` serving ``root`` on 127.0.0.1; on exit every kernel is shut down, then the
    server (and, should it hang, its whole process group)."""
    port, token = free_port(), secrets.token_hex(16)
    log.parent.mkdir(parents=True, exist_ok=True)
    out = log.open("wb")
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={root}",
           "--allow-root",  # CI and these machines run as root
           "--LabApp.extension_manager=readonly"]  # no extension listing from PyPI
    # a fresh workspace and settings: nothing a person's own JupyterLab remembers changes the test
    env = {**os.environ, "JUPYTERLAB_WORKSPACES_DIR": str(log.parent / "lab-workspaces"),
           "JUPYTERLAB_SETTINGS_DIR": str(log.parent / "lab-settings")}
    # no "get Jupyter news?" toast over the page, and no fetch for it
    news = log.parent / "lab-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
    process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=root, env=env, start_new_session=True)
    lab = Lab(url=f"http://127.0.0.1:{port}", token=token, root=root, process=process)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {process.returncode}; see {log}")
            try:
                lab.api("/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"jupyter lab did not answer in 90 s; see {log}") from None
                time.sleep(0.5)
        yield lab
    finally:
        with contextlib.suppress(OSError, ValueError):
            for kernel in lab.kernels():
                lab.api(f"/api/kernels/{kernel['id']}", method="DELETE")
        with contextlib.suppress(OSError):
            lab.api("/api/shutdown", method="POST")
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        out.close()


@contextlib.contextmanager
def browser_page(width: int = 1500, height: int = 1100) -> Iterator[object]:
    """A Playwright page in Debian's headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


_KERNEL_IDLE = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel
              && w.sessionContext.session.kernel.status === 'idle' && w.content && w.content.widgets); }"""


_THEMED = "() => getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim() !== ''"


def open_notebook(page: object, lab: Lab, name: str, tries: int = 4) -> None:
    """Open ``name`` in JupyterLab and wait for its kernel to be idle. Chromium abandons requests
    in flight when the host's network interfaces change (``ERR_NETWORK_CHANGED``, as when the shared
    engine starts a container): a page that did not come up is loaded again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(tries):
        page.goto(f"{lab.url}/lab/tree/{name}?token={lab.token}")  # type: ignore[attr-defined]
        try:
            page.wait_for_function(_KERNEL_IDLE, timeout=45000)  # type: ignore[attr-defined]
            page.wait_for_function(_THEMED, timeout=10000)  # type: ignore[attr-defined]
            break
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise
    page.evaluate("window.jupyterapp.shell.collapseLeft()")  # type: ignore[attr-defined]


def run_all(page: object) -> None:
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")  # type: ignore[attr-defined]


CELLS_DONE = """() => { const nb = window.jupyterapp.shell.currentWidget.content;
    return nb.widgets.every(c => c.model.type !== 'code' || (c.model.executionCount !== null
                                                              && !c.node.classList.contains('jp-mod-running'))); }"""


def run_notebook(page: Any, lab: Lab, name: str, *, timeout_ms: int, polling_ms: int = 1000) -> list[str]:
    """Open ``name`` in ``lab``, run every cell, wait for the last one and fail on a traceback in any
    output. Returns the list the page's JavaScript errors keep being collected into."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_notebook(page, lab, name)
    run_all(page)
    page.wait_for_function(CELLS_DONE, timeout=timeout_ms, polling=polling_ms)
    tracebacks = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                              " >> text=Traceback")
    assert tracebacks.count() == 0, tracebacks.first.inner_text()
    return errors


def table_rows(table: Any) -> list[dict[str, str]]:
    """Each row of a TreeTable as the page shows it: its path (title) and its cells' text."""
    return table.evaluate("""t => [...t.querySelectorAll('tbody tr')].map(tr => ({
        id: tr.dataset.id, title: tr.title, text: tr.innerText, expandable: !!tr.querySelector('.dockopt-tt-twisty')
            && tr.querySelector('.dockopt-tt-twisty').textContent !== ''}))""")


def wait_rows(page: Any, table: Any, predicate: Callable[[list[dict[str, str]]], bool],
              timeout_s: float = 20) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for _ in range(int(timeout_s * 5)):
        rows = table_rows(table)
        if predicate(rows):
            return rows
        page.wait_for_timeout(200)
    return rows
