"""The secrets scan: no finding in third-party metadata and docs, every planted shape found and redacted.

Third-party files are replayed byte for byte from real images (tests/fixtures/secrets/recorded,
see its README); planted secrets are generated at test time by tests/fixtures/secrets/corpus.py
(fake, right shape and checksum, never committed).
"""

from __future__ import annotations

import json
import posixpath
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from dockopt import secrets

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "secrets"
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402

RECORDED = json.loads((HERE / "recorded.json").read_text())
RECIPES = corpus.recipes()


def _previews(path: str, data: bytes | str) -> set[str]:
    raw = data.encode() if isinstance(data, str) else data
    return {preview for _, preview in secrets.scan_contents(path, raw)}


# --- false alarms of issue 13, replayed from real images ------------------------------------------


@pytest.mark.parametrize("entry", RECORDED, ids=["/".join(e["image_path"].rsplit("/", 2)[-2:]) for e in RECORDED])
def test_third_party_files_give_no_finding(entry):
    data = (HERE / "recorded" / entry["file"]).read_bytes()
    assert len(data) == entry["bytes"]
    path = entry["image_path"]
    assert secrets.capture_policy(path, len(data), 0o644) == 0  # never even read while the image streams
    assert secrets.scan_contents(path, data) == []


@pytest.mark.parametrize("entry", [e for e in RECORDED if e["content_clean"]], ids=lambda e: e["file"])
def test_third_party_contents_give_no_finding_at_an_application_path(entry):
    """The rules themselves stay quiet on these contents, wherever they sit (not only thanks to their path)."""
    data = (HERE / "recorded" / entry["file"]).read_bytes()
    ext = posixpath.splitext(entry["image_path"])[1]
    path = {".json": "/app/config/settings.json", ".py": "/app/acme/module.py"}.get(ext, "/app/notes.txt")
    assert secrets.file_kind(path) in ("config", "code")
    assert secrets.scan_contents(path, data) == []


def test_recorded_example_jwts_would_be_found_outside_a_package():
    """The AWS docs' example JWTs have a real JWT's shape: only their place makes them examples."""
    entry = next(e for e in RECORDED if not e["content_clean"])
    data = (HERE / "recorded" / entry["file"]).read_bytes()
    assert "jwt" in {rule for rule, _ in secrets.scan_contents("/app/config/sso.json", data)}


# --- every planted shape --------------------------------------------------------------------------


def _planted_files(recipe: corpus.Recipe) -> dict[str, bytes]:
    placed = recipe.placements()
    return {where: recipe.files[src] for where, src in placed.items()}


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.name for r in RECIPES])
def test_every_planted_file_secret_found_exactly_and_redacted(recipe):
    files = _planted_files(recipe)
    by_where: dict[str, set[str]] = {}
    for p in recipe.planted:
        if not p.where.startswith("("):
            by_where.setdefault(p.where, set()).add(secrets.redact(p.value))
    assert by_where, "the recipe plants file secrets"
    for path, data in files.items():
        found = _previews(path, data)
        # exactly the planted values: the decoys next to them (${VAR}, changeme, paths, sk_test_...) stay quiet
        assert found == by_where.get(path, set()), path
    for p in recipe.planted:
        for finding in secrets.scan_contents(p.where, files[p.where]) if not p.where.startswith("(") else ():
            assert p.value not in finding[1]
            assert len(finding[1]) < 80


def _buildkit_config(recipe: corpus.Recipe) -> dict:
    """The config BuildKit (Engine 20.10) records for ``recipe``: ``Env`` and one history entry per
    instruction, with build arguments in scope listed on each RUN as ``RUN |N NAME=value ... /bin/sh -c``
    (recorded from a real build; see tests/fixtures/secrets/README.md)."""
    env, history, args = ["PATH=/usr/local/bin:/usr/bin:/bin"], [], []
    for line in recipe.dockerfile.splitlines():
        word, _, rest = line.partition(" ")
        if word == "ARG":
            args.append(rest.split("=", 1)[0])
            history.append({"created_by": line, "empty_layer": True})
        elif word == "ENV":
            env.extend(rest.split())
            history.append({"created_by": line, "empty_layer": True})
        elif word == "RUN":
            pairs = [f"{a}={recipe.build_args.get(a, '')}" for a in args]
            prefix = f"RUN |{len(pairs)} {' '.join(pairs)} " if pairs else "RUN "
            history.append({"created_by": f"{prefix}/bin/sh -c {rest} # buildkit"})
        elif word in ("COPY", "WORKDIR", "CMD"):
            history.append({"created_by": f"{line} # buildkit" if word != "CMD" else line,
                            "empty_layer": word == "CMD"})
    return {"config": {"Env": env}, "history": history}


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.name for r in RECIPES])
def test_every_planted_metadata_secret_found_exactly(recipe):
    rows = secrets.scan_config(_buildkit_config(recipe))
    got = {(r["path"], r["preview"]) for r in rows}
    expect = {(p.where, secrets.redact(p.value)) for p in recipe.planted if p.where.startswith("(")}
    assert expect and got == expect
    text = json.dumps(rows)
    for p in recipe.planted:
        assert p.value not in text


