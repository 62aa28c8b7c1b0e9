"""Stand-in base images on a real engine: ensure builds them, each one runs, warm ensure is a no-op,
and an image that is not a dockopt stand-in is never replaced.

Needs a Docker Engine (fails under CI=true without one, see tests/conftest.py). A cold run builds
the whole catalog (about 3 minutes on 2 cores); a warm one takes seconds.
"""

from __future__ import annotations

import importlib
import io
import tarfile
import time
from pathlib import Path

import pytest
import requests

from dockopt import bases, engine
from dockopt.errors import DockoptError

cat = importlib.import_module("dockopt.bases.catalog")

HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")


@pytest.fixture(scope="module")
def provisioned(docker_engine):
    """The whole catalog ensured (built where missing); the ensure() table."""
    return bases.ensure(progress=False).set_index("reference")


def run(image, *command, entrypoint=None, user=None):
    code, out = engine.run_output(image, list(command), entrypoint=entrypoint, user=user)
    return code, out.strip()


def test_every_buildable_reference_is_present(provisioned):
    df = provisioned
    buildable = [b.reference for b in cat.BASES if b.recipe]
    assert set(df.loc[buildable, "status"]) <= {"stand-in", "pulled", "local"}
    assert (df.loc[df["role"] == "registry-only", "action"].isin(["missing", "present", "pulled"])).all()
    assert df.loc["scratch", "status"] == "builtin"


def test_standins_carry_their_labels(provisioned):
    for ref in provisioned.index[provisioned["status"] == "stand-in"]:
        labels = engine.inspect_image(cat.engine_reference(ref)).labels
        info = cat.parse_labels(labels)
        expected = "alpine:3.20" if ref.startswith("alpine:") else ref  # one image, both alpine tags
        assert info.is_standin and info.standin_for == expected
        assert info.recipe and labels["io.dockopt.managed"] == "base"


def test_debian_slim(provisioned):
    code, out = run("debian:bookworm-slim", "sh", "-c",
                    "cat /etc/debian_version; dpkg-query -W | wc -l; ls /usr/share/man 2>/dev/null | wc -l; "
                    "readlink /bin")
    version, packages, man, bin_link = out.splitlines()
    assert code == 0 and version.startswith("12.")
    assert 80 <= int(packages) <= 95
    assert int(man) == 0 and bin_link == "usr/bin"
    size = engine.inspect_image("debian:bookworm-slim").size_bytes
    assert 60e6 < size < 90e6


def test_node_builders(provisioned):
    for image in ("node:24-bookworm-slim", "node:24-bookworm"):
        code, out = run(image, "sh", "-c", "node --version && npm --version && yarn --version && id -u node")
        lines = out.splitlines()
        assert code == 0 and lines[0].startswith("v24."), out
        assert lines[-1] == "1000"
    # the full image is the big one the naive Dockerfiles start from
    assert engine.inspect_image("node:24-bookworm").size_bytes > 900e6
    code, out = run("node:24-bookworm", "sh", "-c", "gcc --version && git --version && python3 --version")
    assert code == 0, out


def test_builders_carry_the_host_ca_bundle(provisioned):
    expected = HOST_CA.read_text().strip()
    for image in ("node:24-bookworm-slim", "python:3.11-slim-bookworm", "golang:1.23-bookworm",
                  "eclipse-temurin:17-jdk", "node:24-bookworm"):
        code, out = run(image, "sh", "-c", "cat $SSL_CERT_FILE; echo; echo $NODE_EXTRA_CA_CERTS $PIP_CERT "
                                           "$REQUESTS_CA_BUNDLE")
        assert code == 0
        assert expected in out, image
        assert out.splitlines()[-1] == " ".join([str(HOST_CA)] * 3), image


def test_python_builders(provisioned):
    for image in ("python:3.11-slim-bookworm", "python:3.11-bookworm"):
        code, out = run(image, "sh", "-c", "python --version && pip --version && python -m venv /tmp/v && "
                                           "/tmp/v/bin/python -c 'import ssl, sqlite3; print(42)'")
        assert code == 0 and out.startswith("Python 3.11."), out
        assert out.splitlines()[-1] == "42"
    code, out = run("python:3.11-bookworm", "sh", "-c", "python3-config --includes && gcc --version >/dev/null")
    assert code == 0 and "python3.11" in out


