"""The optimise section of a project report (``dockopt report --project PATH --optimise``) and of the
notebook ``dockopt lab`` writes: what ``dockopt.optimise`` proposes for the project, read from the
``Proposal`` it returns (nothing is measured again here).

- ``proposal_headline``: before and after in one paragraph (bytes, compressed bytes, rebuild seconds,
  user, shell, rungs applied);
- ``proposal_ladder``: the ladder as a table, one row per rung, with what each changed;
- ``proposal_diff``: the unified diff of the Dockerfile a team reviews, coloured, as HTML;
- ``optimise_skipped``: what the report says when the climb was not asked for.

Why optional (``optimise=False`` by default): the climb builds, starts and rebuilds every rung and
every candidate runtime base (ten to fifteen builds), which more than doubles the report's time; a
report is asked for often, a proposal once in a while.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from ..units import human_bytes, human_percent, human_seconds

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from IPython.display import HTML, Markdown

    from ..optimise import Proposal

#: The columns of ``proposal_ladder``.
LADDER_COLUMNS = ["step", "rung", "applied", "size_bytes", "size", "compressed_bytes", "build_s", "rebuild_s",
                  "user", "has_shell", "dockerfile_change", "reason"]
DIFF_MARKER = "dockopt-diff"
_DIFF_STYLE = {"+": "background:#e6ffed;color:#22863a", "-": "background:#ffeef0;color:#b31d28",
               "@": "color:#6f42c1;background:#f1f8ff"}


def _num(value: Any) -> float | None:
    import pandas as pd

    return None if value is None or pd.isna(value) else float(value)


def proposal_headline(proposal: Proposal) -> str:
    """Before and after in Markdown, from ``proposal.baseline`` and ``proposal.final`` (the last applied rung)."""
    first, last = proposal.baseline, proposal.final
    ladder = proposal.ladder
    tried = ladder[ladder["rung"] != "original"]
    applied = int(tried["applied"].sum())
    size_a, size_b = _num(first["size_bytes"]), _num(last["size_bytes"])
    saved = 1 - size_b / size_a if size_a and size_b is not None else None
    parts = [f"**{proposal.project}**: `dockopt optimise` applied **{applied} of {len(tried)}** "
             f"changes, each built, started and checked with the project's readiness check. The image goes from "
             f"**{human_bytes(size_a)}** to **{human_bytes(size_b)}**"
             + (f" ({human_percent(saved)} smaller)" if saved is not None else "")]
    comp_a, comp_b = _num(first["compressed_bytes"]), _num(last["compressed_bytes"])
    if comp_a is not None and comp_b is not None:
        parts.append(f"a registry stores {human_bytes(comp_a)} → {human_bytes(comp_b)}")
    reb_a, reb_b = _num(first["rebuild_s"]), _num(last["rebuild_s"])
    if reb_a is not None and reb_b is not None:
        parts.append(f"a one-line source edit rebuilds in {human_seconds(reb_a)} → {human_seconds(reb_b)}")
    parts.append(f"user {first['user']} → {last['user']}")
    if bool(first["has_shell"]) != bool(last["has_shell"]):
        parts.append("the shell is gone" if not last["has_shell"] else "a shell is added")
    text = "; ".join(parts) + "."
    dropped = tried[~tried["applied"]]
    if len(dropped):
        text += "\n\nNot applied: " + "; ".join(f"**{r.rung}** ({str(r.reason).rstrip('.')})"
                                                for r in dropped.itertuples()) + "."
    if proposal.stopped:
        text += f"\n\nStopped before a multi-stage build: {proposal.stopped}."
    return text


def proposal_headline_html(proposal: Proposal) -> str:
    """``proposal_headline`` as HTML (bold and code spans; paragraphs split by ``<br>``), escaped."""
    return inline_markdown_html(proposal_headline(proposal))


def inline_markdown_html(text: str) -> str:
    """The inline Markdown dockopt's sentences use (``**bold**``, `` `code` ``, blank-line paragraphs) as HTML."""
    import re

    out = html.escape(text, quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return out.replace("\n\n", "<br>")


def proposal_ladder(proposal: Proposal) -> pd.DataFrame:
    """Each row is one rung of ``proposal.ladder``: ``step``, ``rung``, ``applied``, ``size_bytes`` (and
    ``size``, the same in human units), ``compressed_bytes``, ``build_s``, ``rebuild_s`` (after a one-line
    source edit), ``user``, ``has_shell``, ``dockerfile_change`` (what the rung changed) and ``reason`` (why a
    rung was not applied). A rung that was not applied has no measurements."""
    import pandas as pd

    table = proposal.ladder.sort_values("step").reset_index(drop=True)
    table = table.assign(size=[human_bytes(int(v)) if pd.notna(v) else "–" for v in table["size_bytes"]])
    return table[LADDER_COLUMNS]


def diff_html(diff: str, *, title: str | None = None) -> str:
    """A unified diff as an HTML ``<pre>``: added lines green, removed red, hunk headers violet; escaped."""
    if not diff:
        return (f"<div class='{DIFF_MARKER}'><p><i>The proposal is the original Dockerfile: nothing to review."
                "</i></p></div>")
    lines = []
    for line in diff.splitlines():
        style = "font-weight:600" if line.startswith(("+++", "---")) else _DIFF_STYLE.get(line[:1], "")
        lines.append(f"<span style='display:block;{style}'>{html.escape(line) or ' '}</span>")
    head = f"<p><b>{html.escape(title)}</b></p>" if title else ""
    return (f"<div class='{DIFF_MARKER}'>{head}<pre style='margin:0;padding:6px;font-size:12px;line-height:1.35;"
            "white-space:pre;overflow-x:auto;border:1px solid #ddd;border-radius:4px'>"
            + "".join(lines) + "</pre></div>")


def proposal_diff(proposal: Proposal) -> HTML:
    """Show the unified diff of the original Dockerfile against the proposal (and the ``.dockerignore`` it adds)."""
    from IPython.display import HTML

    out = diff_html(proposal.diff, title="The Dockerfile, original against proposed")
    if proposal.dockerignore is not None:
        out += ("<p><b>The proposed <code>.dockerignore</code></b></p><pre style='font-size:12px;border:1px solid "
                f"#ddd;padding:6px'>{html.escape(proposal.dockerignore)}</pre>")
    return HTML(out)


def optimise_skipped() -> Markdown:
    """What the report says where the optimise section would be when it was not asked for."""
    from IPython.display import Markdown

    return Markdown("*Not run: the proposal of `dockopt optimise` builds and checks every change (ten to fifteen "
                    "builds). Ask for it with `dockopt report --project PATH --optimise`, or set `optimise = True` "
                    "in the parameters cell.*")


def proposal_conclusion(proposal: Any) -> str | None:
    """One sentence of the report's conclusion about the proposal, or None when there is none."""
    if not proposal or not hasattr(proposal, "ladder"):
        return None
    first, last = proposal.baseline, proposal.final
    size_a, size_b = _num(first["size_bytes"]), _num(last["size_bytes"])
    return (f"`dockopt optimise` proposes a Dockerfile whose image is **{human_bytes(size_b)}** against "
            f"{human_bytes(size_a)} now, running as {last['user']}; the diff is in the proposal section.")
