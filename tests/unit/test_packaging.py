"""What `pip install dockopt` brings: the core without a Jupyter stack, the extras, environment.yml in step."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import REPO

# conda-forge spells a few packages differently from PyPI.
CONDA_TO_PYPI = {"docker-py": "docker", "python-build": "build"}
JUPYTER_STACK = {"jupyterlab", "notebook", "ipywidgets", "anywidget", "ipykernel", "ipython", "nbconvert", "nbclient",
                 "nbformat", "papermill", "itables", "jupyter-client", "traitlets", "jinja2"}


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[;]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _specs() -> dict[str, str]:
    """Every requirement of the core and the extras, by name (the extras' self-references left out)."""
    project = _project()
    specs = [*project["dependencies"], *(d for extra in project["optional-dependencies"].values() for d in extra)]
    return {_name(d): d.split("#")[0].replace(" ", "") for d in specs if _name(d) != "dockopt"}


def _conda() -> dict[str, str]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    listed: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            listed |= {_name(d): d.replace(" ", "") for d in dep["pip"] if not d.startswith("-")}
        elif not dep.startswith(("python", "pip")) or dep.startswith("python-"):
            name = CONDA_TO_PYPI.get(_name(dep), _name(dep))
            listed[name] = name + dep[len(_name(dep)):].replace(" ", "")
    return listed


def test_environment_yml_lists_exactly_the_pyproject_dependencies():
    wanted, listed = _specs(), _conda()
    assert set(listed) == set(wanted), (f"only in environment.yml: {set(listed) - set(wanted)}; "
                                        f"only in pyproject: {set(wanted) - set(listed)}")
    differ = {n: (wanted[n], listed[n]) for n in wanted if wanted[n].lower() != listed[n].lower().replace("_", "-")}
    assert not differ, f"versions differ (pyproject, environment.yml): {differ}"


def test_the_core_install_has_no_jupyter_stack_and_the_extras_do():
    project = _project()
    core = {_name(d) for d in project["dependencies"]}
    assert not core & JUPYTER_STACK, f"core dependencies that belong in an extra: {core & JUPYTER_STACK}"
    extras = project["optional-dependencies"]
    assert {"jupyterlab", "ipywidgets", "anywidget"} <= {_name(d) for d in extras["lab"]}
    assert {"papermill", "nbconvert", "nbformat", "jinja2"} <= {_name(d) for d in extras["report"]}
    assert extras["test"][0].startswith("dockopt[lab,report,docs")  # `make venv` installs '.[test]': everything


def test_the_extras_modules_match_what_pyproject_declares():
    from dockopt import extras

    project = _project()
    for extra, modules in extras.MODULES.items():
        declared = {_name(d) for d in project["optional-dependencies"][extra]}
        assert {m.lower().replace("_", "-") for m in modules} <= declared, extra


def test_linters_are_pinned_so_a_release_does_not_break_make_lint():
    test = {_name(d): d for d in _project()["optional-dependencies"]["test"]}
    for tool in ("ruff", "mypy"):
        assert re.search(r"(==|~=)", test[tool]), test[tool]


def test_the_license_file_matches_pyproject_and_ships():
    project = _project()
    assert project["license"] == "Apache-2.0" and "LICENSE" in project["license-files"]
    assert "Apache License" in (REPO / "LICENSE").read_text()[:200]
    assert project["urls"] and "Typing :: Typed" in project["classifiers"]
