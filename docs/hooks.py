"""MkDocs hooks for dockopt's documentation site (mkdocs.yml: ``hooks: [docs/hooks.py]``).

Two jobs, so that no page types in what the code or a measurement already says:

- **Measured figures come from generated files.** A page writes a marker on a line of its own and the
  hook replaces it with what the last run wrote:

  - ``<!-- dockopt:results NAME -->``: ``benchmarks/results/NAME.json``, written by ``benchmarks/NAME.py``
    (``make bench``) through ``benchmarks/record.py``: when, at which commit, on what machine, and a
    table whose column names carry their units (``size_bytes``, ``duration_s``, ``reduction_pct``).
  - ``<!-- dockopt:reports PREFIX -->``: ``reports/index.json``, written by ``make report`` (part of
    ``make all``): each rendered report whose name starts with PREFIX, its question, headline figures
    and conclusions as the notebook computed them.

  When the file is absent the page says so and names the command that writes it.
- **The Python API pages are generated** from the package itself: one page per public top-level
  module or package of ``dockopt`` (rendered by mkdocstrings from the docstrings), listed under
  "Python API" in the navigation and on ``api/index.md`` (marker ``<!-- dockopt:api-modules -->``).
  A module renamed or added shows up without editing the docs.
- **The command line reference is generated** from the parser ``dockopt`` builds (``<!-- dockopt:cli -->``):
  every command's ``--help``, so a new command or flag is documented where it is defined.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "dockopt"
RESULTS = ROOT / "benchmarks" / "results"
REPORTS_INDEX = ROOT / "reports" / "index.json"
API_INDEX = "api/index.md"
# Not API: the command line has its own page; templates and assets are data.
NOT_API = {"cli", "report_template", "__main__"}

MARKER = re.compile(r"^<!-- dockopt:(?P<kind>results|reports|api-modules|cli)(?: (?P<arg>\S+))? -->$", re.M)

if str(ROOT) not in sys.path:  # dockopt.units: the one human-units formatter, pure and import-light
    sys.path.insert(0, str(ROOT))


# --- the Python API pages ---------------------------------------------------------------------------

def api_modules() -> list[str]:
    """The public top-level modules and packages of ``dockopt``, by name."""
    names = []
    for path in sorted(PACKAGE.iterdir()):
        name = path.stem if path.suffix == ".py" else path.name
        if name.startswith("_") or name in NOT_API:
            continue
        if (path.suffix == ".py" and path.is_file()) or (path / "__init__.py").is_file():
            names.append(name)
    return names


def _module_summary(name: str) -> str:
    """The first line of a module's docstring, read without importing it."""
    path = PACKAGE / f"{name}.py"
    if not path.is_file():
        path = PACKAGE / name / "__init__.py"
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    first = doc.strip().split("\n\n", 1)[0]
    return " ".join(first.split()).replace("|", "\\|")


def _expand_api_nav(nav: list[Any]) -> bool:
    """Replace the nav entry that points at ``api/index.md`` with a section: the overview, then one
    page per module. True when found."""
    for i, item in enumerate(nav):
        if isinstance(item, dict):
            (title, value), = item.items()
            if value == API_INDEX:
                nav[i] = {title: [{"Overview": API_INDEX}]
                          + [{f"dockopt.{name}": f"api/{name}.md"} for name in api_modules()]}
                return True
            if isinstance(value, list) and _expand_api_nav(value):
                return True
    return False


def on_config(config: Any) -> Any:
    if config.get("nav"):
        _expand_api_nav(config["nav"])
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for name in api_modules():
        content = f"::: dockopt.{name}\n    options:\n      heading_level: 1\n"
        files.append(File.generated(config, f"api/{name}.md", content=content))
    return files


def api_table() -> str:
    rows = [f"| [`dockopt.{name}`]({name}.md) | {_module_summary(name)} |" for name in api_modules()]
    return "\n".join(["| module | what it holds |", "|---|---|", *rows])


# --- the command line reference -----------------------------------------------------------------

def cli_reference() -> str:
    """Every command's ``--help``, from the parser ``dockopt`` itself builds: one section per command,
    subcommands under their command."""
    import argparse
    import os

    from dockopt.cli import _parser

    def walk(parser: argparse.ArgumentParser, level: int) -> list[str]:
        out = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in dict.fromkeys(action.choices.values()):  # an alias names the same parser again
                    out += [f"{'#' * level} `{sub.prog}`", "", "```text", sub.format_help().rstrip(), "```", ""]
                    out += walk(sub, level + 1)
        return out

    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "84"  # argparse wraps help to the terminal's width; this fits the page's column
    try:
        top = _parser()
        return "\n".join(["```text", top.format_help().rstrip(), "```", "", *walk(top, 2)])
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns


# --- measured figures -------------------------------------------------------------------------------

