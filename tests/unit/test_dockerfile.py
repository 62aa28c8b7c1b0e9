"""dockopt.dockerfile: BuildKit's parser plus stages, ARG substitution in FROM, edges and needed stages."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockopt import dockerfile
from dockopt.errors import DockerfileError, DockerfileNotFound

SAMPLES = Path(__file__).resolve().parents[2] / "sample_apps"


def parse(text: str, **kw):
    return dockerfile.parse("Dockerfile", text=text, **kw)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*/Dockerfile*")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_dockerfile_parses_into_stages(path):
    df = dockerfile.parse(path)
    assert df.stages and all(s.instructions[0].keyword == "FROM" for s in df.stages)
    # every instruction's lines really hold it: the first line of its text is at line_start
    lines = path.read_text().splitlines()
    for ins in df.instructions:
        assert ins.written in lines[ins.line_start - 1]


def test_stages_names_bases_and_arg_substitution():
    df = parse("ARG RUNTIME=slim\nARG V\nFROM golang:1.23 AS build\nRUN go build\n"
               "FROM debian:${RUNTIME} AS runtime-slim\nFROM scratch AS runtime-scratch\n"
               "FROM runtime-${RUNTIME} AS final\nCOPY --from=build /out /app\n")
    assert [s.label for s in df.stages] == ["build", "runtime-slim", "runtime-scratch", "final"]
    assert df.global_args == {"RUNTIME": "slim", "V": None}
    assert df.stages[1].base == "debian:slim"
    assert df.final.base == "runtime-slim" and df.final.base_stage == 1
    assert df.needed_stages() == (0, 1, 3)  # runtime-scratch is skipped, like BuildKit does
    other = parse(df.text, build_args={"RUNTIME": "scratch"})
    assert other.final.base_stage == 2 and other.needed_stages() == (0, 2, 3)


@pytest.mark.parametrize("word,scope,expected", [
    ("${A:-x}", {}, "x"), ("${A:-x}", {"A": ""}, "x"), ("${A-x}", {"A": ""}, ""),
    ("${A:+y}", {"A": "1"}, "y"), ("${A+y}", {"A": ""}, "y"), ("${A+y}", {}, ""),
    ("$A/$B", {"A": "a", "B": "b"}, "a/b"), ("node:${V:-24}-slim", {}, "node:24-slim"),
])
def test_expand_follows_buildkit_shell_forms(word, scope, expected):
    assert dockerfile.expand(word, scope) == expected


def test_edges_copy_from_index_image_and_mounts():
    df = parse("FROM node:24 AS deps\nRUN npm ci\nFROM deps AS build\n"
               "RUN --mount=type=cache,target=/root/.npm --mount=type=bind,from=deps,source=/x,target=/y make\n"
               "FROM nginx:1.27\nCOPY --from=0 /a /b\nCOPY --from=BUILD /dist /html\n"
               "COPY --from=busybox:1.35 /bin/busybox /bin/\n")
    kinds = {(e.to_stage, e.kind, e.reference, e.from_stage, e.numeric) for e in df.edges}
    assert (2, "copy", "0", 0, True) in kinds
    assert (2, "copy", "BUILD", 1, False) in kinds          # stage names are case-insensitive
    assert (2, "copy", "busybox:1.35", None, False) in kinds  # an image, not a stage
    assert (1, "mount", "deps", 0, False) in kinds
    assert (1, "from", "deps", 0, False) in kinds
    run = df.stages[1].instructions[1]
    assert run.mounts[0] == {"type": "cache", "target": "/root/.npm"}
    assert df.context_copies() == ()


def test_instruction_lines_span_continuations_and_heredocs():
    df = parse("FROM alpine:3.20\nRUN apk add \\\n    curl\nCOPY <<EOF /etc/motd\nhi\nEOF\nUSER 1000\n")
    run, copy, user = df.final.instructions[1:]
    assert (run.line_start, run.line_end) == (2, 3)
    assert copy.heredocs == ("EOF",) and (copy.line_start, copy.line_end) == (4, 6)
    assert df.instruction_at(5) is copy and df.instruction_at(7) is user
    assert df.final.instructions[0].stage_index == 0 and user.stage_index == 0


def test_case_is_kept_for_casing_rules():
    df = parse("from alpine:3.20 as base\nRun echo hi\n")
    assert df.final.name == "base" and df.final.instructions[1].keyword == "RUN"
    assert df.final.instructions[1].written == "Run"


@pytest.mark.parametrize("text,line", [("RUN echo\nFROM x\n", 1), ("ARG A\n", None), ("FROM\n", 1)])
def test_text_buildkit_refuses_is_a_dockerfile_error(text, line):
    with pytest.raises(DockerfileError) as err:
        parse(text)
    assert err.value.line == line


def test_missing_file_and_unknown_stage():
    with pytest.raises(DockerfileNotFound):
        dockerfile.parse("/nonexistent/Dockerfile")
    with pytest.raises(DockerfileError, match="no stage 'nope'"):
        parse("FROM a AS one\n").target("nope")


# --- read as BuildKit reads it: shapes found in public Dockerfiles (benchmarks/dockerfile_corpus.py) ---------


def test_a_global_arg_default_uses_the_global_args_before_it():
    df = parse("ARG ALPINE_VERSION=3.20\nARG BASE=alpine:${ALPINE_VERSION}\nFROM ${BASE}\nRUN true\n")
    assert df.final.base == "alpine:3.20" and df.global_args["BASE"] == "alpine:3.20"
    # a build arg overrides the ARG it names, and every default built from it
    assert parse(df.text, build_args={"ALPINE_VERSION": "3.19"}).final.base == "alpine:3.19"
    assert parse(df.text, build_args={"BASE": "busybox:1.36"}).final.base == "busybox:1.36"


def test_a_build_arg_for_an_undeclared_name_does_not_reach_from():
    assert parse("FROM debian:${SUITE:-bookworm}\n", build_args={"SUITE": "trixie"}).final.base == "debian:bookworm"


@pytest.mark.parametrize("platform,base", [("linux/amd64", "app-linux-amd64"), ("linux/arm64", "app-linux-arm64"),
                                           ("linux/arm/v7", "app-linux-arm-v7")])
def test_platform_args_are_set_in_from_without_being_declared(platform, base):
    df = parse("FROM alpine:3.20 AS app-linux-amd64\nFROM alpine:3.20 AS app-linux-arm64\n"
               "FROM alpine:3.20 AS app-linux-arm-v7\n"
               "FROM app-${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-$TARGETVARIANT}\n", platform=platform)
    assert df.final.base == base and df.final.base_stage is not None
    assert df.needed_stages() == (df.final.base_stage, 3)


def test_platform_args_inside_a_stage_need_an_arg_line():
    df = parse("FROM --platform=$BUILDPLATFORM golang:1.23 AS build\nWORKDIR /out/$TARGETARCH\nARG TARGETARCH\n"
               "WORKDIR /out/$TARGETARCH\n", platform="linux/arm64")
    assert df.stages[0].platform == "linux/arm64"
    before, after = df.stages[0].instructions[1:4:2]
    # unset here: kept as written (it may come from the base image's ENV), and listed as unmatched
    assert before.values == ("/out/$TARGETARCH",) and before.unmatched == {"TARGETARCH"}
    assert after.values == ("/out/arm64",)
    assert dockerfile.platform_args("linux/arm/v7")["TARGETVARIANT"] == "v7"
    assert dockerfile.host_platform().startswith("linux/")


def test_stage_scope_bare_arg_takes_the_global_value_and_env_is_inherited_by_child_stages():
    df = parse("ARG PORT=80\nFROM node:22 AS base\nARG PORT\nENV APP_HOME=/srv/app\nEXPOSE $PORT\n"
               "FROM base\nWORKDIR $APP_HOME\nEXPOSE ${PORT:-3000}\n")
    assert df.stages[0].instructions[3].values == ("80",)
    workdir, expose = df.final.instructions[1:]
    assert workdir.values == ("/srv/app",)        # ENV crosses FROM <stage>
    assert expose.values == ("3000",)            # ARG does not: it must be declared again


@pytest.mark.parametrize("word,expected", [
    (r"\$FOO", "$FOO"),                 # an escaped dollar is a dollar
    ("'$FOO'", "$FOO"),                 # single quotes keep it literal
    ('"$FOO"', "foo"),                  # double quotes expand
    (r'"\$FOO"', "$FOO"),
    ("${FOO:+set}", "set"), ("${NOPE:-d}", "d"),
    ("${PATHS#*/}", "b/c"), ("${PATHS##*/}", "c"), ("${PATHS%/*}", "a/b"), ("${PATHS%%/*}", "a"),
    ("${PATHS//\\//-}", "a-b-c"),
    ("$$", ""),                         # a special parameter: nothing BuildKit sets
])
def test_process_word_follows_buildkits_lexer(word, expected):
    assert dockerfile.process_word(word, {"FOO": "foo", "PATHS": "a/b/c"}).result == expected


def test_process_word_tells_a_default_from_a_guess():
    word = dockerfile.process_word("${A:-x}/$B/${C:+y}", {})
    assert word.result == "x//" and word.unmatched == {"A", "B", "C"} and word.unresolved == {"B", "C"}


def test_escaped_and_quoted_dollars_are_not_variables_of_the_instruction():
    df = parse("FROM alpine:3.20\nENV A=\\$HOME B='$USER' C=\"$NOPE\" D=${NOPE:-none}\n")
    env = df.final.instructions[1]
    # only $NOPE is a variable; unset without a default, its word is kept as written (the base image may set it)
    assert env.values == ("A", "$HOME", "B", "$USER", "C", '"$NOPE"', "D", "none")
    assert env.unmatched == {"NOPE"}


def test_the_escape_directive_changes_the_escape_character():
    df = parse("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nENV DIR=C:\\Users\\app`$HOME\n")
    assert df.escape == "`" and df.final.instructions[1].values[1] == "C:\\Users\\app$HOME"


def test_a_word_the_lexer_refuses_in_from_is_a_dockerfile_error():
    with pytest.raises(DockerfileError, match="bad substitution"):
        parse("FROM alpine:${}\n")


def test_onbuild_keeps_its_inner_instruction_with_flags():
    df = parse("FROM node:22\nONBUILD COPY --chown=node:node package.json ./\nONBUILD RUN npm ci\n")
    copy, run = (i.inner for i in df.final.instructions[1:])
    assert copy is not None and copy.keyword == "COPY" and copy.flag("chown") == "node:node"
    assert copy.args == ("package.json", "./") and run is not None and run.keyword == "RUN"
    # ONBUILD runs in images built FROM this one: nothing here reads the context
    assert df.context_copies() == ()


def test_parser_and_check_directives():
    df = parse("# syntax=docker/dockerfile:1.7\n# check=skip=JSONArgsRecommended,StageNameCasing;error=true\n"
               "FROM alpine:3.20\nCMD echo hi\n")
    assert df.directives["syntax"] == "docker/dockerfile:1.7"
    assert df.check_skip == {"jsonargsrecommended", "stagenamecasing"} and df.check_error
    assert df.skips("JSONArgsRecommended") and not df.skips("UndefinedVar")
    assert parse("# check=skip=all\nFROM a\n").skips("UndefinedVar")
    # a directive after a comment or an instruction is only a comment
    late = parse("# a comment first\n# check=skip=all\nFROM a\n")
    assert late.directives == {} and not late.skips("UndefinedVar")


def test_mounts_are_inputs_of_their_run():
    df = parse("ARG REQ=requirements.txt\nFROM python:3.12-slim\nARG REQ\n"
               "RUN --mount=type=bind,src=$REQ,dst=/tmp/req.txt --mount=type=cache,target=/root/.cache/pip "
               "--mount=type=secret,id=pip_token --mount=type=bind,from=ghcr.io/x/wheels:1,source=/w,target=/w "
               "--mount=type=bind,target=/src pip install -r /tmp/req.txt\n")
    run = df.final.instructions[2]
    bind, cache, secret, image, whole = run.mounts
    assert bind == {"type": "bind", "source": "requirements.txt", "target": "/tmp/req.txt"}
    assert cache["type"] == "cache" and secret == {"type": "secret", "id": "pip_token"}
    assert run.context_mounts() == (bind, whole)   # the image mount reads no context
    assert ("mount", "ghcr.io/x/wheels:1") in {(e.kind, e.reference) for e in df.edges}


def test_a_heredoc_followed_by_a_comment_is_read():
    df = parse("FROM alpine:3.20\nRUN <<EOF\nset -e\necho hi\nEOF\n# a comment after the heredoc\nCOPY app /app\n")
    run, copy = df.final.instructions[1:]
    assert run.heredocs == ("EOF",) and (run.line_start, run.line_end) == (2, 5)
    assert copy.line_start == 7 and df.context_copies() == (copy,)


def test_copy_from_is_not_expanded_as_buildkit_refuses_to():
    df = parse("ARG STAGE=build\nFROM alpine:3.20 AS build\nFROM alpine:3.20\nCOPY --from=$STAGE /a /a\n")
    copy = df.final.instructions[1]
    assert copy.flag("from") == "$STAGE"


def test_context_inputs_are_copies_and_bind_mounts_of_the_context():
    df = parse("FROM golang:1.23 AS build\nRUN --mount=type=bind,target=. --mount=type=cache,target=/root/.cache "
               "go build -o /out/app .\nFROM scratch\nCOPY --from=build /out/app /app\nCOPY config.yaml /etc/\n")
    assert [(i.stage_index, i.keyword) for i in df.context_inputs()] == [(0, "RUN"), (1, "COPY")]
    assert df.context_inputs(0)[0].context_mounts() == ({"type": "bind", "target": "."},)
