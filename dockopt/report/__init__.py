"""Reports: notebooks executed into self-contained offline HTML (``render``), checked the way a reader
sees them (``check``), with a banner naming the offline stand-ins their builds used (``provenance``),
and what each found, shown in the notebook and on the front page ``index.html`` (``story``:
``headline``, ``conclusion``).

Re-exports only; ``from dockopt import report`` gives the whole surface.
"""

from .check import CHROMIUM_FLAGS, HtmlCheck, IndexCheck, check_html, check_index
from .provenance import PROVENANCE_MIME, bases_used, provenance
from .render import (
    PLOTLY_RENDERER,
    Report,
    execute,
    index_entries,
    planned_runs,
    render,
    render_all,
    to_html,
    write_index,
)
from .story import STORY_MIME, Conclusion, Headline, conclusion, headline, recorded_story

__all__ = ["CHROMIUM_FLAGS", "PLOTLY_RENDERER", "PROVENANCE_MIME", "STORY_MIME", "Conclusion", "Headline",
           "HtmlCheck", "IndexCheck", "Report", "bases_used", "check_html", "check_index", "conclusion", "execute",
           "headline", "index_entries", "planned_runs", "provenance", "recorded_story", "render", "render_all",
           "to_html", "write_index"]
