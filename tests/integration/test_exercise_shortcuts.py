"""Grading measures what an exercise is for: each shortcut a learner could take to a green tick without
the skill is tried on a real build, and fails the criterion that guards the goal, while the rest of the
image stays as good as the solution (so only that criterion can be the reason).

Images are built in the session's namespace and removed by ``check``."""

from __future__ import annotations

import shutil

import pytest

from dockopt import exercises


def _shortcut(tmp_path, name: str, old: str, new: str):
    ex = exercises.load(name)
    folder = tmp_path / "learner"
    shutil.copytree(ex.solution, folder)
    dockerfile = folder / ex.dockerfile
    text = dockerfile.read_text(encoding="utf-8")
    assert old in text, f"the solution of {name} changed: update this shortcut"
    dockerfile.write_text(text.replace(old, new), encoding="utf-8")
    card = exercises.check(ex, folder, progress=False)
    return _shown(card.criteria.set_index("criterion"))


def _shown(rows):
    """The rows, printed (``pytest -rP`` shows what each criterion measured)."""
    print(rows[["passed", "shown", "detail"]].to_string(max_colwidth=160))
    return rows


@pytest.mark.parametrize("probe", ['CMD ["true"]', 'CMD ["python3", "-c", "pass"]'], ids=["true", "python-noop"])
def test_a_healthcheck_that_asks_nothing_does_not_pass_06(docker_engine, tmp_path, probe):
    rows = _shortcut(tmp_path, "06", 'CMD ["python3", "/app/healthcheck.py"]', probe)
    assert rows.loc["healthcheck", "passed"], "a HEALTHCHECK is defined..."
    assert not rows.loc["notices-failure", "passed"], "...but it never notices the broken app"
    assert rows.loc["notices-failure", "shown"].startswith("still healthy")
    assert rows.loc["non-root", "passed"] and rows.loc["health", "passed"]


def test_the_real_healthcheck_notices_the_broken_app_06(docker_engine):
    ex = exercises.load("06")
    rows = exercises.check(ex, ex.solution, progress=False).criteria.set_index("criterion")
    assert rows.loc["notices-failure", "passed"] and rows.loc["notices-failure", "shown"].startswith("unhealthy after")


@pytest.mark.parametrize("fake", ["/etc/hostname", "/etc/ssl/certs/ca-certificates.crt /tmp/"],
                         ids=["any-file-at-the-path", "bundle-elsewhere"])
def test_a_file_at_the_bundle_path_is_not_a_ca_bundle_09(docker_engine, tmp_path, fake):
    old = "COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt"
    if fake.startswith("/etc/hostname"):
        new = "COPY --from=build /etc/hostname /etc/ssl/certs/ca-certificates.crt"
    else:
        new = "COPY --from=build /etc/ssl/certs/ca-certificates.crt /tmp/ca-certificates.crt"
    rows = _shortcut(tmp_path, "09", old, new)
    assert not rows.loc["ca-bundle", "passed"]
    assert rows.loc["non-root", "passed"] and rows.loc["no-shell", "passed"]


def test_lists_removed_in_a_later_run_still_ship_05(docker_engine, tmp_path):
    """The apt lists deleted by a RUN of their own: gone from the final filesystem, still in a layer."""
    rows = _shortcut(tmp_path, "05", " && apt-get install -y --no-install-recommends curl ca-certificates \\\n"
                     " && rm -rf /var/lib/apt/lists/*",
                     " && apt-get install -y --no-install-recommends curl ca-certificates\n"
                     "RUN rm -rf /var/lib/apt/lists/*")
    assert not rows.loc["no-apt-lists", "passed"] and "deleted by a later layer" in rows.loc["no-apt-lists", "detail"]


def test_a_token_passed_as_a_build_argument_is_found_07(docker_engine, tmp_path):
    """The token as ARG and read from the environment: the build works, the history keeps it."""
    rows = _shortcut(tmp_path, "07", "RUN --mount=type=secret,id=api_token python3 fetch_catalog.py",
                     "ARG API_TOKEN\nRUN python3 fetch_catalog.py")
    assert not rows.loc["no-secrets", "passed"]


