"""One facts cache by image id: a second report of the same image reads nothing and gzips nothing."""

from __future__ import annotations

from dockopt import facts_cache, settings

RECORD = {"size_bytes": 10, "compressed_bytes": 4, "packages": 2, "shells": ["/bin/sh"], "compilers": [],
          "package_managers": ["/usr/bin/dpkg"], "setuid_files": 1, "user": "", "runs_as_root": True, "secrets": 0,
          "secret_paths": [], "reclaimable_bytes": 0}


def test_an_image_is_measured_once_whoever_asks(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.CACHE_DIR, str(tmp_path))
    calls = []

    def measure():
        calls.append(1)
        return dict(RECORD)

    image_id = "sha256:" + "ab" * 32
    assert facts_cache.facts(image_id, measure) == RECORD
    assert facts_cache.facts(image_id, measure) == RECORD
    assert len(calls) == 1
    assert (tmp_path / "facts" / f"{'ab' * 32}.json").is_file()
    assert not list((tmp_path / "facts").glob("*.tmp"))


def test_an_incomplete_or_broken_record_is_measured_again(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.CACHE_DIR, str(tmp_path))
    image_id = "sha256:" + "cd" * 32
    facts_cache.store(image_id, {k: v for k, v in RECORD.items() if k != "secret_paths"})
    assert facts_cache.load(image_id) is None
    (tmp_path / "facts" / f"{'cd' * 32}.json").write_text("{not json")
    assert facts_cache.load(image_id) is None
    assert facts_cache.facts(image_id, lambda: dict(RECORD)) == RECORD
    assert facts_cache.load(image_id) == RECORD


def test_the_cache_folder_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.CACHE_DIR, str(tmp_path / "here"))
    assert settings.cache_dir() == tmp_path / "here" and (tmp_path / "here").is_dir()
    monkeypatch.delenv(settings.CACHE_DIR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert settings.cache_dir() == tmp_path / "xdg" / "dockopt"
