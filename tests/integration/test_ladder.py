"""The ladder machinery on the real engine, with a two-rung ladder on busybox (tests/fixtures/ladder-tiny)."""

from __future__ import annotations

from dockopt.experiments import climb, load_ladder

from ..conftest import FIXTURES


def test_climb_measures_what_each_rung_ships_and_what_a_source_edit_reruns(docker_engine):
    run = climb(load_ladder(FIXTURES / "ladder-tiny"))
    t = run.table.set_index("rung")
    assert list(t.index) == [0, 1]
    # rung 0 ships .env (found by the scanner), the .git directory and the host node_modules
    assert t.loc[0, "secrets"] >= 3 and ".env" in t.loc[0, "secret_paths"]
    assert t.loc[1, "secrets"] == 0
    assert t.loc[0, "size_bytes"] - t.loc[1, "size_bytes"] >= 4 << 20
    # the edit reruns rung 0's RUN (after COPY . .) but only rung 1's last COPY
    assert t.loc[0, "edit_steps_rerun"] == 2 and t.loc[0, "edit_first_rerun"].startswith("COPY . .")
    assert t.loc[1, "edit_steps_rerun"] == 1 and t.loc[1, "edit_first_rerun"].startswith("COPY src")
    assert 0 < t.loc[1, "compressed_bytes"] < t.loc[1, "size_bytes"]
    assert t.loc[0, "runs_as_root"] and not t.loc[1, "runs_as_root"] and t.loc[1, "healthcheck"]
    assert t.loc[0, "shell"]  # busybox's sh
    assert run.base_images == ("busybox:1.35",)