def test_deleting_the_clutter_after_copying_it_still_ships_it_01(docker_engine, tmp_path):
    """No .dockerignore, and the clutter removed in the next RUN: still in the COPY's layer."""
    ex = exercises.load("01")
    folder = tmp_path / "learner"
    shutil.copytree(ex.solution, folder)
    (folder / ".dockerignore").unlink()
    dockerfile = folder / ex.dockerfile
    dockerfile.write_text(dockerfile.read_text(encoding="utf-8").replace(
        "\nCOPY . .\n", "\nCOPY . .\nRUN rm -rf .git .env node_modules\n"), encoding="utf-8")
    rows = exercises.check(ex, folder, progress=False).criteria.set_index("criterion")
    assert not rows.loc["no-clutter", "passed"] and not rows.loc["no-secrets", "passed"]
    assert rows.loc["health", "passed"]


def _graded(tmp_path, name: str, dockerfile: str):
    """The solution's folder with a Dockerfile of the learner's own."""
    ex = exercises.load(name)
    folder = tmp_path / "learner"
    shutil.copytree(ex.solution, folder)
    (folder / ex.dockerfile).write_text(dockerfile, encoding="utf-8")
    card = exercises.check(ex, folder, progress=False)
    assert card.build_error is None, card.build_error
    return _shown(card.criteria.set_index("criterion"))


def test_one_step_that_copies_the_sources_and_installs_reinstalls_02(docker_engine, tmp_path):
    """Sources bound into the install's RUN: an edit reruns one step, and that step is `npm ci`."""
    rows = _graded(tmp_path, "02", "FROM node:24-bookworm-slim\nWORKDIR /app\n"
                   "RUN --mount=type=bind,target=/ctx cp -r /ctx/package.json /ctx/package-lock.json /ctx/src . \\\n"
                   " && npm ci --omit=dev --no-audit --no-fund\n"
                   'EXPOSE 3000\nCMD ["node", "src/server.js"]\n')
    assert rows.loc["rebuild-steps", "passed"], "one step reruns: the step count is satisfied..."
    assert not rows.loc["dependencies-reused", "passed"], "...but the dependencies were installed again"
    assert rows.loc["dependencies-reused", "shown"] == "1 layer rebuilt"
    assert rows.loc["health", "passed"]


def test_the_solution_reuses_the_dependencies_02(docker_engine):
    ex = exercises.load("02")
    rows = _shown(exercises.check(ex, ex.solution, progress=False).criteria.set_index("criterion"))
    assert rows.loc["dependencies-reused", "passed"] and rows.loc["dependencies-reused", "shown"] == "reused"


def test_one_stage_that_deletes_npm_and_nodemon_later_still_ships_them_03(docker_engine, tmp_path):
    """node:slim as the runtime, npm and the dev dependencies removed by a RUN of their own."""
    rows = _graded(tmp_path, "03", "FROM node:24-bookworm-slim\nWORKDIR /app\n"
                   "COPY package.json package-lock.json ./\nRUN npm ci --no-audit --no-fund\nCOPY src ./src\n"
                   "RUN npm prune --omit=dev && rm -rf /usr/local/lib/node_modules/npm /usr/local/bin/npm "
                   "/usr/local/bin/npx /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*\n"
                   'EXPOSE 3000\nCMD ["node", "src/server.js"]\n')
    assert "npm" not in rows.loc["no-package-manager", "detail"], "npm is gone from the final filesystem..."
    assert not rows.loc["size", "passed"], "...but node:slim and the deleted bytes still ship"
    assert not rows.loc["no-dev-dependencies", "passed"]
    assert "deleted by a later layer" in rows.loc["no-dev-dependencies", "detail"]
    assert rows.loc["health", "passed"]


