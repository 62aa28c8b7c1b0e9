"""Lint a team would keep on: shapes of Dockerfiles (written here, after public ones) where lint cried wolf
or lost a check. No engine: the base images' Env comes from the usual names (``base_env.USUAL``)."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest

from dockopt import insight
from dockopt.cli import main
from dockopt.insight import base_env


@pytest.fixture(autouse=True)
def _no_engine_lookup(monkeypatch):
    monkeypatch.setattr(base_env, "_engine_answers", False)


def _lint(tmp_path, text: str, name: str = "Dockerfile", **files: str):
    for rel, body in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(body)
    df = tmp_path / name
    df.write_text(text)
    return insight.lint_files([df])


HEREDOC_THEN_COMMENT = """FROM alpine:3.20
RUN <<EOF
apk add --no-cache curl
EOF
# serve
CMD ["sh"]
"""


def test_hadolint_unable_to_parse_a_valid_file_is_a_note_not_an_error(tmp_path, capsys):
    table = _lint(tmp_path, HEREDOC_THEN_COMMENT)
    assert "DL1000" not in set(table["rule"]) and not (table["severity"] == "error").any()
    assert any("hadolint could not parse" in n for n in table.attrs["notes"])
    assert "runs-as-root" in set(table["rule"])  # dockopt's own rules still ran
    assert main(["lint", str(tmp_path / "Dockerfile")]) == 0
    captured = capsys.readouterr()
    assert "note:" in captured.err and "hadolint could not parse" in captured.err
    assert "DL1000" not in captured.out


def test_a_file_buildkit_refuses_is_still_an_error(tmp_path):
    table = _lint(tmp_path, "FROM scratch\nRUNN x\n")
    assert {"DL1000", "invalid-dockerfile"} <= set(table["rule"])
    assert "unknown instruction: RUNN" in set(table["message"])


def test_static_lint_keeps_the_cache_codes_only_measure_would_cover(tmp_path):
    table = _lint(tmp_path, "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-"
                            "recommends curl=7.88.1-10\nRUN pip install flask==3.0.0\nUSER 1000\n")
    assert {"DL3009", "DL3042"} <= set(table["rule"])  # package-caches needs an image: it did not run


def test_covered_codes_follow_the_rules_that_ran():
    from dockopt.insight.measure import covered_codes

    assert covered_codes(["unpinned-base"]) == {"DL3006", "DL3007"}
    assert {"DL3009", "DL3042"} <= covered_codes(["unpinned-base", "package-caches"])


def test_a_folder_holding_only_the_dockerfile_needs_no_dockerignore(tmp_path):
    table = _lint(tmp_path, "FROM alpine:3.20\nCOPY . /app\nUSER 1000\n")
    assert "dockerignore" not in set(table["rule"])


def test_dockerignore_costs_what_the_build_does_not_read(tmp_path):
    big = "x" * (2 << 20)
    table = _lint(tmp_path, "FROM alpine:3.20\nCOPY app.sh /app/\nUSER 1000\n",
                  **{"app.sh": "echo hi\n", "data/dump.sql": big})
    row = table[table["rule"] == "dockerignore"].iloc[0]
    assert row["cost_bytes"] == len(big) and "no COPY, ADD or bind mount reads" in row["message"]


def test_junk_in_a_small_context_still_needs_a_dockerignore(tmp_path):
    # a context under the unread-bytes allowance skips Docker's matcher, unless it holds junk
    table = _lint(tmp_path, "FROM alpine:3.20\nCOPY app.sh /app/\nUSER 1000\n",
                  **{"app.sh": "echo hi\n", "node_modules/left-pad/index.js": "module.exports = 1\n"})
    assert "host-installed modules" in table[table["rule"] == "dockerignore"].iloc[0]["message"]


def test_static_lint_loads_no_pandas_or_docker_sdk(tmp_path):
    """`dockopt lint Dockerfile` stays light (issue 16: <= 0.3 s over hadolint): every output format is
    drawn from plain rows; the engine is asked for a base's Env only when a name is otherwise undefined."""
    from tests.light_cli import heavy_imports

    (tmp_path / "app.py").write_text("print('hi')\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nWORKDIR $HOME/app\nCOPY . .\n"
                                         "RUN pip install flask\nCMD [\"python\", \"app.py\"]\n")
    for fmt in ("table", "json", "sarif", "junit"):
        heavy, code, printed = heavy_imports(["lint", str(tmp_path), "--format", fmt])
        assert (heavy, code) == ([], 0), (fmt, printed[-3000:])
        assert "runs-as-root" in printed


