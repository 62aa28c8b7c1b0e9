"""Experiments: build images of any project (a folder with a Dockerfile, or a sample), run them and
measure them; the comparisons the notebooks tell. Every experiment takes a ``dockopt.Project``, a
sample name or a project folder (``resolve``).

- ``build_project`` / ``smoke_project``: a project's image, built or started (ready by HTTP health
  path, else its HEALTHCHECK, else its process staying up).
- ``build_sample`` / ``smoke_sample``: one image of a sample's build matrix, built or started;
  ``build_samples``: the whole matrix (``dockopt samples build``).
- ``compare_dockerfiles``: two Dockerfiles of one project; ``compare_images``: two images, before and
  after; ``naive_vs_optimised``: a sample's two Dockerfiles.
- ``cache_scenarios``: what a rebuild costs after no change, a source edit, a dependency change
  (on a private copy: ``copy_tree``, ``touch_source``, ``bump_dependency``).
- ``base_matrix``: the image on each candidate runtime base, every cell measured (size, compressed
  size, packages, shell, setuid files, user, start-up, memory, health; ``measure_image``);
  ``base_candidates``: which bases it would try, and why some cannot work.
- ``service_targets``: each service ``--target`` of a multi-service sample.
- ``climb`` / ``load_ladder`` / ``cluttered_copy``: the conversion ladder (one change per rung).
- ``byte_breakdown`` / ``source_edit_rebuild``: what a single-stage image is made of, what an edit reruns.
- ``image_facts``: compressed bytes, packages, shells, secrets of an image, cached by its layers.
- ``multi_stage_matrix``: naive vs optimised for every sample, registry-only rows kept with their reason.
- ``measure_sizes``: naive vs optimised bytes against the size targets and the floor.
- ``layer_costs`` / ``stage_extras``: what a ``RUN`` layer and an ``ENV``/``LABEL`` line cost; what an
  intermediate stage holds that the final image does not (guide chapter 03).
__all__ = [

Every result names the base images its builds resolved (``bases`` columns, ``base_images``
attributes), so ``report.provenance`` can say which were offline stand-ins.
"""


from __future__ import annotations

from .anatomy import LAYER_COST_COLUMNS, LAYER_VARIANTS, layer_cost_dockerfiles, layer_costs, stage_extras
from .base_verdicts import VERDICT_COLUMNS, base_verdicts, verdict_summary
from .bases import (
    MATRIX_COLUMNS,
    BasePlan,
    ImageFacts,
    base_candidates,
    base_matrix,
    base_plans,
    measure_image,
    service_targets,
)
from .builds import (
    BUILD_STATUSES,
    PROGRESS_PHASES,
    ProjectLike,
    SampleProgress,
    build_matrix,
    build_project,
    build_sample,
    build_samples,
    project_tag,
    resolve,
    smoke_project,
    smoke_sample,
)
from .cache import SCENARIOS, CacheScenarios, bump_dependency, cache_scenarios, copy_tree, touch_source
from .compare import Comparison, compare_dockerfiles, compare_images, naive_vs_optimised
from .examples import ExampleComparison, GuideExample, guide_example, guide_examples, load_examples
from .ladder import Clutter, Ladder, LadderRun, Rung, climb, cluttered_copy, image_facts, load_ladder
from .multistage import multi_stage_matrix, script_only_pair
from .rebuild import RebuildExplanation, explain_cache_runs, explain_rebuild, explain_scenarios
from .secret_routes import SECRET_ROUTES, SecretRoutes, secret_routes
from .shipping import COLD_RUNNER_SCENARIOS, Transfer, ci_cold_runner, pushed_name, transfer
from .sizes import FLOOR_TOLERANCE, SIZE_TARGETS, artefact_bytes, measure_sizes
from .traditional import (
    DEV_DEPENDENCY_ROUTES,
    PARTS,
    byte_breakdown,
    dev_dependency_routes,
    dev_packages,
    source_edit_rebuild,
)

__all__ = ["BUILD_STATUSES", "COLD_RUNNER_SCENARIOS", "FLOOR_TOLERANCE", "MATRIX_COLUMNS", "PROGRESS_PHASES",
           "SCENARIOS", "SIZE_TARGETS", "BasePlan", "CacheScenarios", "Comparison", "ImageFacts", "ProjectLike",
           "RebuildExplanation", "SampleProgress", "Transfer", "artefact_bytes", "base_candidates", "base_matrix",
           "base_plans", "build_matrix", "build_project", "build_sample", "build_samples", "bump_dependency",
           "cache_scenarios", "ci_cold_runner", "compare_dockerfiles", "compare_images", "copy_tree",
           "explain_cache_runs", "explain_rebuild", "explain_scenarios", "measure_image", "measure_sizes",
           "naive_vs_optimised", "project_tag", "pushed_name", "resolve", "service_targets", "smoke_project",
           "smoke_sample", "touch_source", "transfer",
           # the guide course (notebooks/guide): 05 examples, 09 performance & security
           "ExampleComparison", "GuideExample", "guide_example", "guide_examples", "load_examples",
           "SECRET_ROUTES", "SecretRoutes", "secret_routes", "VERDICT_COLUMNS", "base_verdicts", "verdict_summary"]
__all__ += ["Clutter", "Ladder", "LadderRun", "Rung", "climb", "cluttered_copy", "image_facts", "load_ladder"]
__all__ += ["PARTS", "byte_breakdown", "dev_packages", "source_edit_rebuild", "multi_stage_matrix"]
__all__ += ["DEV_DEPENDENCY_ROUTES", "dev_dependency_routes", "script_only_pair"]
__all__ += ["LAYER_COST_COLUMNS", "LAYER_VARIANTS", "layer_cost_dockerfiles", "layer_costs", "stage_extras"]