def test_deleting_the_nodemon_folder_leaves_its_dependencies_03(docker_engine, tmp_path):
    """`npm ci` (dev dependencies too), then `rm -rf node_modules/nodemon`: chokidar and the rest stay."""
    rows = _shortcut(tmp_path, "03", "RUN npm ci --omit=dev --no-audit --no-fund",
                     "RUN npm ci --no-audit --no-fund && rm -rf node_modules/nodemon")
    assert not rows.loc["no-dev-dependencies", "passed"]
    assert "chokidar" in rows.loc["no-dev-dependencies", "detail"]
    assert "nodemon" not in rows.loc["no-dev-dependencies", "detail"]
    assert rows.loc["size", "passed"] and rows.loc["no-package-manager", "passed"] and rows.loc["health", "passed"]


def test_the_whole_build_folder_copied_and_node_modules_deleted_later_still_ships_04(docker_engine, tmp_path):
    """The build stage's whole /app copied into nginx, node_modules deleted by the next RUN: gone from the
    final filesystem, still in the COPY's layer."""
    rows = _shortcut(tmp_path, "04", "COPY --from=build /app/dist /usr/share/nginx/html",
                     "COPY --from=build /app /usr/share/nginx/html\nRUN rm -rf /usr/share/nginx/html/node_modules")
    assert not rows.loc["no-node", "passed"]
    assert "deleted by a later layer" in rows.loc["no-node", "detail"]
    assert not rows.loc["no-sources", "passed"], "and the sources and manifests sit in the web root"
    assert rows.loc["size", "passed"] and rows.loc["health", "passed"]


def test_python_slim_with_its_shells_and_pip_deleted_is_over_the_size_08(docker_engine, tmp_path):
    """The runtime on python:slim, the shells and package managers deleted by its last RUN: the final
    filesystem has none, the image is still a whole Debian."""
    text = (exercises.load("08").solution / "Dockerfile").read_text(encoding="utf-8")
    assert "\nEXPOSE 8000\n" in text
    rows = _graded(tmp_path, "08", text.replace("FROM gcr.io/distroless/python3-debian12:nonroot\n",
                                                          "FROM python:3.11-slim-bookworm\n").replace(
        "\nEXPOSE 8000\n", "\nRUN rm -f /usr/bin/bash /usr/bin/rbash /usr/bin/dash /usr/bin/sh /usr/local/bin/pip* "
        "/usr/bin/pip* /usr/bin/apt* /usr/bin/dpkg*\nUSER 65532:65532\nEXPOSE 8000\n"))
    assert rows.loc["no-shell", "passed"] and rows.loc["no-package-manager", "passed"], "none left to find..."
    assert not rows.loc["size", "passed"], "...but the runtime is python:slim, about twice the budget"
    assert rows.loc["non-root", "passed"] and rows.loc["health", "passed"]


@pytest.mark.parametrize("base", ["eclipse-temurin:17-jre", "eclipse-temurin:17-jdk"],
                         ids=["stock-jre", "jdk-no-javac"])
def test_a_stock_java_runtime_is_over_the_download_budget_10(docker_engine, tmp_path, base):
    """No jlink: the stock JRE, or the whole JDK with javac deleted, as a non-root user."""
    delete = ("RUN rm -f /usr/bin/javac /etc/alternatives/javac /usr/lib/jvm/java-17-openjdk-amd64/bin/javac\n"
              if base.endswith("jdk") else "")
    rows = _graded(tmp_path, "10", "FROM eclipse-temurin:17-jdk AS build\nWORKDIR /src\nCOPY src ./src\n"
                   "RUN mkdir -p /out/classes"
                   " && javac --release 17 -d /out/classes $(find src/main/java -name '*.java')"
                   " && jar --create --file /out/app.jar --main-class dev.dockopt.exercise.App -C /out/classes .\n"
                   f"FROM {base}\n{delete}COPY --from=build /out/app.jar /app/app.jar\nENV PORT=8080\n"
                   'USER 65532:65532\nEXPOSE 8080\nENTRYPOINT ["java", "-jar", "/app/app.jar"]\n')
    assert not rows.loc["compressed-size", "passed"]
    assert rows.loc["no-javac", "passed"] and rows.loc["non-root", "passed"] and rows.loc["health", "passed"]
