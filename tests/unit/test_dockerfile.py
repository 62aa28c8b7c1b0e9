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
