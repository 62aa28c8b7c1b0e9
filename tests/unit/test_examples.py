"""The guide's recipes per stack (notebooks/guide/examples/examples.toml) without an engine: the manifest
loads and names real samples, bad manifests say what is wrong, the summary and chart are drawn from a
table recorded from a real run (experiments.guide_examples("go-api") on Engine 20.10, stand-in bases,
Debian's docker-registry 2.8 on 127.0.0.1:5000)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dockopt import plots, samples
from dockopt.dockerfile import parse
from dockopt.errors import SampleError
from dockopt.experiments import guide_example, load_examples
from dockopt.experiments.examples import EXAMPLE_COLUMNS, missing_bases, summary

# experiments.guide_examples("go-api").table, recorded (bases left out)
GO_API = pd.DataFrame([
    {"variant": "naive", "kind": "naive", "dockerfile": "Dockerfile.naive", "status": "measured",
     "image": "ns/go-api:naive", "size_bytes": 867893535, "compressed_bytes": 303999293, "layers": 10,
     "reduction_pct": 0.0},
    {"variant": "guide", "kind": "guide", "dockerfile": "go-api.Dockerfile", "status": "measured",
     "image": "ns/go-api:guide", "size_bytes": 16513117, "compressed_bytes": 8614090, "layers": 2,
     "reduction_pct": 98.1, "packages": 16, "shells": "/bin/sh, /bin/ash, /bin/busybox",
     "package_managers": "/sbin/apk", "compilers": "", "user": "(unset: root)", "runs_as_root": True,
     "healthcheck": False, "secrets": 0,
     "started": False, "note": "ns/go-api:guide: the container stopped (exit code 1); log: exec /app/myapp: "
                               "no such file or directory"},
    {"variant": "guide + CGO_ENABLED=0", "kind": "guide", "dockerfile": "go-api.Dockerfile", "status": "measured",
     "image": "ns/go-api:guide-cgo-enabled-0", "size_bytes": 16441251, "compressed_bytes": 8570930, "layers": 2,
     "reduction_pct": 98.1, "packages": 16, "shells": "/bin/sh, /bin/ash, /bin/busybox",
     "package_managers": "/sbin/apk", "compilers": "", "user": "(unset: root)", "runs_as_root": True,
     "healthcheck": False, "secrets": 0,
     "started": True, "ready_s": 0.015},
    {"variant": "optimised", "kind": "optimised", "dockerfile": "Dockerfile", "status": "measured",
     "image": "ns/go-api:optimised", "size_bytes": 5873816, "compressed_bytes": 2559088, "layers": 1,
     "reduction_pct": 99.3, "packages": 2, "shells": "", "package_managers": "", "compilers": "",
     "user": "65532:65532", "runs_as_root": False, "healthcheck": True, "secrets": 0, "started": True,
     "ready_s": 0.011},
], columns=EXAMPLE_COLUMNS)


def test_every_recipe_names_a_sample_and_parses():
    examples = load_examples()
    assert set(examples) <= set(samples.names())
    assert {"node-express", "go-api", "python-fastapi", "vue-spa", "dotnet-webapi"} <= set(examples)
    for ex in examples.values():
        df = parse(ex.dockerfile)
        assert len(df.stages) >= 2, f"{ex.dockerfile.name}: the guide's recipes are multi-stage"
        for role in ex.also:
            samples.load(ex.sample).dockerfile_spec(role)


def test_a_recipe_for_an_unknown_sample_names_the_known_ones():
    with pytest.raises(SampleError) as err:
        guide_example("cobol-batch")
    assert "go-api" in (err.value.hint or "")


@pytest.mark.parametrize("body, problem", [
    ('[x]\ndockerfile = "a.Dockerfile"\nguide_bases = "a"\nclaim = "c"\ncolour = "red"\n', "unknown field 'colour'"),
    ('[x]\ndockerfile = "a.Dockerfile"\nguide_bases = "a"\n', "field 'claim' must be a string"),
    ('[x]\ndockerfile = "nope.Dockerfile"\nguide_bases = "a"\nclaim = "c"\n', "does not exist"),
    ('[x]\ndockerfile = "a.Dockerfile"\nguide_bases = "a"\nclaim = "c"\nport = 70000\n', "not a TCP port"),
    ('[x]\ndockerfile = "a.Dockerfile"\nguide_bases = "a"\nclaim = "c"\n[x.variants.v]\nargs = 1\n', "build_args"),
    ("[x\n", "not valid TOML"),
])
def test_a_bad_manifest_says_what_is_wrong(tmp_path: Path, body: str, problem: str):
    (tmp_path / "a.Dockerfile").write_text("FROM scratch AS a\nFROM scratch\n")
    (tmp_path / "examples.toml").write_text(body)
    with pytest.raises(SampleError) as err:
        load_examples(tmp_path / "examples.toml")
    assert problem in err.value.message


def test_registry_only_bases_are_named_and_stand_ins_are_not():
    examples = load_examples()
    assert set(missing_bases(examples["dotnet-webapi"].dockerfile)) == {"mcr.microsoft.com/dotnet/sdk:8.0",
                                                                         "mcr.microsoft.com/dotnet/aspnet:8.0"}


def test_summary_says_which_recipe_reaches_the_guides_80_percent_and_which_did_not_start():
    text = summary(GO_API, "go-api", "the final image is just a few MB")
    assert "98.1 % smaller than the naive image (reaches the guide's" in text
    assert "**did not start**" in text and "exec /app/myapp" in text
    assert "16.5 MB" in text and "5.87 MB" in text and "0.36× the guide's recipe" in text
    assert "just a few MB" in text


def test_summary_says_where_the_guides_claim_falls_short():
    table = GO_API.copy()
    table.loc[1, ["size_bytes", "reduction_pct"]] = [800_000_000, 7.8]
    assert "7.8 % smaller than the naive image (falls short of the guide's" in summary(table, "go-api")


def test_skipped_rows_keep_their_place_and_reason_in_summary_and_chart():
    table = pd.concat([GO_API, pd.DataFrame([{"variant": "spring-boot", "kind": "extra", "dockerfile": "x",
                                              "status": "skipped", "note": "needs registry access for maven"}])],
                      ignore_index=True)
    assert "spring-boot (x): skipped, needs registry access for maven." in summary(table, "java")
    fig = plots.guide_examples(table)
    assert list(fig.layout.xaxis.categoryarray) == list(table["variant"])
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "skipped:" in texts and "did not start" in texts
    sizes = next(t for t in fig.data if t.type == "bar")
    assert list(sizes.x) == ["naive", "guide", "guide + CGO_ENABLED=0", "optimised"]