def test_dockerignore_counts_nothing_a_bind_mount_reads_as_unread(tmp_path):
    table = _lint(tmp_path, "FROM alpine:3.20\nRUN --mount=type=bind,target=/src cp -r /src /app\nUSER 1000\n",
                  **{"data/dump.sql": "x" * (2 << 20)})
    assert "dockerignore" not in set(table["rule"])


def test_envrc_is_not_an_env_file_but_env_is(tmp_path):
    envrc = _lint(tmp_path, "FROM alpine:3.20\nCOPY . /app\nUSER 1000\n", **{".envrc": "use nix\n"})
    assert "dockerignore" not in set(envrc["rule"])
    (tmp_path / ".env").write_text("TOKEN=x\n")
    table = insight.lint_files([tmp_path / "Dockerfile"])
    assert "an .env file" in table[table["rule"] == "dockerignore"].iloc[0]["message"]


@pytest.mark.parametrize("line", ["WORKDIR $HOME/app", "ENV PATH=$JAVA_HOME/bin:$PATH",
                                  "LABEL node=${NODE_VERSION}", "ENV GOBIN=$GOPATH/bin",
                                  "LABEL literal=\\$NOT_EXPANDED", "LABEL quoted='$NOT_EXPANDED'",
                                  "WORKDIR ${APP_DIR:-/app}"])
def test_undefined_var_knows_base_image_variables_escapes_and_defaults(tmp_path, line):
    table = _lint(tmp_path, f"FROM eclipse-temurin:21-jre\n{line}\nUSER 1000\n")
    assert "undefined-var" not in set(table["rule"]), line


def test_undefined_var_still_finds_a_typo(tmp_path):
    table = _lint(tmp_path, "FROM node:24\nARG APP_PORT=3000\nEXPOSE $APP_PROT\n")
    assert set(table[table["rule"] == "undefined-var"]["message"]) == {
        "$APP_PROT is used but never defined in this stage"}


def test_undefined_var_reads_the_base_config_env_when_the_engine_has_it(monkeypatch, tmp_path):
    monkeypatch.setattr(base_env, "_engine_answers", True)
    monkeypatch.setattr(base_env, "_engine_env", lambda ref: frozenset({"APP_HOME"}) if ref == "corp/base:1" else None)
    table = _lint(tmp_path, "FROM corp/base:1\nWORKDIR $APP_HOME\n\nFROM alpine:3.20\nWORKDIR $APP_HOME\n")
    assert list(table[table["rule"] == "undefined-var"]["line"]) == [5]


def test_dl3025_on_healthcheck_is_not_named_json_args_recommended(tmp_path):
    table = _lint(tmp_path, "FROM alpine:3.20\nHEALTHCHECK CMD wget -q -O- localhost\nCMD sh -c serve\n")
    dl3025 = table[table["rule"] == "DL3025"]
    labels = {int(line): check for line, check in zip(dl3025["line"], dl3025["build_check"])}
    assert labels[3] == "JSONArgsRecommended"
    assert 2 not in labels or not isinstance(labels[2], str)


def test_many_files_lint_independently_and_every_path_says_what_it_is(tmp_path, capsys):
    good = tmp_path / "good" / "Dockerfile"
    good.parent.mkdir()
    good.write_text("FROM alpine\nCOPY . /app\n")
    invalid = tmp_path / "Dockerfile.invalid"
    invalid.write_text("RUN echo before from\n")
    binary = tmp_path / "image.tar"
    binary.write_bytes(b"\0\1\2" * 100)
    readme = tmp_path / "README.md"
    readme.write_text("hello there\n")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    targets = [good.parent, invalid, binary, readme, empty_dir, tmp_path / "missing"]
    table = insight.lint_files(targets)
    said = {str(f): m for f, m in zip(table["file"], table["message"]) if str(f) != str(good)}
    assert "unpinned-base" in set(table[table["file"] == str(good)]["rule"])  # the valid one's findings
    assert "RUN before the first FROM" in said[str(invalid)]
    assert "binary file" in said[str(binary)] and "not a Dockerfile" in said[str(readme)]
    assert said[str(empty_dir)] == "a folder without a Dockerfile"
    assert said[str(tmp_path / "missing")] == "no such file or folder"
    assert main(["lint", *map(str, targets), "--format", "json"]) == 1  # checks failed, not usage
    rows = json.loads(capsys.readouterr().out)
    assert {r["rule"] for r in rows} >= {"unpinned-base", "invalid-dockerfile", "not-a-dockerfile"}


