"""The documentation: a README that fits on a few screens, a site that builds strictly with every page in
its navigation, and measured figures rendered from the files benchmarks and ``make report`` write."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from dockopt import proc
from tests.conftest import REPO

README = REPO / "README.md"
DOCS = REPO / "docs"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_docs_test_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nav_pages(nav: list) -> list[str]:
    pages = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        pages += _nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_readme_fits_on_a_few_screens():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move the rest into docs/"


def test_readme_links_point_at_files_in_the_repository():
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    assert targets
    missing = [t for t in targets if "://" not in t and not (REPO / t.split("#")[0]).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"


def test_readme_ci_snippet_is_the_shipped_job():
    """The README's CI snippet is an excerpt of docs/ci/github-actions.yml, which the suite runs as written."""
    block = re.search(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert block, "README.md has no CI snippet"
    shipped = (DOCS / "ci" / "github-actions.yml").read_text(encoding="utf-8").splitlines()
    for line in block.group(1).splitlines():
        assert line in shipped, f"README's CI snippet line is not in docs/ci/github-actions.yml: {line!r}"


def test_every_page_is_in_the_nav_and_every_nav_entry_is_a_page():
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    in_nav = set(_nav_pages(config["nav"]))
    on_disk = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert on_disk - in_nav == set(), f"pages missing from mkdocs.yml's nav: {sorted(on_disk - in_nav)}"
    assert in_nav - on_disk == set(), f"nav entries without a page: {sorted(in_nav - on_disk)}"


def test_results_markers_name_benchmarks_that_write_them():
    named = set()
    for page in DOCS.rglob("*.md"):
        named |= set(re.findall(r"^<!-- dockopt:results (\S+) -->$", page.read_text(encoding="utf-8"), re.M))
    assert named
    for name in sorted(named):
        script = REPO / "benchmarks" / f"{name}.py"
        assert script.is_file(), f"docs show benchmarks/results/{name}.json, but no benchmarks/{name}.py writes it"
        assert f'write("{name}"' in script.read_text(encoding="utf-8"), f"{script.name} does not record its results"


def test_a_result_file_renders_as_a_table_in_human_units(tmp_path):
    record = _load(REPO / "benchmarks" / "record.py")
    hooks = _load(DOCS / "hooks.py")
    record.write("demo", [{"sample": "go-api", "naive_bytes": 867_900_000, "optimised_bytes": 5_900_000,
                           "reduction_pct": 99.32, "build_s": 83.0, "ratio": 0.7, "meets_target": True}],
                 notes=["all targets met"], results_dir=tmp_path, engine=False)
    data = json.loads((tmp_path / "demo.json").read_text())
    assert data["rows"][0]["naive_bytes"] == 867_900_000  # raw numbers in the file
    assert data["measured_at"] and data["machine"]["cpus"]
    page = hooks.render_results("demo", tmp_path)
    assert "| sample | naive | optimised | reduction | build | ratio | meets target |" in page
    assert "| go-api | 868 MB | 5.9 MB | 99.3 % | 1 min 23 s | 0.70× | yes |" in page
    assert f"at commit `{data['commit']}`" in page and "- all targets met" in page


def test_an_absent_result_says_not_measured_and_how_to_measure(tmp_path):
    hooks = _load(DOCS / "hooks.py")
    page = hooks.render_results("sample_sizes", tmp_path)
    assert "Not measured yet" in page and "make bench" in page and "benchmarks/sample_sizes.py" in page
    assert "Not measured yet" in hooks.render_reports("01_traditional", tmp_path / "index.json")


def test_rendered_reports_show_their_headlines_and_conclusions(tmp_path):
    hooks = _load(DOCS / "hooks.py")
    index = tmp_path / "index.json"
    index.write_text(json.dumps({"measured_at": "2026-12-07 03:00 UTC", "commit": "abc1234", "reports": [
        {"name": "01_traditional", "title": "Traditional builds", "question": "How big is it?",
         "headlines": [{"text": "node-express: 1.09 GB → 152 MB, 86.1 % smaller"}],
         "conclusions": [{"markdown": "The base is **99 %** of the bytes.\n## Next\nSee [10_stack](10_stack.html)."}],
         "standins": [{"reference": "node:24-bookworm", "recipe": "..."}]},
        {"name": "02_multi_stage", "title": "Multi-stage", "headlines": [], "conclusions": []}]}))
    page = hooks.render_reports("01_traditional", index)
    assert "### Traditional builds (`01_traditional`)" in page and "*How big is it?*" in page
    assert "- node-express: 1.09 GB → 152 MB, 86.1 % smaller" in page
    assert "The base is **99 %** of the bytes." in page and "`node:24-bookworm`" in page
    assert "Multi-stage" not in page
    # the notebook's heading does not enter the page's outline, nor its link into reports/ the site's links
    assert "**Next**" in page and "See 10_stack." in page


def test_api_pages_follow_the_package():
    hooks = _load(DOCS / "hooks.py")
    modules = hooks.api_modules()
    assert {"build", "image", "project", "experiments", "plots", "report", "errors"} <= set(modules)
    assert "cli" not in modules and not any(m.startswith("_") for m in modules)


def test_the_site_builds_strictly(tmp_path):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings_handlers") is None:
        pytest.skip("mkdocs and mkdocstrings-python are not installed: pip install 'dockopt[docs]'")
    site = tmp_path / "site"
    done = proc.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", REPO / "mkdocs.yml", "-d", site],
                    check=False, cwd=REPO, env={"NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": os.pathsep.join(sys.path)},
                    timeout=600)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-4000:]}"
    assert "dockopt analyze" in (site / "cli.html").read_text(encoding="utf-8")  # the generated CLI reference
    api = (site / "api" / "build.html").read_text(encoding="utf-8")
    assert "BuildResult" in api  # rendered from the docstrings
    assert (site / "ci" / "github-actions.yml").is_file()  # the CI files ship with the site
