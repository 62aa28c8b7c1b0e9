"""optimise without the engine: what it reads from each sample's naive Dockerfile and from the projects
under tests/fixtures/optimise, the Dockerfiles its recipes write (parsed back by BuildKit's parser), the
.dockerignore it adds or merges, the generic stack's safe edits, and the CLI's refusal to overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest

import dockopt
from dockopt.cli import main
from dockopt.dockerfile import parse
from dockopt.optimise import ignore, recipes
from dockopt.optimise.facts import AppFacts, read_facts
from dockopt.project import project
from dockopt.samples import samples_dir

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "optimise"


def _facts(path: Path, dockerfile: str | None = None) -> AppFacts:
    p = project(path, dockerfile)
    files = frozenset(f.relative_to(p.context).as_posix() for f in p.context.rglob("*") if f.is_file())
    return read_facts(p, files)


@pytest.mark.parametrize(("sample", "flavour", "command", "probe"), [
    ("node-express", "node-server", ("node", "src/server.js"), ("node", "/app/healthcheck.js")),
    ("vue-spa", "node-spa", ("npm", "run", "dev"), ()),
    ("go-api", "go", ("./server",), ("/app/server", "-healthcheck")),
    ("python-fastapi", "python", ("python3", "-m", "uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"),
     ("python3", "-m", "app.healthcheck")),
    ("java", "java", ("java", "-jar", "app.jar"),
     ("java", "-XX:TieredStopAtLevel=1", "-Xmx16m", "-jar", "/app/app.jar", "--healthcheck")),
])
def test_facts_of_each_naive_sample(sample: str, flavour: str, command: tuple[str, ...],
                                    probe: tuple[str, ...]) -> None:
    facts = _facts(samples_dir() / sample, "Dockerfile.naive")
    assert facts.flavour == flavour
    assert facts.command == command
    assert facts.health_command == probe


def test_facts_of_the_fixture_projects() -> None:
    node = _facts(FIXTURES / "node-todo-api")
    assert (node.flavour, node.command, node.entry, node.workdir) == (
        "node-server", ("node", "src/index.js"), "src/index.js", "/usr/src/app")
    assert (node.port, node.health_path) == (8080, "/healthz")
    py = _facts(FIXTURES / "flask-notes")
    assert (py.flavour, py.command, py.entry, py.manifest) == ("python", ("python3", "app.py"), "app.py",
                                                               "requirements.txt")
    go = _facts(FIXTURES / "go-shortener")
    assert (go.flavour, go.go_package, go.entry) == ("go", "./cmd/server", "cmd/server/main.go")


@pytest.mark.parametrize("sample", ["node-express", "vue-spa", "go-api", "python-fastapi", "java"])
def test_every_rung_dockerfile_parses(sample: str) -> None:
    facts = _facts(samples_dir() / sample, "Dockerfile.naive")
    original = (samples_dir() / sample / "Dockerfile.naive").read_text()
    single = recipes.single_stage(facts, original)
    if not isinstance(single, str):
        parse("Dockerfile", text=single.text)
    for cand in recipes.candidates(facts):
        draft = recipes.Draft(order=True, multistage=True, runtime=cand.name, nonroot=True, healthcheck=True)
        rendered = recipes.multistage(facts, draft, "builder:latest")
        assert not isinstance(rendered, str), rendered
        df = parse("Dockerfile", text=rendered.text)
        final = df.final
        assert final.base == cand.reference
        keywords = [i.keyword for i in final.instructions]
        assert "USER" in keywords and "HEALTHCHECK" in keywords
        user = next(i for i in final.instructions if i.keyword == "USER")
        assert user.args == ("65532:65532",)
        # dependencies before sources: the first build stage copies a manifest before `COPY . .`
        build_stage = df.stages[0]
        copies = [i.original for i in build_stage.instructions if i.keyword == "COPY"]
        if facts.java_tool != "javac":  # javac with only the JDK: no dependencies to install or cache
            assert "COPY . ." not in copies[0], copies
            assert any(m.get("type") == "cache" for i in df.instructions for m in i.mounts)


def test_no_curl_in_a_distroless_healthcheck() -> None:
    for sample in ("node-express", "python-fastapi", "go-api", "vue-spa"):
        facts = _facts(samples_dir() / sample, "Dockerfile.naive")
        for cand in recipes.candidates(facts):
            text = recipes.multistage(facts, recipes.Draft(True, True, cand.name, True, True), "b")
            assert not isinstance(text, str)
            health = [line for line in text.text.splitlines() if line.startswith("HEALTHCHECK")]
            assert health and "curl" not in health[0]


def test_dockerignore_keeps_credentials_and_clutter_out() -> None:
    facts = _facts(FIXTURES / "node-todo-api")
    wanted = ignore.patterns(facts, (FIXTURES / "node-todo-api" / "Dockerfile").read_text())
    for pattern in (".git", ".env", "node_modules", "*.pem", "test", "docs"):
        assert pattern in wanted
    text, added = ignore.merged(None, wanted)
    assert added == wanted and text.startswith("# Written by")
    # an existing file is kept as it is, the missing patterns appended
    kept, more = ignore.merged("node_modules\n.git\n", wanted)
    assert kept.startswith("node_modules\n.git\n") and "node_modules" not in more and ".env" in more
    same, none = ignore.merged("\n".join(wanted) + "\n", wanted)
    assert none == [] and same == "\n".join(wanted) + "\n"


def test_tests_stay_in_the_context_when_the_dockerfile_runs_them() -> None:
    facts = _facts(FIXTURES / "flask-notes")
    assert "tests" not in ignore.patterns(facts, "FROM x\nRUN pytest\n")
    assert "tests" in ignore.patterns(facts, "FROM x\nRUN pip install -r requirements.txt\n")


def test_generic_hygiene_and_safe_rungs() -> None:
    original = ("FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y ca-certificates\n"
                "RUN pip install flask\nEXPOSE 9000\nCMD [\"/srv/run\"]\n")
    text, changes = recipes.hygiene(original)
    assert "--no-install-recommends" in text and "rm -rf /var/lib/apt/lists/*" in text
    assert "pip install --no-cache-dir" in text and len(changes) == 3
    parse("Dockerfile", text=text)
    facts = AppFacts(flavour="generic", base="debian:bookworm-slim", workdir="/", command=("/srv/run",),
                     env_lines=(), port=9000, health_path="/status", install_runs=(), build_runs=(),
                     files=frozenset())
    out = recipes.generic(facts, original, hygiene_on=True, nonroot=True, healthcheck=True).text
    df = parse("Dockerfile", text=out)
    keywords = [i.keyword for i in df.final.instructions]
    assert keywords[-3:] == ["USER", "HEALTHCHECK", "CMD"]
    assert "http://127.0.0.1:9000/status" in out
    assert isinstance(recipes.multistage(facts, recipes.Draft(True, True), "b"), str)


def test_public_name_and_cli_refuse_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dockopt.optimise import optimise

    assert dockopt.optimise is optimise
    import dockopt.optimise as package  # the submodule import must not shadow the function

    assert package is not None and dockopt.optimise is optimise
    existing = tmp_path / "Dockerfile.proposed"
    existing.write_text("keep me\n")
    assert main(["optimise", str(FIXTURES / "node-todo-api"), "-o", str(existing)]) == 2
    assert existing.read_text() == "keep me\n"
    assert "never overwrites" in capsys.readouterr().err


def test_private_copy_still_copies_but_points_at_the_workspace(tmp_path):
    """``optimise.private_copy`` was public for one release: it warns and copies as before (links kept)."""
    from dockopt.optimise import private_copy

    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("print(1)\n", encoding="utf-8")
    (src / "link").symlink_to("app.py")
    with pytest.warns(DeprecationWarning, match="dockopt.workspace.Workspace"):
        dest = private_copy(src, tmp_path / "copy")
    assert (dest / "app.py").read_text(encoding="utf-8") == "print(1)\n" and (dest / "link").is_symlink()


_JAVA_MAIN = ("package demo;\npublic class App { public static void main(String[] a) throws Exception {\n"
              "  com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(8080), 0).start(); } }\n")


@pytest.mark.parametrize(("tool", "manifests", "naive"), [
    ("maven", {"pom.xml": "<project><modelVersion>4.0.0</modelVersion><groupId>demo</groupId>"
                          "<artifactId>app</artifactId><version>1</version></project>\n"},
     "FROM maven:3.9-eclipse-temurin-17\nWORKDIR /app\nCOPY . .\nRUN mvn -B package\nEXPOSE 8080\n"
     'CMD ["java", "-jar", "target/app-1.jar"]\n'),
    ("gradle", {"settings.gradle": "rootProject.name = 'app'\n", "build.gradle": "plugins { id 'java' }\n"},
     "FROM gradle:8-jdk17\nWORKDIR /app\nCOPY . .\nRUN gradle --no-daemon build\nEXPOSE 8080\n"
     'CMD ["java", "-jar", "build/libs/app.jar"]\n'),
])
def test_maven_and_gradle_proposals_build_in_a_stage_and_ship_only_the_jar(tmp_path, tool, manifests, naive):
    """Maven and Gradle are written, not built, here: their images and Maven Central are out of reach of this
    machine (docs/optimise.md). What can be checked without them is checked: the build tool is recognised,
    the manifests are copied before the sources with the tool's cache mounted, every file a COPY names is in
    the context, and the runtime takes nothing from the build stage but the jar."""
    for rel, text in {**manifests, "src/main/java/demo/App.java": _JAVA_MAIN, "Dockerfile": naive}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    facts = _facts(tmp_path)
    assert (facts.flavour, facts.java_tool) == ("java", tool)
    for cand in recipes.candidates(facts):
        draft = recipes.Draft(order=True, multistage=True, runtime=cand.name, nonroot=True, healthcheck=True)
        rendered = recipes.multistage(facts, draft, "builder:latest")
        assert not isinstance(rendered, str), rendered
        df = parse("Dockerfile", text=rendered.text)
        build = df.stages[0]
        copies = [i for i in build.instructions if i.keyword == "COPY"]
        assert set(copies[0].args[:-1]) <= set(manifests) and copies[1].args[0] == "src", rendered.text
        assert all(i.mounts and i.mounts[0].get("type") == "cache" for i in build.instructions if i.keyword == "RUN")
        for ins in df.instructions:
            if ins.keyword == "COPY" and not ins.flag("from"):
                assert all((tmp_path / src).exists() for src in ins.args[:-1]), ins.original
        shipped = [i.args[0] for i in df.final.instructions if i.keyword == "COPY" and i.flag("from") == "build"]
        assert shipped == ["/out/app.jar"], rendered.text


def test_a_uv_project_runs_without_uv_and_installs_from_its_lock_without_dev_dependencies() -> None:
    """`uv run python app.py` becomes `python3 app.py`: the runtime has the locked packages, not uv."""
    facts = _facts(FIXTURES / "uv-quotes")
    assert (facts.flavour, facts.command, facts.entry, facts.lockfile) == ("python", ("python3", "app.py"), "app.py",
                                                                            "uv.lock")
    assert any("`uv run` dropped" in n for n in facts.notes)
    rendered = recipes.multistage(facts, recipes.Draft(order=True, multistage=True), "python:3.11-slim-bookworm")
    assert not isinstance(rendered, str), rendered
    df = parse("Dockerfile", text=rendered.text)
    deps = df.stages[0]
    assert [i.args for i in deps.instructions if i.keyword == "COPY"][0] == ("pyproject.toml", "uv.lock", "./")
    assert "--frozen --no-dev" in rendered.text
    start = [i for i in df.final.instructions if i.keyword in ("CMD", "ENTRYPOINT")]
    assert start and all(i.values[0] == "python3" for i in start), rendered.text
