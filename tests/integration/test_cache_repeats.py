"""Cache scenarios on the real engine: a repeated source edit, its median (a busy machine's one slow
rebuild decides nothing). Images built here are removed."""

from __future__ import annotations

from dockopt import engine, experiments


def test_cache_scenarios_take_the_median_of_repeated_source_edits(docker_engine, busybox_context):
    """The source edit runs `repeats` times, each after its own edit (none is a cache hit); the row's
    wall_s is the median of those rebuilds, not one sample of a busy machine."""
    (busybox_context / "Dockerfile").write_text(
        'FROM scratch\nCOPY busybox /bin/busybox\nCOPY app.sh /app.sh\nCMD ["/bin/busybox", "sh", "/app.sh"]\n')
    (busybox_context / "app.sh").write_text("echo hello\n")
    (busybox_context / "dockopt.toml").write_text('[cache]\ntouch = "app.sh"\n')
    scenarios = experiments.cache_scenarios(busybox_context, progress=False, repeats=3)
    try:
        runs = scenarios.runs.set_index("scenario")
        assert runs.loc["source edit", "repeats"] == 3 and runs.loc["unchanged", "repeats"] == 1
        assert runs.loc["source edit", "steps_executed"] >= 1  # the last edit was not a cache hit either
        assert runs.loc["source edit", "wall_s"] > 0
    finally:
        for result in scenarios.builds.values():
            if engine.image_exists(result.ref):
                engine.remove_image(result.ref, force=True)
