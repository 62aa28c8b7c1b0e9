"""The fleet view: every image of a registry audited, on one machine or a Dask cluster, as tables.

- ``audit(registry, repo="team/*", tags="latest", output=DIR, jobs=N | dask=ADDRESS_OR_CLIENT)``
  → ``FleetAudit`` (the ``images``, ``layers`` and ``findings`` tables, also Parquet under DIR).
- ``read_tables(DIR)``: those tables again; ``render_fleet_report(DIR)``: the offline HTML page.
- ``discover``: the registry's repositories, tags and digests (``/v2/_catalog``, tags, pagination).
"""

from __future__ import annotations

from .discover import Target, discover, host_platform_name, parse_tag_selection, repositories, tags
from .run import DEFAULT_OUTPUT, FleetAudit, audit
from .store import read_tables
from .work import analyse_digest

__all__ = ["DEFAULT_OUTPUT", "FleetAudit", "Target", "analyse_digest", "audit", "discover", "host_platform_name",
           "parse_tag_selection", "read_tables", "repositories", "tags"]
