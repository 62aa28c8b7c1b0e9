"""Fleet audit pieces that need no registry: pagination through Link headers (a real HTTP server on
127.0.0.1 started here), tag selection, results stored whole and resumed, the fleet's group-bys."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from dockopt.errors import DockoptError, RegistryError
from dockopt.fleet import store, tables
from dockopt.fleet.discover import Target, parse_tag_selection, repositories, select_tags, tags
from dockopt.fleet.work import FACT_VERSION, IMAGE_FACTS
from dockopt.registry import Registry

CATALOG = [f"team/app-{i:02d}" for i in range(23)] + ["other/x"]


@pytest.fixture
def paginating() -> Iterator[tuple[str, list[str]]]:
    """A registry API that pages its catalog and tags as distribution does (n, last, Link rel=next)."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            url = urlparse(self.path)
            q = parse_qs(url.query)
            asked.append(self.path)
            if url.path == "/v2/_catalog":
                key, everything, base = "repositories", sorted(CATALOG), "/v2/_catalog"
            elif url.path.endswith("/tags/list"):
                key, everything, base = "tags", sorted(f"v{i}" for i in range(7)), url.path
            else:
                self.send_response(404)
                self.end_headers()
                return
            n = int(q.get("n", ["100"])[0])
            last = q.get("last", [""])[0]
            rest = [e for e in everything if e > last]
            page = rest[:n]
            body = json.dumps({key: page}).encode()
            self.send_response(200)
            if len(rest) > n:
                self.send_header("Link", f'<{base}?last={page[-1]}&n={n}>; rel="next"')
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}", asked
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_catalog_pages_are_followed_and_filtered(paginating):
    host, asked = paginating
    assert repositories(Registry(host), "team/*", page=5) == sorted(c for c in CATALOG if c.startswith("team/"))
    assert len(asked) == 5  # 24 names, 5 a page
    assert asked[1].startswith("/v2/_catalog?last=")


def test_tags_pages_are_followed(paginating):
    host, asked = paginating
    assert tags(Registry(host), "team/app-01", page=3) == [f"v{i}" for i in range(7)]
    assert len(asked) == 3


def test_tag_selection():
    found = ["1.0", "1.1", "2.0", "latest"]
    assert select_tags(found, "latest") == ["latest"]
    assert select_tags(["1.0", "2.0"], "latest") == ["2.0"]
    assert select_tags(found, "all") == found
    assert select_tags(found, 2) == ["2.0", "latest"]
    assert parse_tag_selection("3") == 3 and parse_tag_selection("all") == "all"
    with pytest.raises(DockoptError, match="latest, all or a positive number"):
        parse_tag_selection("newest")


def _result(digest: str, reclaimable: int, repo_layer: str, root: bool, family: str | None) -> dict:
    image = dict.fromkeys(IMAGE_FACTS) | {"digest": digest, "size_bytes": 1000 + reclaimable,
                                          "compressed_bytes": 600, "reclaimable_bytes": reclaimable,
                                          "runs_as_root": root, "secrets_count": 0, "has_shell": True,
                                          "base_family": family, "base_version": "12" if family else None,
                                          "top_rule": "healthcheck", "top_fix": "add HEALTHCHECK"}
    layers = [{"digest": digest, "index": 0, "layer_digest": "sha256:base", "size_bytes": 900,
               "compressed_bytes": 500, "instruction": "ADD base"},
              {"digest": digest, "index": 1, "layer_digest": repo_layer, "size_bytes": 100 + reclaimable,
               "compressed_bytes": 100, "instruction": "RUN build"}]
    return {"version": FACT_VERSION, "image": image, "layers": layers, "findings": []}


def test_store_resume_and_tables(tmp_path: Path):
    targets = [Target("a/one", "1", "sha256:aa"), Target("a/one", "latest", "sha256:aa"),
               Target("b/two", "1", "sha256:bb"), Target("c/three", "1", "sha256:cc"),
               Target("d/gone", "1", None, error="ManifestNotFound: no manifest")]
    store.save_targets(tmp_path, targets)
    store.save_result(tmp_path, _result("sha256:aa", 300, "sha256:l1", True, "debian"))
    store.save_result(tmp_path, _result("sha256:bb", 0, "sha256:l2", False, None))
    (tmp_path / "digests" / "sha256-cc.json").write_text('{"version": 1, "ima')  # torn by a kill: not trusted
    assert store.done_digests(tmp_path) == {"sha256:aa", "sha256:bb"}
    images, layers, _ = store.consolidate(tmp_path)
    assert list(images["repository"]) == ["a/one", "a/one", "b/two", "c/three", "d/gone"]
    assert images.set_index("repository").loc["c/three", "error"].startswith("not analysed")
    assert images.set_index("repository").loc["d/gone", "error"] == "ManifestNotFound: no manifest"
    assert len(layers) == 4  # a/one's digest once, though two tags point at it
    worst = tables.offenders(images)
    assert list(worst["repository"]) == ["a/one"] and worst.loc[0, "tags"] == "a/one:1, a/one:latest"
    shared = tables.shared_layers(images, layers)
    assert list(shared["layer_digest"]) == ["sha256:base"] and shared.loc[0, "saved_bytes"] == 500
    fam = tables.base_families(images)
    assert set(zip(fam["base_family"], fam["images"])) == {("debian", 1), ("(none: scratch or unknown)", 1)}
    assert list(zip(*tables.risky(images)[["repository", "tag"]].to_numpy().T)) == [("a/one", "1"), ("a/one", "latest")]
    s = tables.summary(images, layers)
    assert (s["tags"], s["images"], s["failed"], s["reclaimable_bytes"]) == (5, 3, 2, 300)
    assert s["compressed_bytes_stored"] == 700 and s["compressed_bytes_listed"] == 1200
    again = store.read_tables(tmp_path)
    pd.testing.assert_frame_equal(again[0], images)


