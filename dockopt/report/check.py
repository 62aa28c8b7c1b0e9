"""Check a rendered report the way a reader sees it: open it in headless Chromium, count the plotly
charts that were drawn and the resources the page would fetch from outside."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import proc
from ..errors import ReportError, ToolMissing

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic")
_EXTERNAL = re.compile(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']?(https?:)?//""", re.I)


@dataclass(frozen=True)
class HtmlCheck:
    """What a headless browser saw in a report: charts drawn, resources it would fetch from outside."""

    path: str
    charts_drawn: int
    external_resources: int
    plotly_inline: bool


def check_html(html_path: str | os.PathLike[str], *, browser: str | None = None,
               budget_ms: int = 15000) -> HtmlCheck:
    """Open ``html_path`` in headless Chromium (Debian's ``chromium``), let its scripts run, count the
    plotly charts that were drawn (``svg.main-svg`` roots) and the resources the page links from outside."""
    path = Path(html_path).resolve()
    if not path.is_file():
        raise ReportError(f"report {str(path)!r} does not exist", hint="render it first: `dockopt report`")
    exe = browser or proc.which("chromium") or proc.which("chromium-browser") or proc.which("google-chrome")
    if exe is None:
        raise ToolMissing("no Chromium to open the report with", hint="apt-get install chromium")
    text = path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="dockopt-chromium-") as profile:
        done = proc.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
                         "--dump-dom", path.as_uri()], timeout=120)
    # Each drawn plotly figure has one root <svg class="main-svg"> that holds its plot.
    drawn = len(re.findall(r'<div class="[^"]*\bsvg-container\b', done.stdout))
    return HtmlCheck(path=str(path), charts_drawn=drawn, external_resources=len(_EXTERNAL.findall(text)),
                     plotly_inline="plotly.js v" in text or "Plotly=" in text or "define('plotly'" in text)