def test_golang(provisioned):
    code, out = run("golang:1.23-bookworm", "sh", "-c",
                    "go version && go env GOTOOLCHAIN GOPATH && cd /tmp && printf 'package main\\nimport \"fmt\"\\n"
                    "func main(){fmt.Println(\"ok\")}\\n' > m.go && CGO_ENABLED=0 go run m.go")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("go version go1.23") and lines[1:] == ["local", "/go", "ok"]


def test_temurin(provisioned):
    code, out = run("eclipse-temurin:17-jdk", "sh", "-c",
                    "set -e; java -version 2>&1 | head -1; javac -version; jdeps --version; "
                    "jlink --add-modules java.base --strip-debug --no-man-pages --no-header-files --output /tmp/j; "
                    "/tmp/j/bin/java -version 2>&1 | head -1; echo $JAVA_HOME")
    assert code == 0, out
    lines = out.splitlines()
    assert '"17.' in lines[0] and '"17.' in lines[-2] and lines[-1] == "/opt/java/openjdk"
    code, out = run("eclipse-temurin:17-jre", "java", "-version")
    assert code == 0 and '"17.' in out
    code, _ = run("eclipse-temurin:17-jre", "sh", "-c", "command -v javac")
    assert code != 0


def test_nginx_serves_like_upstream(provisioned):
    image = engine.inspect_image("nginx:1.27-bookworm")
    assert image.cmd == ("nginx", "-g", "daemon off;") and "80/tcp" in image.exposed_ports
    assert engine.api().inspect_image("nginx:1.27-bookworm")["Config"]["StopSignal"] == "SIGQUIT"
    with engine.running("nginx:1.27-bookworm", ports=[80]) as c:
        body = None
        for _ in range(50):
            try:
                r = requests.get(c.url(80), timeout=2)
                body = r.text
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert body is not None and "Welcome to nginx" in body
        code, out = engine.exec_in(c.id, ["sh", "-c", "ls /etc/nginx/conf.d /usr/share/nginx/html; id -u nginx"])
        assert "default.conf" in out and "index.html" in out and out.strip().endswith("101")


def test_alpine_is_the_minirootfs(provisioned):
    code, out = run("alpine:3.20", "/bin/sh", "-c", "cat /etc/alpine-release")
    assert code == 0 and out == "3.20.3"
    a, b = (engine.inspect_image(r) for r in ("alpine:3.20", "alpine:3.20.3"))
    assert a.id == b.id and a.cmd == ("/bin/sh",)
    assert len(a.layers) == 1


def test_busybox(provisioned):
    code, out = run("busybox:1.35", "sh", "-c", "busybox | head -1; ls /bin | wc -l")
    assert code == 0 and "BusyBox v1.35.0" in out
    assert int(out.splitlines()[-1]) > 200


@pytest.mark.parametrize("variant", ["static", "base", "cc", "python3", "nodejs24", "java17"])
def test_distroless_has_no_shell(provisioned, variant):
    image = f"gcr.io/distroless/{variant}-debian12"
    with pytest.raises(DockoptError, match="no such file"):
        engine.run_output(image, ["-c", "true"], entrypoint=["/bin/sh"])
    for tag in ("latest", "nonroot"):
        assert engine.inspect_image(f"{image}:{tag}").user == ("65532" if tag == "nonroot" else "")


def test_distroless_layers_stack_like_upstream(provisioned):
    layers = {v: engine.inspect_image(f"gcr.io/distroless/{v}-debian12").layers
              for v in ("static", "base", "cc", "python3", "nodejs24", "java17")}
    assert len(layers["static"]) == 1
    assert layers["base"][:1] == layers["static"] and len(layers["base"]) == 2
    assert layers["cc"][:2] == layers["base"] and len(layers["cc"]) == 3
    for v in ("python3", "nodejs24", "java17"):
        assert layers[v][:3] == layers["cc"] and len(layers[v]) == 4
    sizes = {v: engine.inspect_image(f"gcr.io/distroless/{v}-debian12").size_bytes for v in ("static", "base", "cc",
                                                                                          "python3")}
    assert sizes["static"] < 3e6 and 15e6 < sizes["base"] < 25e6 and sizes["cc"] < 28e6 and sizes["python3"] < 60e6


