"""`# check=skip=...` and `# check=error=true` honoured by dockopt's lint, as `docker build --check` does."""

from __future__ import annotations

from pathlib import Path

from dockopt.insight import lint_files
from dockopt.insight.findings import Finding, honour_check_directives


def _finding(path: Path, build_check: str | None, rule: str = "x") -> Finding:
    return Finding(rule=rule, severity="warning", file=str(path), line=1, instruction=None, message="m", fix="f",
                   build_check=build_check)


def test_skipped_build_checks_are_dropped_and_others_kept(tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text("# syntax=docker/dockerfile:1\n# check=skip=JSONArgsRecommended,fromascasing\nFROM alpine:3.20\n")
    kept = honour_check_directives([_finding(df, "JSONArgsRecommended"), _finding(df, "FromAsCasing"),
                                    _finding(df, "UndefinedVar"), _finding(df, None, rule="dockerignore")])
    assert [(f.build_check, f.rule) for f in kept] == [("UndefinedVar", "x"), (None, "dockerignore")]


def test_skip_all_leaves_dockopts_own_rules_and_error_true_raises_severity(tmp_path):
    every = tmp_path / "all.Dockerfile"
    every.write_text("# check=skip=all\nFROM alpine:3.20\n")
    assert [f.rule for f in honour_check_directives([_finding(every, "UndefinedVar"),
                                                     _finding(every, None, rule="healthcheck")])] == ["healthcheck"]
    strict = tmp_path / "strict.Dockerfile"
    strict.write_text("# check=error=true\nFROM alpine:3.20\n")
    (raised,) = honour_check_directives([_finding(strict, "UndefinedVar")])
    assert raised.severity == "error"


def test_a_check_line_below_a_comment_is_only_a_comment(tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text("# build the api\n# check=skip=all\nFROM alpine:3.20\n")
    assert len(honour_check_directives([_finding(df, "UndefinedVar")])) == 1


def test_lint_files_drops_a_skipped_check_end_to_end(tmp_path):
    text = "FROM alpine:3.20 as build\nFROM build\nCMD echo hi\n"
    plain, skipped = tmp_path / "plain", tmp_path / "skipped"
    plain.mkdir()
    skipped.mkdir()
    (plain / "Dockerfile").write_text(text)
    (skipped / "Dockerfile").write_text("# check=skip=FromAsCasing,JSONArgsRecommended\n" + text)
    before = set(lint_files([plain / "Dockerfile"], hadolint=False)["build_check"].dropna())
    after = set(lint_files([skipped / "Dockerfile"], hadolint=False)["build_check"].dropna())
    assert "FromAsCasing" in before and "FromAsCasing" not in after
