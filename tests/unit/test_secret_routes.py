"""The secret routes of chapter 09 without an engine: each route's Dockerfile as BuildKit's parser
reads it, the generated token, and the export search across chunk boundaries."""

from __future__ import annotations

import pytest

from dockopt import engine
from dockopt.dockerfile import parse
from dockopt.errors import DockoptError
from dockopt.experiments import SECRET_ROUTES
from dockopt.experiments.secret_routes import TOKEN_ID, TOKEN_NAME, new_token, route_dockerfile, token_in_export
from dockopt.secrets import scan_contents


def test_each_route_hands_the_token_over_its_own_way(tmp_path):
    found = {}
    for route in SECRET_ROUTES:
        path = tmp_path / "Dockerfile"
        path.write_text(route_dockerfile(route, "busybox:1.35"))
        df = parse(path)
        found[route] = [(i.keyword, i.mounts, i.original) for i in df.stages[0].instructions if i.keyword != "FROM"]
    mount = found["secret mount"][0]
    assert mount[0] == "RUN" and any(m.get("type") == "secret" and m.get("id") == TOKEN_ID for m in mount[1])
    assert found["build arg"][0][2] == f"ARG {TOKEN_NAME}"
    assert found["COPY .env"][0][2].startswith("COPY .env")


def test_an_unknown_route_names_the_known_ones():
    with pytest.raises(DockoptError) as err:
        route_dockerfile("env var")
    assert "secret mount" in (err.value.hint or "")


def test_the_token_is_fresh_and_the_scanner_calls_it_a_secret():
    a, b = new_token(), new_token()
    assert a != b and len(a) == 40
    assert scan_contents("/app/.env", f"{TOKEN_NAME}={a}\n".encode())


def test_export_search_sees_a_token_split_across_chunks(monkeypatch):
    token = new_token()
    blob = b"x" * 100 + token.encode() + b"y" * 100
    for cut in (101, 110, 139):
        monkeypatch.setattr(engine, "save_image", lambda ref, c=cut: iter([blob[:c], blob[c:]]))
        assert token_in_export("img", token)
    monkeypatch.setattr(engine, "save_image", lambda ref: iter([blob[:120], blob[125:]]))
    assert not token_in_export("img", token)
