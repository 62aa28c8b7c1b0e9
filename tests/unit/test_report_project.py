"""Reports on any project or image: partial reports (a step that cannot be measured is a note that says
what and why; the steps that need it say so too), the template notebooks shipped in the package, the
parameterised copy `dockopt lab` writes, and the command line's answers for wrong input."""

from __future__ import annotations

import tomllib

import nbformat
import pytest

from dockopt import report
from dockopt.cli import main
from dockopt.errors import BuildFailed
from tests.conftest import REPO


def _fails() -> None:
    raise BuildFailed("build failed: exit code 1", step="[2/3] RUN false", hint="read the log lines")


def test_a_failed_step_is_a_note_and_what_needs_it_says_so():
    measure = report.Attempts()
    build = measure("the build", _fails)
    assert isinstance(build, report.Missing) and not build
    assert build.what == "the build" and "exit code 1" in build.reason and build.hint == "read the log lines"
    chart = measure("the layer chart", lambda steps: steps, build.steps)  # attribute of a Missing: Missing
    assert isinstance(chart, report.Missing) and chart.root == "the build"
    assert str(chart).startswith("Not shown: the layer chart. It needs the build, which could not be measured")
    first = chart._repr_markdown_()  # the first note a reader sees explains the failure, with what to do
    assert "Not shown: the layer chart" in first and "exit code 1" in first and "What to do" in first
    # later notes point back instead of repeating it
    assert build._repr_markdown_() == "> *the build: not measured (see above).*"
    table = measure("the layer table", lambda steps: steps, build.steps)
    assert "exit code 1" not in table._repr_markdown_() and "(see above)" in table._repr_markdown_()
    assert list(build.anything) == [] and build.more["x"]() is build
    summary = measure.summary()
    assert summary.startswith("**A partial report.**") and "**the build**" in summary
    assert "the layer chart" not in summary  # only first failures: the rest follows from them
    assert not measure.complete


def test_measured_steps_pass_their_results_through():
    measure = report.Attempts()
    assert measure("a sum", sum, [1, 2, 3]) == 6
    assert measure.complete and measure.summary() == "Everything this report measures was measured."


def test_an_unexpected_exception_is_still_a_note():
    measure = report.Attempts()
    missing = measure("a division", lambda: 1 / 0)
    assert "unexpected ZeroDivisionError" in missing.reason and "dockopt bug" in missing.hint


def test_provenance_skips_what_was_not_measured():
    assert report.bases_used(report.Missing("the build", "failed"), "scratch") == ("scratch",)


@pytest.mark.parametrize("template", [report.PROJECT_TEMPLATE, report.IMAGE_TEMPLATE], ids=["project", "image"])
def test_templates_ship_in_the_package_with_parameters_and_no_outputs(template):
    assert template.is_relative_to(REPO / "dockopt")
    nb = nbformat.read(template, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert all(not c.get("outputs") and not c.get("execution_count") for c in nb.cells if c.cell_type == "code")
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["dockopt"]
    assert "report/templates/*.ipynb" in data


def test_lab_writes_a_parameterised_copy_and_keeps_an_existing_one(tmp_path):
    app = tmp_path / "myapp"
    app.mkdir()
    (app / "Dockerfile").write_text("FROM scratch\n")
    notebook, written = report.lab_notebook(app, tmp_path / "work", dockerfile="Dockerfile")
    assert written and notebook == tmp_path / "work" / "myapp.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and f"project_path = \"{app.resolve()}\"" in injected[0].source
    notebook.write_text(notebook.read_text().replace("A project's image", "My own notes"))
    again, written_again = report.lab_notebook(app, tmp_path / "work")
    assert again == notebook and not written_again and "My own notes" in notebook.read_text()
    assert sorted(p.name for p in app.iterdir()) == ["Dockerfile"]  # the project folder gets nothing


def test_report_command_answers_wrong_input_clearly(tmp_path, capsys):
    assert main(["report", "--project", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["report", "--project", str(tmp_path), "notebooks/00_quickstart.ipynb"]) == 2
    assert "give no notebooks" in capsys.readouterr().err
    assert main(["report", "-f", "Dockerfile.prod"]) == 2
    assert "go with --project" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["report", "--project", ".", "--image", "x"])  # one or the other


def test_init_command_on_a_folder_without_a_dockerfile(tmp_path, capsys):
    assert main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Dockerfile" in err and "does not exist" in err and "hint:" in err
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim-bookworm\nCOPY app.py .\nEXPOSE 8000\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    assert main(["init", str(tmp_path), "--stdout"]) == 0
    assert "port = 8000" in capsys.readouterr().out and not (tmp_path / "dockopt.toml").exists()
    assert main(["init", str(tmp_path)]) == 0
    captured = capsys.readouterr()  # "wrote ..." is status (stderr); the settings are the output (stdout)
    assert "wrote" in captured.err and "wrote" not in captured.out and (tmp_path / "dockopt.toml").is_file()