def test_every_shape_redacted_to_a_recognisable_prefix():
    s = corpus.Shapes(7)
    for make in (s.aws_access_key_id, s.github_classic, s.github_fine_grained, s.gitlab, s.slack_bot, s.stripe_live,
                 s.npm, s.pypi, s.jwt, s.django_secret_key, s.azure_storage_key):
        value = make()
        preview = secrets.redact(value)
        assert preview.startswith(value[:4] + "…") and value not in preview and value[4:12] not in preview
    for make in (s.rsa_private_key, s.pkcs8_private_key, s.ec_private_key, s.openssh_private_key):
        key = make()
        assert re.fullmatch(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY----- \[\d+ bytes redacted\]", secrets.redact(key))
        assert _previews("/app/keys/server.pem", key) == {secrets.redact(key)}


def test_checksums_separate_real_token_shapes_from_lookalikes():
    s = corpus.Shapes(3)
    good = s.github_classic()
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    assert _previews("/app/deploy.sh", f"TOKEN={good}\n") == {secrets.redact(good)}
    assert _previews("/app/deploy.sh", f"TOKEN={bad}\n") == set()
    npm_good = s.npm()
    assert _previews("/app/publish.sh", f"echo {npm_good}\n") == {secrets.redact(npm_good)}
    assert _previews("/app/publish.sh", f"echo {npm_good[:-6]}000000\n") == set()


# --- context and structure ----------------------------------------------------------------------------


@pytest.mark.parametrize("path, kind", [
    ("/opt/venv/lib/python3.11/site-packages/boto3-1.44.8.dist-info/METADATA", None),
    ("/usr/local/lib/python3.11/site-packages/botocore/data/sts/2011-06-15/examples-1.json", None),
    ("/root/.local/lib/python3.11/site-packages/itsdangerous/signer.py", None),
    ("/app/node_modules/jsonwebtoken/README.md", None),
    ("/app/node_modules/some-lib/test/fixtures/key.pem", None),
    ("/go/pkg/mod/golang.org/x/crypto@v0.31.0/ssh/testdata/keys.go", None),
    ("/usr/share/doc/openssl/demos/key.pem", None),
    ("/usr/share/man/man1/openssl.1.gz", None),
    ("/app/README.md", None),
    ("/app/docs/setup.txt", None),
    ("/etc/ssl/private/ssl-cert-snakeoil.key", None),
    ("/root/.ssh/id_ed25519", "private-key-file"),
    ("/app/.env", "dotenv"),
    ("/srv/api/.env.production", "dotenv"),
    ("/root/.bash_history", "dotenv"),
    ("/root/.npmrc", "npmrc"),
    ("/etc/pip.conf", "pip-conf"),
    ("/root/.config/pip/pip.conf", "pip-conf"),
    ("/root/.pypirc", "pypirc"),
    ("/home/ci/.netrc", "netrc"),
    ("/root/.git-credentials", "git-credentials"),
    ("/root/.aws/credentials", "aws-credentials"),
    ("/root/.docker/config.json", "docker-config"),
    ("/root/.kube/config", "kube-config"),
    ("/usr/src/app/certs/api.key", "key-file"),
    ("/app/config/production.json", "config"),
    ("/app/acme/settings.py", "code"),
    ("/usr/local/bin/entrypoint.sh", "code"),
    ("/app/.git/config", "text"),
    ("/usr/lib/python3/dist-packages/x.py", None),
    ("/app/static/app.js.map", None),
])
def test_file_kind_by_place_and_name(path, kind):
    assert secrets.file_kind(path) == kind
    assert (secrets.capture_policy(path, 100, 0o644) > 0) == (kind is not None)


def test_dotenv_reports_values_not_references_or_placeholders():
    text = ("DB_PASSWORD=S3cure-but-short\nAPI_TOKEN=${API_TOKEN}\nSECRET_KEY_FILE=/run/secrets/k\n"
            "ADMIN_PASSWORD=changeme\nSTRIPE_SECRET_KEY=sk_test_your_key_here\nSESSION_SECRET=\n"
            "export SIGNING_KEY='q8Vn2-LpXr7Zt0Wm'\nTOKEN_TTL=3600\nGITHUB_TOKEN=<your token>\n")
    assert _previews("/app/.env", text) == {secrets.redact("S3cure-but-short"), secrets.redact("q8Vn2-LpXr7Zt0Wm")}


def test_generic_assignments_need_config_or_a_random_literal_in_code():
    assert _previews("/app/acme/views.py", 'password = request.form["password"]\ntoken = get_token()\n') == set()
    assert _previews("/app/acme/conf.py", 'DB_PASSWORD = "Zq7vR2mXk9PwT4sL"\n') == {secrets.redact("Zq7vR2mXk9PwT4sL")}
    assert _previews("/app/acme/conf.py", 'DB_PASSWORD = "correct-horse-battery"\n') == set()  # words, not a key
    assert _previews("/app/config/app.yaml", "auth:\n  password: Zq7vR2mXk9PwT4sL\n  token_ttl: 900s\n") == \
        {secrets.redact("Zq7vR2mXk9PwT4sL")}
    assert _previews("/app/README", "DB_PASSWORD=Zq7vR2mXk9PwT4sL\n") == set()  # plain text: structure only


def test_documented_examples_and_references_are_not_secrets():
    text = ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
    assert _previews("/app/config/aws.ini", text) == set()
    assert _previews("/root/.npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n") == set()
    assert _previews("/app/config/db.yaml", "url: postgres://user:password@localhost/app\n") == set()
    assert _previews("/app/keys/README.pem", "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n") \
        == set()


def test_url_credentials_and_structured_files():
    assert _previews("/app/requirements.txt", "git+https://ci:Vx9-Lq2_Tr7.Mp@git.acme.io/lib.git\n") == \
        {secrets.redact("Vx9-Lq2_Tr7.Mp")}
    assert _previews("/root/.netrc", "machine api.acme.io login ci password Hq4Zr8Lm2Xv\n") == \
        {secrets.redact("Hq4Zr8Lm2Xv")}
    assert _previews("/root/.pgpass", "db.internal:5432:app:app:Rk3Lp9Qv7Zx\n") == {secrets.redact("Rk3Lp9Qv7Zx")}
    docker = json.dumps({"auths": {"r.io": {"auth": "Y2k6WmVwN1FyMkx4"}, "other.io": {}}, "credsStore": "pass"})
    assert _previews("/root/.docker/config.json", docker) == {secrets.redact("Y2k6WmVwN1FyMkx4")}
    assert _previews("/root/.docker/config.json", json.dumps({"credsStore": "desktop"})) == set()


def test_history_build_args_with_spaces_and_arg_defaults():
    s = corpus.Shapes(5)
    tok = s.gitlab()
    config = {"config": {"Env": ["PATH=/usr/bin", "PIP_CERT=/etc/ssl/certs/ca-certificates.crt"]},
              "history": [{"created_by": "ARG DEPLOY_PASSWORD=Tq8Zm3Lr5Xv2", "empty_layer": True},
                          {"created_by": "ARG NOTE", "empty_layer": True},
                          {"created_by": f'RUN |2 NOTE=with space "q" CI_TOKEN={tok} /bin/sh -c make # buildkit'},
                          {"created_by": "/bin/sh -c #(nop)  ENV API_KEY=${API_KEY}", "empty_layer": True}]}
    rows = secrets.scan_config(config)
    assert {(r["path"], r["preview"]) for r in rows} == {
        ("(history) ARG DEPLOY_PASSWORD", secrets.redact("Tq8Zm3Lr5Xv2")),
        ("(history) ARG CI_TOKEN", secrets.redact(tok))}
    assert all(r["visible"] and not r["deleted_later"] for r in rows)


def test_find_combines_files_and_config_with_layers():
    s = corpus.Shapes(11)
    key = s.rsa_private_key()
    files = pd.DataFrame({"layer": [1, 2], "path": ["/root/.ssh/id_rsa", "/root/.ssh"], "visible": [False, True]})
    layers = pd.DataFrame({"layer": [0, 1, 2], "history_index": [0, 2, 3],
                           "instruction": ["FROM x", "COPY id_rsa /root/.ssh/id_rsa", "RUN rm /root/.ssh/id_rsa"]})
    fine = s.github_fine_grained()
    config = {"config": {"Env": [f"GITHUB_TOKEN={fine}"]},
              "history": [{"created_by": "ADD rootfs.tar /"}, {"created_by": f"ENV GITHUB_TOKEN={fine}",
                                                               "empty_layer": True},
                          {"created_by": "COPY id_rsa /root/.ssh/id_rsa # buildkit"},
                          {"created_by": "RUN /bin/sh -c rm /root/.ssh/id_rsa # buildkit"}]}
    found = secrets.find(files, {(1, "/root/.ssh/id_rsa"): key.encode()}, layers, config=config)
    assert list(found.columns) == secrets.FINDING_COLUMNS
    key_row = found[found["path"] == "/root/.ssh/id_rsa"].iloc[0]
    assert key_row["deleted_later"] and key_row["instruction"] == "COPY id_rsa /root/.ssh/id_rsa"
    env_row = found[found["path"] == "(config) Env GITHUB_TOKEN"].iloc[0]
    assert env_row["rule"] == "github-token" and env_row["layer"] == 0 and env_row["instruction"].startswith("ENV")
    assert fine not in found.to_json() and key.splitlines()[1] not in found.to_json()


def test_redact_text_hides_values_that_history_lines_record():
    s = corpus.Shapes(17)
    tok, pw = s.npm(), s.url_password(18)
    line = f"RUN |2 NPM_TOKEN={tok} NOTE=hello /bin/sh -c git clone https://ci:{pw}@git.acme.io/app.git"
    out = secrets.redact_text(line)
    assert tok not in out and pw not in out
    assert secrets.redact(tok) in out and "NOTE=hello" in out and "/bin/sh -c git clone" in out
    assert secrets.redact_text("COPY . /app") == "COPY . /app" and secrets.redact_text(None) is None
    assert secrets.redact_text(out) == out  # redacting twice changes nothing (tables redact what scans redacted)
