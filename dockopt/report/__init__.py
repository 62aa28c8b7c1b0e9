"""Reports: notebooks executed into self-contained offline HTML (``render``), checked the way a reader
sees them (``check``), with a banner naming the offline stand-ins their builds used (``provenance``),
and what each found, shown in the notebook and on the front page ``index.html`` (``story``:
``headline``, ``conclusion``); reports on any project or image from the template notebooks in
``templates/`` (``project``), with the proposal of ``dockopt optimise`` (``proposal``), partial where
something cannot be measured (``partial``).

Re-exports only; ``from dockopt import report`` gives the whole surface.
"""

from .check import CHROMIUM_FLAGS, HtmlCheck, IndexCheck, check_html, check_index
from .partial import Attempts, Missing
from .project import (
    DEFAULT_LAB_DIR,
    DEFAULT_OUTPUT,
    IMAGE_TEMPLATE,
    PROJECT_TEMPLATE,
    image_bases,
    image_conclusion,
    image_layers,
    lab_notebook,
    layer_chart,
    project_conclusion,
    project_header,
    project_layers,
    render_image,
    render_project,
    shown,
)
from .proposal import (
    optimise_skipped,
    proposal_diff,
    proposal_headline,
    proposal_headline_html,
    proposal_ladder,
)
from .provenance import PROVENANCE_MIME, bases_used, provenance
from .render import (
    PLOTLY_RENDERER,
    Report,
    execute,
    index_entries,
    planned_runs,
    prunes_build_cache,
    render,
    render_all,
    to_html,
    write_index,
)
from .story import STORY_MIME, Claim, Conclusion, Headline, claim, conclusion, headline, recorded_story

__all__ = ["CHROMIUM_FLAGS", "DEFAULT_LAB_DIR", "DEFAULT_OUTPUT", "IMAGE_TEMPLATE", "PLOTLY_RENDERER",
           "PROJECT_TEMPLATE", "PROVENANCE_MIME", "STORY_MIME", "Attempts", "Claim", "Conclusion", "Headline",
           "HtmlCheck", "IndexCheck", "Missing", "Report", "bases_used", "check_html", "check_index", "claim",
           "conclusion", "execute", "headline", "image_bases", "image_conclusion", "image_layers", "index_entries",
           "lab_notebook", "layer_chart", "optimise_skipped", "planned_runs", "project_conclusion", "project_header",
           "project_layers", "proposal_diff", "proposal_headline", "proposal_headline_html", "proposal_ladder",
           "provenance", "prunes_build_cache", "recorded_story", "render", "render_all", "render_image",
           "render_project", "shown", "to_html", "write_index"]