def test_read_tables_says_what_to_run(tmp_path: Path):
    with pytest.raises(DockoptError, match="no consolidated fleet audit"):
        store.read_tables(tmp_path)


def test_a_pagination_loop_is_refused():
    class Loop:
        host = "h"

        def request(self, *a: object, **k: object) -> object:
            class R:
                status_code = 200
                headers = {"Link": '</v2/_catalog?last=a&n=1>; rel="next"'}

                def json(self) -> dict:
                    return {"repositories": ["a"]}
            return R()

    with pytest.raises(RegistryError, match="repeats"):
        repositories(Loop(), "*")  # type: ignore[arg-type]


def test_dockopt_audit_is_the_fleet_audit_and_the_image_audit_module_still_answers():
    import dockopt
    from dockopt import audit as audit_module
    from dockopt.fleet import audit

    assert callable(dockopt.audit)
    assert audit_module.image_audit is dockopt.audit.image_audit
    with pytest.raises(DockoptError, match="--jobs 0"):
        dockopt.audit("127.0.0.1:1", jobs=0)
    assert audit.__module__ == "dockopt.fleet.run"


def test_cli_refuses_a_bad_tag_selection_before_touching_the_network(capsys):
    from dockopt.cli import main

    assert main(["audit", "127.0.0.1:1", "--tags", "newest"]) == 2
    assert "--tags 'newest' is not latest, all or a positive number" in capsys.readouterr().err


def test_cli_says_when_no_registry_answers(capsys, tmp_path):
    from dockopt.cli import main

    assert main(["audit", "127.0.0.1:1", "-o", str(tmp_path / "out")]) == 3  # could not run, not misuse
    assert "no registry answers at http://127.0.0.1:1" in capsys.readouterr().err


def test_an_unreachable_registry_is_a_row_that_a_resumed_audit_tries_again(tmp_path):
    from dockopt.fleet.work import analyse_digest, failed_result

    digest = "sha256:" + "0" * 64
    result = analyse_digest("127.0.0.1:1", "team/app", digest)
    assert result["image"]["error"].startswith("RegistryUnreachable: no registry answers")
    assert result["retry"] is True
    store.save_result(tmp_path, result)
    store.save_result(tmp_path, failed_result("sha256:" + "1" * 64, "worker failed: KilledWorker"))
    permanent = _result("sha256:" + "2" * 64, 0, "sha256:l", False, None)
    permanent["image"]["error"] = "ArchiveError: not a tar archive"
    store.save_result(tmp_path, permanent)
    assert store.done_digests(tmp_path) == {"sha256:" + "2" * 64}


def test_report_fleet_renders_one_offline_page_and_the_notebook(tmp_path, capsys):
    from dockopt.cli import main

    store.save_targets(tmp_path, [Target("a/one", "1", "sha256:aa"), Target("b/two", "1", "sha256:bb")])
    store.save_meta(tmp_path, {"registry": "127.0.0.1:5000"})
    store.save_result(tmp_path, _result("sha256:aa", 300, "sha256:l1", True, "debian"))
    store.save_result(tmp_path, _result("sha256:bb", 0, "sha256:l2", False, None))
    store.consolidate(tmp_path)
    assert main(["report", "--fleet", str(tmp_path)]) == 0
    assert "4 charts; opens offline" in capsys.readouterr().out
    page = (tmp_path / "fleet.html").read_text()
    assert "plotly.js v" in page  # inlined: nothing to fetch
    assert not re.search(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']?(https?:)?//""", page, re.I)
    assert page.count('class="plotly-graph-div"') == 4
    assert "dockopt report --image 127.0.0.1:5000/a/one@sha256:aa" in page
    nb = json.loads((tmp_path / "fleet.ipynb").read_text())
    params = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    assert str(tmp_path.resolve()) in "".join(params["source"])
