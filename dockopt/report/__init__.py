"""Reports: notebooks executed into self-contained offline HTML (``render``), checked the way a reader
sees them (``check``), with a banner naming the offline stand-ins their builds used (``provenance``).

Re-exports only; ``from dockopt import report`` gives the whole surface.
"""

from .check import CHROMIUM_FLAGS, HtmlCheck, check_html
from .provenance import PROVENANCE_MIME, bases_used, provenance
from .render import PLOTLY_RENDERER, Report, execute, planned_runs, render, render_all, to_html, write_index

__all__ = ["CHROMIUM_FLAGS", "PLOTLY_RENDERER", "PROVENANCE_MIME", "HtmlCheck", "Report", "bases_used", "check_html",
           "execute", "planned_runs", "provenance", "render", "render_all", "to_html", "write_index"]