def _cell(column: str, value: Any) -> str:
    from dockopt.units import human_bytes, human_seconds

    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        text = "–"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, int | float) and column.endswith("_bytes"):
        text = human_bytes(value)
    elif isinstance(value, int | float) and column.endswith("_s"):
        text = human_seconds(value)
    elif isinstance(value, int | float) and column.endswith("_pct"):
        text = f"{value:.1f} %"
    elif isinstance(value, int | float) and (column == "ratio" or column.endswith("_ratio")):
        text = f"{value:.2f}×"
    elif isinstance(value, float):
        text = f"{value:.3g}"
    elif isinstance(value, list | tuple):
        text = ", ".join(map(str, value))
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _header(column: str) -> str:
    """``naive_bytes`` → "naive": the cells carry the unit."""
    for suffix in ("_bytes", "_s", "_pct", "_ratio"):
        if column.endswith(suffix):
            return column[: -len(suffix)].replace("_", " ")
    return column.replace("_", " ")


def markdown_table(columns: list[str], rows: list[dict[str, Any]]) -> str:
    head = "| " + " | ".join(_header(c) for c in columns) + " |"
    rule = "|" + "---|" * len(columns)
    body = ["| " + " | ".join(_cell(c, row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join([head, rule, *body])


def _not_measured(file: str, *commands: str) -> str:
    run = " or ".join(f"`{c}`" for c in commands)
    return (f'!!! note "Not measured yet"\n    `{file}` is absent: run {run} and this part of the page '
            "shows what it measured.\n")


def render_results(name: str, results_dir: Path = RESULTS) -> str:
    """``benchmarks/results/NAME.json`` as Markdown: where and when it was measured, the table, the notes."""
    path = results_dir / f"{name}.json"
    if not path.is_file():
        return _not_measured(f"benchmarks/results/{name}.json", "make bench", f"python benchmarks/{name}.py")
    data = json.loads(path.read_text(encoding="utf-8"))
    machine = data.get("machine") or {}
    where = ", ".join(f"{k} {v}" for k, v in machine.items() if v not in (None, ""))
    lines = [f"*Measured {data.get('measured_at', '?')} at commit `{data.get('commit', '?')}`"
             + (f" ({where})" if where else "") + f" by `{data.get('command', name)}`.*", ""]
    rows = data.get("rows") or []
    if rows:
        columns = data.get("columns") or list(rows[0])
        lines += [markdown_table(columns, rows), ""]
    lines += [f"- {note}" for note in data.get("notes") or []]
    return "\n".join(lines) + "\n"


def _embedded(markdown: str) -> str:
    """A notebook's Markdown, safe to place inside a page: its headings become bold lines (the page's own
    outline stays), and links into the reports folder become their text (the site does not ship it)."""
    markdown = re.sub(r"\[([^\]]+)\]\((?![a-z]+://)[^)]*\)", r"\1", markdown)
    return re.sub(r"^#+\s*(.+?)\s*#*$", r"**\1**", markdown, flags=re.M)


_VERDICT = {"holds": "✔ holds", "partly": "◐ partly", "fails": "✘ does not hold", "not measured": "– not measured"}


def _cell_text(value: Any) -> str:
    return str(value or "").replace("|", "\\|").replace("\n", " ")


def render_reports(prefix: str, index: Path = REPORTS_INDEX) -> str:
    """The rendered reports whose names start with ``prefix``: question, headlines, conclusions."""
    if not index.is_file():
        return _not_measured("reports/index.json", "make all", "make report")
    data = json.loads(index.read_text(encoding="utf-8"))
    chosen = [e for e in data.get("reports") or [] if str(e.get("name", "")).startswith(prefix)]
    if not chosen:
        return f"*The last `make report` ({data.get('measured_at', '?')}) rendered no report named `{prefix}*`.*\n"
    lines = [f"*Rendered by `make report` {data.get('measured_at', '?')} at commit `{data.get('commit', '?')}`.*", ""]
    for entry in chosen:
        lines += [f"### {entry.get('title') or entry['name']} (`{entry['name']}`)", ""]
        if entry.get("question"):
            lines += [f"*{_embedded(entry['question'])}*", ""]
        lines += [f"- {h.get('text', '')}" for h in entry.get("headlines") or []]
        claims = entry.get("claims") or []
        if claims:  # each verdict computed by the notebook from its numbers (report.claim)
            lines += ["", "| topic | the guide says | measured here | verdict |", "|---|---|---|---|"]
            lines += ["| " + " | ".join(_cell_text(c.get(k)) for k in ("topic", "guide", "measured"))
                      + f" | {_VERDICT.get(str(c.get('verdict')), str(c.get('verdict')))} |" for c in claims]
        lines += ["", *[_embedded(c.get("markdown", "")) + "\n" for c in entry.get("conclusions") or []]]
        if entry.get("standins"):
            lines += ["Offline stand-in bases: " + ", ".join(f"`{s['reference']}`" for s in entry["standins"]), ""]
    return "\n".join(lines) + "\n"


def expand(markdown: str) -> str:
    said_absent: set[str] = set()

    def once(text: str) -> str:
        """A page with many markers on one absent file says how to measure it once."""
        if not text.startswith('!!! note "Not measured yet"'):
            return text
        if text in said_absent:
            return "*Not measured yet (see above).*\n"
        said_absent.add(text)
        return text

    def replace(match: re.Match[str]) -> str:
        kind, arg = match["kind"], match["arg"] or ""
        if kind == "results":
            return render_results(arg)
        if kind == "reports":
            return once(render_reports(arg))
        if kind == "cli":
            return cli_reference()
        return api_table()

    return MARKER.sub(replace, markdown)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return expand(markdown)