def test_nothing_lintable_is_a_usage_error(tmp_path, capsys):
    assert main(["lint", str(tmp_path / "missing"), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no such file or folder" in err and "a folder without a Dockerfile" in err


def test_sarif_and_junit_carry_the_same_findings(tmp_path, capsys):
    df = tmp_path / "Dockerfile"
    df.write_text(HEREDOC_THEN_COMMENT)
    assert main(["lint", str(df), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert main(["lint", str(df), "--format", "sarif"]) == 0
    sarif = json.loads(capsys.readouterr().out)
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0" and len(run["results"]) == len(rows) > 0
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(df)
    assert "hadolint could not parse" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert main(["lint", str(df), "--format", "junit"]) == 0
    suite = ElementTree.fromstring(capsys.readouterr().out)
    assert suite.tag == "testsuite" and int(suite.get("tests")) == len(rows) and suite.get("failures") == "0"


def test_measure_on_a_missing_path_says_it_is_a_path(tmp_path, capsys):
    assert main(["lint", "--measure", str(tmp_path / "no" / "such")]) == 2
    assert "no such file or folder (a path, so not an image reference)" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "why"), [
    ('FROM node:20\nCOPY . .\nEXPOSE 3000\nCMD ["node", "server.js"]\n', "exposes 3000"),
    ("FROM nginx:1.27\nCOPY site /usr/share/nginx/html\n", "base nginx:1.27"),
    ("FROM python:3.12-slim\nCMD gunicorn app:app -b 0.0.0.0:8000\n", "runs gunicorn"),
    ('FROM node:20\nCMD ["npm", "start"]\n', "runs `npm start`"),
])
def test_healthcheck_fires_on_services_and_says_why(tmp_path, text, why):
    table = _lint(tmp_path, text)
    row = table[table["rule"] == "healthcheck"].iloc[0]
    assert row["evidence"].endswith(f"a service: {why}")


def test_a_command_line_tool_needs_no_healthcheck(tmp_path):
    # jessfraz/dockerfiles' shape: a tool run once per container, nothing listening, nothing to probe
    table = _lint(tmp_path, 'FROM alpine:3.20\nRUN apk add --no-cache nmap\nENTRYPOINT ["nmap"]\n')
    assert "healthcheck" not in set(table["rule"])


@pytest.mark.parametrize(("text", "severity"), [
    # microservices-demo's cartservice: the project file is restored first, the publish needs the sources
    ("FROM mcr.microsoft.com/dotnet/sdk:8.0 AS builder\nWORKDIR /app\nCOPY cartservice.csproj .\n"
     "RUN dotnet restore cartservice.csproj\nCOPY . .\nRUN dotnet publish cartservice.csproj -o /out\n", None),
    # distroless' C example: the step after the copy compiles the sources; only edits of other files are waste
    ("FROM gcc:12 AS build-env\nCOPY . /app\nWORKDIR /app\nRUN cc hello.c -o hello\n", "info"),
    # awesome-compose's aspnet app: the whole context before a build that restores every package
    ("FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build\nCOPY . /src\nWORKDIR /src\nRUN ls\n"
     "RUN dotnet build app.csproj -o /app/build\n", "warning"),
    ("FROM node:20\nWORKDIR /app\nCOPY . .\nRUN yarn && yarn build\n", "warning"),
])
def test_broad_copy_warns_before_an_install_and_informs_before_a_compile(tmp_path, text, severity):
    table = _lint(tmp_path, text)
    found = table[table["rule"] == "broad-context-copy"]
    assert (found.iloc[0]["severity"] if len(found) else None) == severity
