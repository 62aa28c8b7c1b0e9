"""Chapter 09's secret routes on the real engine: a secret mount leaves nothing, a build argument
stays in the history and a copied .env in a layer, both as a finding and as bytes in the export.
Three builds on busybox (a tiny context), tagged in the session namespace and removed with it."""

from __future__ import annotations

from dockopt.experiments import SECRET_ROUTES, secret_routes


def test_only_the_secret_mount_leaves_no_trace(docker_engine):
    routes = secret_routes()
    t = routes.table.set_index("route")
    assert list(t.index) == list(SECRET_ROUTES)
    assert t.loc["secret mount", "findings"] == 0 and not t.loc["secret mount", "token_in_export"]
    assert t.loc["build arg", "in_history"] == 1 and t.loc["build arg", "in_files"] == 0
    assert t.loc["build arg", "token_in_export"]
    assert t.loc["COPY .env", "paths"] == "/app/.env" and t.loc["COPY .env", "token_in_export"]
    assert "secret mount left no trace" in routes.summary()
    # the previews never carry the token itself
    for table in routes.findings.values():
        assert all("redacted" in p for p in table["preview"])