def test_distroless_runtimes_run(provisioned):
    code, out = run("gcr.io/distroless/python3-debian12:nonroot",
                    "-c", "import os, ssl, json; print(os.getuid(), json.dumps([1]), ssl.OPENSSL_VERSION[:7])")
    assert code == 0 and out == "65532 [1] OpenSSL", out
    code, out = run("gcr.io/distroless/nodejs24-debian12", "-e", "console.log(process.version)")
    assert code == 0 and out.startswith("v24."), out
    code, out = run("gcr.io/distroless/java17-debian12", "-version", entrypoint=["/usr/bin/java"])
    assert code == 0 and '"17.' in out, out
    # passwd/group/tmp like upstream
    code, out = run("gcr.io/distroless/python3-debian12", "-c",
                    "import pwd, os, stat; print(pwd.getpwuid(65532).pw_name, "
                    "oct(stat.S_IMODE(os.stat('/tmp').st_mode)), os.path.exists('/etc/ssl/certs/ca-certificates.crt'), "
                    "sorted(os.listdir('/var/lib/dpkg/status.d'))[0], os.path.exists('/usr/bin/dpkg'), "
                    "os.path.exists('/usr/bin/apt'))")
    assert out == "nonroot 0o1777 True base-files False False", out


def test_provenance_of_the_bases_a_build_used(provisioned):
    df = bases.provenance(["node:24-bookworm", "scratch", "gcr.io/distroless/static-debian12:nonroot"])
    assert list(df["reference"]) == ["node:24-bookworm", "scratch", "gcr.io/distroless/static-debian12:nonroot"]
    standins = df[df["standin"]]
    assert set(standins["reference"]) <= {"node:24-bookworm", "gcr.io/distroless/static-debian12:nonroot"}
    assert (standins["recipe"].str.len() > 20).all()
    assert df.set_index("reference").loc["scratch", "status"] == "builtin"


def test_warm_ensure_is_a_fast_no_op(provisioned):
    t0 = time.monotonic()
    lines: list[tuple[int, int, str, str]] = []
    df = bases.ensure(progress=False, on_progress=lambda *line: lines.append(line))
    took = time.monotonic() - t0
    assert took < 5.0
    assert not (df["action"] == "built-stand-in").any()
    # one progress line per reference, counted up to the total, with the action the table shows
    assert [n for n, *_ in lines] == list(range(1, len(df) + 1)) and {t for _, t, *_ in lines} == {len(df)}
    assert {ref: action for *_, ref, action in lines} == dict(zip(df["reference"], df["action"]))


# --- a local image that is not a stand-in is never replaced -------------------------------------------

TEST_REF = "dockopt-test/bases-not-a-standin:1"


@pytest.fixture
def test_reference(monkeypatch, provisioned):
    """A catalog entry (busybox recipe) under a test-only tag, removed afterwards."""
    entry = cat.BaseImage(TEST_REF, "runtime", "scratch", "busybox", "test only")
    monkeypatch.setitem(cat._BY_REF, TEST_REF, entry)
    yield TEST_REF
    engine.remove_image(TEST_REF, force=True)


def _import_plain_image(ref: str) -> str:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = b"not a stand-in\n"
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return engine.import_rootfs(buf.getvalue(), ref)


def test_local_image_with_the_same_tag_is_never_replaced(test_reference):
    image_id = _import_plain_image(test_reference)
    for rebuild in (False, True):
        df = bases.ensure([test_reference], progress=False, rebuild=rebuild)
        assert df.iloc[0]["action"] == "present"
        assert df.iloc[0]["status"] == "local"
        assert engine.inspect_image(test_reference).id == image_id


def test_missing_test_reference_gets_a_labelled_standin(test_reference):
    engine.remove_image(test_reference, force=True)
    df = bases.ensure([test_reference], progress=False)
    assert df.iloc[0]["action"] == "built-stand-in"
    info = cat.parse_labels(engine.inspect_image(test_reference).labels)
    assert info.is_standin and info.standin_for == test_reference and "busybox-static" in info.recipe
