"""The command line on the real engine: aligned tables in human units, the same tables as JSON with raw
numbers (`--json`), for build, layers, bases catalog and engine."""

from __future__ import annotations

import json
import uuid

from dockopt import engine
from dockopt.cli import main
from tests import isolation

DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
COPY payload.bin /payload.bin
CMD ["/bin/busybox", "true"]
"""


def test_build_and_layers_print_human_units_or_json(docker_engine, busybox_context, capsys):
    (busybox_context / "Dockerfile").write_text(DOCKERFILE)
    (busybox_context / "payload.bin").write_bytes(b"x" * 2_500_000)
    tag = f"{isolation.current().namespace}/cli-output:{uuid.uuid4().hex[:8]}"
    try:
        assert main(["build", str(busybox_context), "-t", tag, "-q", "--label", f"{isolation.current().label}"]) == 0
        out = capsys.readouterr().out
        header = out.splitlines()[0].split()
        assert header == ["stage", "index", "total", "instruction", "cached", "duration"]
        assert f"{tag}: " in out and " MB, " in out  # "…: 3.7 MB, 0.52 s, 0/2 steps cached"

        assert main(["build", str(busybox_context), "-t", tag, "-q", "--json",
                     "--label", f"{isolation.current().label}"]) == 0
        steps = json.loads(capsys.readouterr().out)
        assert all(isinstance(s["duration_s"], float) for s in steps) and all(s["cached"] for s in steps
                                                                               if s["dockerfile_step"])

        assert main(["layers", tag]) == 0
        text = capsys.readouterr().out
        assert "2.5 MB" in text and "COPY payload.bin /payload.bin" in text and "2500000" not in text
        assert main(["layers", tag, "--json"]) == 0
        layers = json.loads(capsys.readouterr().out)
        assert 2_500_000 in [layer["size_bytes"] for layer in layers]
    finally:
        engine.remove_image(tag, force=True)


def test_engine_and_catalog_as_json(docker_engine, capsys):
    assert main(["engine", "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["api_version"].startswith("1.") and facts["storage_driver"]
    assert main(["bases", "catalog", "busybox:1.35", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["reference"] == "busybox:1.35" and (row["size_bytes"] is None or row["size_bytes"] > 0)


ARG_DOCKERFILE = """\
FROM scratch
ARG PAYLOAD
COPY ${PAYLOAD} /payload.bin
CMD ["/bin/busybox", "true"]
"""


def test_build_arg_from_the_environment_format_o_and_exit_codes(docker_engine, busybox_context, capsys, monkeypatch,
                                                                 tmp_path_factory):
    """`--build-arg KEY` takes KEY's value from the environment (as docker does); `--format json -o FILE`
    writes the report there and says so on stderr; a build that breaks exits 3 (could not run), a missing
    context 2 (usage)."""
    (busybox_context / "Dockerfile").write_text(ARG_DOCKERFILE)
    (busybox_context / "named-by-env.bin").write_bytes(b"y" * 1_200_000)
    monkeypatch.setenv("PAYLOAD", "named-by-env.bin")
    tag = f"{isolation.current().namespace}/cli-output:{uuid.uuid4().hex[:8]}"
    out = tmp_path_factory.mktemp("out") / "steps.json"
    label = isolation.current().label
    try:
        assert main(["build", str(busybox_context), "-t", tag, "-q", "--build-arg", "PAYLOAD", "--label", label,
                     "--format", "json", "-o", str(out)]) == 0
        captured = capsys.readouterr()
        assert captured.out == "" and f"wrote {out}" in captured.err
        steps = json.loads(out.read_text())
        assert any("COPY" in str(s["instruction"]) for s in steps)
        assert main(["layers", tag, "--format", "json"]) == 0
        assert 1_200_000 in [layer["size_bytes"] for layer in json.loads(capsys.readouterr().out)]

        monkeypatch.setenv("PAYLOAD", "not-in-the-context.bin")
        assert main(["build", str(busybox_context), "-t", tag, "-q", "--build-arg", "PAYLOAD",
                     "--label", label]) == 3
        assert "error:" in capsys.readouterr().err
        assert main(["build", str(busybox_context / "nope"), "-q"]) == 2
    finally:
        if engine.image_exists(tag):
            engine.remove_image(tag, force=True)

