"""Layer costs of RUN vs ENV/LABEL on the real engine (a tiny busybox context, no COPY)."""

from __future__ import annotations

import contextlib

from dockopt import engine
from dockopt.errors import DockoptError
from dockopt.experiments import layer_costs


def test_each_run_adds_a_layer_and_env_label_add_none(docker_engine, tmp_path):
    t = layer_costs(tmp_path, steps=3, kib=8)
    try:
        t = t.set_index("variant")
        assert t.loc["many-runs", "added_layers"] == 3 and t.loc["one-run", "added_layers"] == 1
        assert t.loc["metadata", "added_layers"] == 1 and t.loc["metadata", "history_entries"] == (
            t.loc["one-run", "history_entries"] + 6)
        # the same files either way; only the archive overhead of the extra layers differs
        assert (t["added_bytes"] == 3 * 8 * 1024).all()
        assert t.loc["many-runs", "added_tar_bytes"] > t.loc["one-run", "added_tar_bytes"]
        # ENV/LABEL reuse the one-run layer and change only the config
        assert t.loc["metadata", "added_tar_bytes"] == t.loc["one-run", "added_tar_bytes"]
        assert t.loc["metadata", "config_bytes"] > t.loc["one-run", "config_bytes"]
    finally:
        for image in t["image"]:
            with contextlib.suppress(DockoptError):
                engine.remove_image(image)
