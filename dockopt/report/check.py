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


def external_resources(html: str) -> int:
    """How many scripts, stylesheets and images a page would fetch from another host (0 = opens offline)."""
    return len(_EXTERNAL.findall(html))


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
    text = path.read_text(encoding="utf-8")
    dom = _dump_dom(path, browser=browser, budget_ms=budget_ms)
    # Each drawn plotly figure has one root <svg class="main-svg"> that holds its plot.
    drawn = len(re.findall(r'<div class="[^"]*\bsvg-container\b', dom))
    return HtmlCheck(path=str(path), charts_drawn=drawn, external_resources=external_resources(text),
                     plotly_inline="plotly.js v" in text or "Plotly=" in text or "define('plotly'" in text)


def _dump_dom(path: Path, *, browser: str | None = None, budget_ms: int = 15000) -> str:
    """The page's DOM after its scripts ran, as headless Chromium (Debian's ``chromium``) saw it."""
    exe = browser or proc.which("chromium") or proc.which("chromium-browser") or proc.which("google-chrome")
    if exe is None:
        raise ToolMissing("no Chromium to open the report with", hint="apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="dockopt-chromium-") as profile:
        done = proc.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
                         "--dump-dom", path.as_uri()], timeout=120)
    return done.stdout


@dataclass(frozen=True)
class IndexCheck:
    """What a headless browser saw on the reports' front page: one card per report, their headlines,
    links that lead nowhere, resources it would fetch from outside."""

    path: str
    reports_shown: int
    headlines_shown: int
    broken_links: tuple[str, ...]
    external_resources: int


def check_index(index_path: str | os.PathLike[str], *, browser: str | None = None) -> IndexCheck:
    """Open ``index.html`` in headless Chromium; count the report cards and headlines it shows, and
    the links to reports that do not exist beside it."""
    path = Path(index_path).resolve()
    if not path.is_file():
        raise ReportError(f"index {str(path)!r} does not exist", hint="render the reports first: `dockopt report`")
    dom = _dump_dom(path, browser=browser)
    links = set(re.findall(r'href="([^"#:]+\.html)"', dom))
    broken = tuple(sorted(link for link in links if not (path.parent / link).is_file()))
    return IndexCheck(path=str(path), reports_shown=len(re.findall(r'<article class="report"', dom)),
                      headlines_shown=len(re.findall(r'<span class="figures"', dom)), broken_links=broken,
                      external_resources=external_resources(path.read_text(encoding="utf-8")))
