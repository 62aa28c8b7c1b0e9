"""Each stack's recipe: the Dockerfile a rung of the ladder builds, as blocks each introduced by one rung.

A recipe writes text only; ``climb`` builds and measures it. The rungs are cumulative: rung *n*'s
Dockerfile has every change of the rungs before it that held (a rung that broke the app is left out of
the later ones). Blocks carry the rung that introduced them, so the final Dockerfile can say, above each
block, what that change measured.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..bases.catalog import DISTROLESS, runtime_candidates
from .facts import AppFacts

#: The rungs, in the order they are climbed. ``original``: the project as it is.
RungName = Literal["original", "dockerignore", "order", "multistage", "base", "nonroot", "healthcheck"]
RUNGS: tuple[RungName, ...] = ("original", "dockerignore", "order", "multistage", "base", "nonroot", "healthcheck")

#: What each rung changes, in words (the ``dockerfile_change`` of its row when it applies).
CHANGES: dict[str, str] = {
    "original": "the project's Dockerfile as it is",
    "dockerignore": ".dockerignore: VCS, host dependencies, credentials, tests and docs stay out of the context",
    "order": "dependency manifests copied and installed before the sources (production dependencies, no caches)",
    "multistage": "a build stage with cache mounts; the runtime stage gets only what the app runs",
    "base": "runtime base chosen by measuring the candidates: the smallest that passes the readiness check",
    "nonroot": "USER 65532:65532: the process does not run as root",
    "healthcheck": "HEALTHCHECK with what the runtime image has (no curl needed)",
}

NONROOT = "65532:65532"
BUSYBOX = "busybox:1.35"
_PROBE_WGET = "/usr/local/bin/wget"


@dataclass(frozen=True)
class Candidate:
    """A runtime base a recipe can put the app on: ``name``, the image, and ``skipped`` (why not tried)."""

    name: str
    reference: str
    skipped: str | None = None


@dataclass(frozen=True)
class Draft:
    """Which rungs a Dockerfile includes (``order``/``multistage`` replace the original's text)."""

    order: bool = False
    multistage: bool = False
    runtime: str | None = None          # a candidate's name (None: the recipe's first)
    nonroot: bool = False
    healthcheck: bool = False


@dataclass(frozen=True)
class Block:
    """Lines of a Dockerfile, and the rung that introduced them (None: carried over unchanged)."""

    lines: tuple[str, ...]
    rung: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Rendered:
    blocks: tuple[Block, ...]
    builder: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join("\n".join(b.lines) for b in self.blocks if b.lines) + "\n"


# --- runtime candidates ---------------------------------------------------------------------------------------


def candidates(facts: AppFacts) -> tuple[Candidate, ...]:
    """The runtime bases to measure for ``facts``'s flavour, the conventional one first (the multistage
    rung uses it; the base rung measures all of them)."""
    if facts.flavour == "node-spa":
        return (Candidate("nginx", "nginx:1.27-bookworm"), Candidate("busybox", BUSYBOX))
    stack = facts.stack
    out = [Candidate(c.name, c.reference, c.unsupported) for c in runtime_candidates(stack)]
    if stack == "go":
        out.sort(key=lambda c: c.name != "slim")  # the conventional runtime first, then the small ones
    if stack == "java":
        out.insert(2, Candidate("jlink", f"{DISTROLESS}/cc-debian12:nonroot"))
    return tuple(out)


def _candidate(facts: AppFacts, name: str | None) -> Candidate:
    cands = candidates(facts)
    if name is None:
        return cands[0]
    for c in cands:
        if c.name == name:
            return c
    raise KeyError(name)


# --- helpers ------------------------------------------------------------------------------------------------


def _json(words: Sequence[str]) -> str:
    return json.dumps(list(words))


def _url(facts: AppFacts) -> str:
    return f"http://127.0.0.1:{facts.port}{facts.health_path or '/'}"


def _health_line(cmd: Sequence[str]) -> str:
    return f"HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 CMD {_json(cmd)}"


def _lock_copy(facts: AppFacts, *manifests: str | None) -> str:
    names = [m for m in manifests if m and m in facts.files]
    return f"COPY {' '.join(names)} ./"


def _npm_install(facts: AppFacts, *, production: bool) -> str:
    if facts.lockfile == "yarn.lock":
        return ("RUN --mount=type=cache,target=/usr/local/share/.cache/yarn "
                f"yarn install --frozen-lockfile{' --production' if production else ''}")
    verb = "ci" if facts.lockfile in ("package-lock.json", "npm-shrinkwrap.json") else "install"
    return (f"RUN --mount=type=cache,target=/root/.npm npm {verb}{' --omit=dev' if production else ''} "
            "--no-audit --no-fund")


def _pip_deps(facts: AppFacts, target: str | None) -> list[str]:
    """Lines that install the production dependencies (``target``: into that folder; None: the system)."""
    into = f" --target {target}" if target else ""
    pip = f"python3 -m pip install --no-compile{into}"
    cache = "--mount=type=cache,target=/root/.cache/pip"
    if facts.lockfile == "uv.lock":
        return ["COPY pyproject.toml uv.lock ./",
                f"RUN {cache} python3 -m pip install uv \\\n"
                " && python3 -m uv export --frozen --no-dev --no-hashes --no-emit-project -o /tmp/requirements.txt \\\n"
                f" && {pip} -r /tmp/requirements.txt"]
    if facts.lockfile == "poetry.lock":
        return ["COPY pyproject.toml poetry.lock ./",
                f"RUN {cache} python3 -m pip install poetry poetry-plugin-export \\\n"
                " && python3 -m poetry export --only main --without-hashes -o /tmp/requirements.txt \\\n"
                f" && {pip} -r /tmp/requirements.txt"]
    if facts.manifest == "requirements.txt":
        return ["COPY requirements.txt /tmp/requirements.txt", f"RUN {cache} {pip} -r /tmp/requirements.txt"]
    if facts.manifest in ("pyproject.toml", "setup.py"):
        return ["COPY . /tmp/src", f"RUN {cache} {pip} /tmp/src"]
    return []


def _cmd_lines(command: Sequence[str]) -> list[str]:
    return [f"ENTRYPOINT {_json(command)}"] if command else []


def _expose(facts: AppFacts) -> list[str]:
    return [f"EXPOSE {facts.port}"] if facts.port else []


def _runtime_dirs(facts: AppFacts) -> list[str]:
    tops = sorted({f.split("/", 1)[0] for f in facts.files if "/" in f})
    return [d for d in tops if d in ("static", "templates", "public", "web", "assets", "migrations", "config")]


# --- the rung Dockerfiles -----------------------------------------------------------------------------------


def single_stage(facts: AppFacts, original: str) -> Rendered | str:
    """The ``order`` rung: the original's base and command, dependencies installed before the sources are
    copied (production ones only, no package caches left). A string: why it does not apply."""
    head = [f"FROM {facts.base}", f"WORKDIR {facts.workdir}", *facts.env_lines]
    tail = ["COPY . .", *(f"RUN {r}" for r in facts.build_runs), *_expose(facts)]
    cmd = _original_cmd(original)
    if facts.flavour in ("node-server", "node-spa"):
        deps = [_lock_copy(facts, "package.json", facts.lockfile),
                _npm_install(facts, production=facts.flavour == "node-server")]
    elif facts.flavour == "python":
        deps = _pip_deps(facts, None)
        deps = [d.replace("--no-compile", "--no-cache-dir") for d in deps]
        if not deps:
            return "no requirements.txt, pyproject.toml or lock file to install before the sources"
    elif facts.flavour == "go":
        deps = [_lock_copy(facts, "go.mod", "go.sum"),
                "RUN --mount=type=cache,target=/root/go/pkg/mod go mod download"]
    elif facts.flavour == "java":
        return ("a Java build resolves its dependencies with its build tool; the multistage rung orders "
                "them (pom.xml / build.gradle before src/)" if facts.java_tool != "javac" else
                "no dependency manifest: the app uses only the JDK, so there is nothing to install before the sources")
    else:
        return "generic stack: dockopt does not know which files install the dependencies"
    return Rendered((Block(tuple(head)), Block(tuple(deps), "order"), Block(tuple(tail + cmd))))


def _original_cmd(original: str) -> list[str]:
    from ..dockerfile import parse

    df = parse("Dockerfile", text=original)
    out = []
    for ins in df.final.instructions:
        if ins.keyword in ("CMD", "ENTRYPOINT"):
            out.append(ins.original)
    return out


def multistage(facts: AppFacts, draft: Draft, builder: str) -> Rendered | str:
    """The ``multistage`` rung and everything after it: build stage(s) + runtime stage on ``draft.runtime``."""
    render = {"node-server": _node_server, "node-spa": _node_spa, "python": _python, "go": _go,
              "java": _java}.get(facts.flavour)
    if render is None:
        return ("generic stack: dockopt does not know what the app needs at run time, so it does not split "
                "build from runtime (add a dockopt recipe or write the stages by hand)")
    return render(facts, draft, builder, _candidate(facts, draft.runtime))


def _finish(facts: AppFacts, draft: Draft, command: Sequence[str], health: Sequence[str] | None,
            health_setup: Sequence[str] = ()) -> list[Block]:
    out = []
    if draft.nonroot:
        out.append(Block((f"USER {NONROOT}",), "nonroot"))
    out.append(Block(tuple(_expose(facts))))
    if draft.healthcheck and health:
        out.append(Block((*health_setup, _health_line(health)), "healthcheck"))
    out.append(Block(tuple(_cmd_lines(command))))
    return out


def _node_server(facts: AppFacts, draft: Draft, builder: str, cand: Candidate) -> Rendered:
    wd = facts.workdir
    # mkdir: an app without dependencies gets no node_modules from npm, and the runtime's COPY needs one
    deps = Block(("FROM " + builder + " AS deps", f"WORKDIR {wd}", _lock_copy(facts, "package.json", facts.lockfile),
                  _npm_install(facts, production=True) + " \\\n && mkdir -p node_modules"), "multistage",
                 "production dependencies only, installed from the lock file before the sources are copied")
    runtime = [f"FROM {cand.reference} AS runtime"]
    if cand.reference.startswith(f"{DISTROLESS}/nodejs"):
        runtime.append("ENV PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin")
    runtime += [f"WORKDIR {wd}", "ENV NODE_ENV=production", *facts.env_lines,
                f"COPY --from=deps {wd}/node_modules ./node_modules", "COPY . ."]
    health: tuple[str, ...] = facts.health_command or (
        "node", "-e", f"require('http').get('{_url(facts)}', r => process.exit("
        "r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))")
    blocks = [deps, Block(tuple(runtime), "base" if draft.runtime else "multistage",
                          "the runtime: node, the production node_modules and the app's files")]
    return Rendered(tuple(blocks + _finish(facts, draft, facts.command, health)), builder)


def _node_spa(facts: AppFacts, draft: Draft, builder: str, cand: Candidate) -> Rendered:
    out_dir = facts.spa_output
    health_file = ""
    if facts.health_path and facts.health_path != "/":
        target = f"{out_dir}{facts.health_path}"
        health_file = (f" \\\n && mkdir -p {target.rsplit('/', 1)[0]} && [ -e {target} ] || printf 'ok\\n' > {target}")
    build = Block(("FROM " + builder + " AS build", "WORKDIR /app", _lock_copy(facts, "package.json", facts.lockfile),
                   _npm_install(facts, production=False), "COPY . .", f"RUN npm run build{health_file}"),
                  "multistage", "the bundler and dev dependencies stay in the build stage; only the built files ship")
    port = facts.port or 8080
    if cand.name == "busybox":
        runtime: tuple[str, ...] = (f"FROM {cand.reference} AS runtime",
                                    f"COPY --from=build /app/{out_dir} /www")
        command: tuple[str, ...] = ("busybox", "httpd", "-f", "-v", "-p", str(port), "-h", "/www")
        setup: tuple[str, ...] = ()
        health: tuple[str, ...] = ("wget", "-q", "-O", "/dev/null", _url(facts))
    else:
        conf = "nginx.conf" if "nginx.conf" in facts.files else None
        lines = [f"FROM {cand.reference} AS runtime"]
        if conf:
            lines.append("COPY nginx.conf /etc/nginx/nginx.conf")
        else:
            # stock nginx listens on 80 as root; this config serves the SPA on the app's port, runnable as non-root
            lines.append(
                "RUN printf '%s\\n' 'worker_processes 1;' 'pid /tmp/nginx.pid;' 'error_log stderr warn;' "
                "'events { worker_connections 256; }' 'http { include /etc/nginx/mime.types; access_log off;' "
                "'client_body_temp_path /tmp/cb; proxy_temp_path /tmp/p; fastcgi_temp_path /tmp/f; "
                "uwsgi_temp_path /tmp/u; scgi_temp_path /tmp/s;' "
                f"'server {{ listen {port}; root /usr/share/nginx/html; "
                "location / { try_files $uri $uri/ /index.html; } } }' > /etc/nginx/nginx.conf")
        lines.append(f"COPY --from=build /app/{out_dir} /usr/share/nginx/html")
        runtime = tuple(lines)
        command = ("nginx", "-c", "/etc/nginx/nginx.conf")
        if not conf or not facts.nginx_daemon_off:
            command += ("-g", "daemon off;")
        setup = (f"COPY --from={BUSYBOX} /bin/busybox {_PROBE_WGET}",)
        health = (_PROBE_WGET, "-q", "-O", "/dev/null", _url(facts))
    blocks = [build, Block(runtime, "base" if draft.runtime else "multistage",
                           "a static file server and the built files")]
    return Rendered(tuple(blocks + _finish(facts, draft, command, health, setup)), builder)


def _python(facts: AppFacts, draft: Draft, builder: str, cand: Candidate) -> Rendered | str:
    deps = _pip_deps(facts, "/deps")
    if not deps:
        return "no requirements.txt, pyproject.toml or lock file: dockopt cannot tell the dependencies from the app"
    build = Block(("FROM " + builder + " AS deps",
                   "ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PIP_BREAK_SYSTEM_PACKAGES=1",
                   "WORKDIR /tmp/build", *deps), "multistage",
                  "production dependencies into /deps, from the manifest alone, with pip's cache in a cache mount")
    wd = facts.workdir
    runtime = (f"FROM {cand.reference} AS runtime", f"WORKDIR {wd}",
               f"ENV PYTHONPATH=/deps:{wd} PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1", *facts.env_lines,
               "COPY --from=deps /deps /deps", "COPY . .")
    health: tuple[str, ...] = facts.health_command or (
        "python3", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen("
        f"'{_url(facts)}', timeout=3).status == 200 else 1)")
    blocks = [build, Block(runtime, "base" if draft.runtime else "multistage",
                           "the runtime: python, the installed dependencies and the app's files")]
    return Rendered(tuple(blocks + _finish(facts, draft, facts.command, health)), builder)


def _go(facts: AppFacts, draft: Draft, builder: str, cand: Candidate) -> Rendered:
    build = Block(("FROM " + facts.base + " AS build", "WORKDIR /src",
                   "ENV CGO_ENABLED=0 GOFLAGS=-trimpath GOMODCACHE=/go/pkg/mod GOCACHE=/root/.cache/go-build",
                   _lock_copy(facts, "go.mod", "go.sum"),
                   "RUN --mount=type=cache,target=/go/pkg/mod go mod download", "COPY . .",
                   "RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \\\n"
                   f"    go build -ldflags='-s -w' -o /out/server {facts.go_package}"),
                  "multistage", "a static binary (CGO off, stripped), modules and build cache in cache mounts")
    runtime = [f"FROM {cand.reference} AS runtime", "WORKDIR /app", *facts.env_lines,
               "COPY --from=build /out/server /app/server"]
    runtime += [f"COPY {d} ./{d}" for d in _runtime_dirs(facts)]
    args = list(facts.command[1:]) if facts.command and not facts.command[0].startswith("/bin/sh") else []
    command = ("/app/server", *args)
    setup: tuple[str, ...] = ()
    health: tuple[str, ...] = facts.health_command
    if not health:
        setup = (f"COPY --from={BUSYBOX} /bin/busybox {_PROBE_WGET}",)
        health = (_PROBE_WGET, "-q", "-O", "/dev/null", _url(facts))
    blocks = [build, Block(tuple(runtime), "base" if draft.runtime else "multistage", "only the binary ships")]
    return Rendered(tuple(blocks + _finish(facts, draft, command, health, setup)), builder)


# The module list is its own stage: a source edit reruns jdeps, but jlink reruns only when the list changes
# (BuildKit keys the COPY of modules.txt by its content).
_JLINK = """FROM build AS modules
RUN jdeps --ignore-missing-deps --print-module-deps /out/app.jar > /out/modules.txt

FROM {jdk} AS jre
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY --from=modules /out/modules.txt /tmp/modules.txt
RUN jlink --add-modules "$(cat /tmp/modules.txt)" --strip-java-debug-attributes --no-man-pages --no-header-files \\
          --compress=2 --output /opt/jre \\
 && mkdir -p /rootfs/usr/lib \\
 && for lib in $(find /opt/jre \\( -name '*.so' -o -path '*/bin/java' \\) -print0 \\
                  | xargs -0 ldd 2>/dev/null | awk '$3 ~ /^\\// {{print $3}}' | sort -u); do \\
      case "$lib" in /opt/jre/*) continue ;; esac; \\
      case "$(basename "$lib")" in \\
        libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|ld-linux*|libgcc_s.so*|libstdc++.so*) ;; \\
        libssl.so*|libcrypto.so*) ;; \\
        *) multiarch=$(basename "$(dirname "$lib")"); mkdir -p "/rootfs/usr/lib/$multiarch"; \\
           cp -L "$lib" "/rootfs/usr/lib/$multiarch/" ;; \\
      esac; \\
    done"""


def _java(facts: AppFacts, draft: Draft, builder: str, cand: Candidate) -> Rendered | str:
    build: tuple[str, ...]
    if facts.java_tool == "maven":
        jdk = "eclipse-temurin:17-jdk"
        build = ("FROM maven:3.9-eclipse-temurin-17 AS build", "WORKDIR /src", "COPY pom.xml ./",
                 "RUN --mount=type=cache,target=/root/.m2 mvn -B -q dependency:go-offline", "COPY src ./src",
                 "RUN --mount=type=cache,target=/root/.m2 mvn -B -q package -DskipTests \\\n"
                 " && mkdir -p /out \\\n"
                 " && cp \"$(ls target/*.jar | grep -v -e '-sources' -e '-javadoc' | head -n1)\" /out/app.jar")
    elif facts.java_tool == "gradle":
        jdk = "eclipse-temurin:17-jdk"
        build = ("FROM gradle:8-jdk17 AS build", "WORKDIR /src",
                 "COPY " + " ".join(f for f in ("settings.gradle", "settings.gradle.kts", "build.gradle",
                                                  "build.gradle.kts") if f in facts.files) + " ./",
                 "RUN --mount=type=cache,target=/home/gradle/.gradle gradle --no-daemon -q dependencies",
                 "COPY src ./src",
                 "RUN --mount=type=cache,target=/home/gradle/.gradle gradle --no-daemon -q assemble -x test \\\n"
                 " && mkdir -p /out && cp \"$(ls build/libs/*.jar | grep -v -e '-plain' | head -n1)\" /out/app.jar")
    else:
        if not facts.java_artifact or not facts.build_runs:
            return ("the Dockerfile builds no jar that the command runs (`java -jar X`): dockopt cannot tell "
                    "the artifact")
        jdk = facts.base
        artifact = facts.java_artifact if facts.java_artifact.startswith("/") else \
            f"{facts.workdir.rstrip('/')}/{facts.java_artifact}"
        runs = [f"RUN {r}" for r in facts.build_runs]
        runs[-1] += f" \\\n && mkdir -p /out && cp {artifact} /out/app.jar"  # one step less per rebuild
        build = ("FROM " + facts.base + " AS build", f"WORKDIR {facts.workdir}", "COPY . .", *runs)
    blocks = [Block(build, "multistage", "the JDK and the build tool stay in the build stage; only the jar ships")]
    runtime: list[str] = []
    if cand.name == "jlink":
        blocks.append(Block(tuple(_JLINK.format(jdk=jdk).splitlines()), "base",
                            "a Java runtime cut to the modules the jar uses (jdeps + jlink) and the libraries "
                            "it loads"))
        runtime = [f"FROM {cand.reference} AS runtime", "COPY --from=jre /rootfs/ /",
                   "COPY --from=jre /opt/jre /opt/jre",
                   "ENV JAVA_HOME=/opt/jre PATH=/opt/jre/bin:/usr/local/bin:/usr/bin:/bin"]
    else:
        runtime = [f"FROM {cand.reference} AS runtime"]
        if cand.reference.startswith(f"{DISTROLESS}/java"):
            runtime.append("ENV PATH=/usr/lib/jvm/java-17-openjdk-amd64/bin:/usr/local/bin:/usr/bin:/bin")
    runtime += ["WORKDIR /app", *facts.env_lines, "COPY --from=build /out/app.jar /app/app.jar"]
    cmd = list(facts.command)
    if "-jar" in cmd and cmd.index("-jar") + 1 < len(cmd):
        cmd[cmd.index("-jar") + 1] = "/app/app.jar"
    else:
        cmd = ["java", "-jar", "/app/app.jar"]
    setup: tuple[str, ...] = ()
    health: tuple[str, ...] = facts.health_command
    if not health:
        setup = (f"COPY --from={BUSYBOX} /bin/busybox {_PROBE_WGET}",)
        health = (_PROBE_WGET, "-q", "-O", "/dev/null", _url(facts))
    blocks.append(Block(tuple(runtime), "base" if draft.runtime else "multistage", "a Java runtime and the jar"))
    return Rendered(tuple(blocks + _finish(facts, draft, cmd, health, setup)), builder)


# --- the generic stack: edits of the original text -------------------------------------------------------------


def hygiene(text: str) -> tuple[str, list[str]]:
    """``text`` with package-manager hygiene applied to its RUN lines; what changed, in words."""
    changes = []
    out = text
    if re.search(r"apt-get install(?![^\n]*--no-install-recommends)", out):
        out = re.sub(r"apt-get install(?! [^\n]*--no-install-recommends)", "apt-get install --no-install-recommends",
                     out)
        changes.append("apt-get install --no-install-recommends")
    if "apt-get install" in out and "/var/lib/apt/lists" not in out:
        out = re.sub(r"(RUN [^\n]*apt-get install[^\n]*?)(\s*)$", r"\1 \\\n && rm -rf /var/lib/apt/lists/*\2", out,
                     flags=re.M)
        changes.append("apt lists removed in the same layer")
    if re.search(r"pip3? install(?![^\n]*--no-cache-dir)", out):
        out = re.sub(r"(pip3? install)(?![^\n]*--no-cache-dir)", r"\1 --no-cache-dir", out)
        changes.append("pip --no-cache-dir")
    if re.search(r"npm (install|ci)\b", out) and "npm cache clean" not in out:
        out = re.sub(r"^(RUN [^\n]*npm (?:install|ci)\b[^\n]*)$", r"\1 && npm cache clean --force", out, flags=re.M)
        changes.append("npm cache cleaned in the same layer")
    return out, changes


def _insert_before_cmd(text: str, lines: Sequence[str]) -> str:
    from ..dockerfile import parse

    df = parse("Dockerfile", text=text)
    final = df.final
    cmds = [i for i in final.instructions if i.keyword in ("CMD", "ENTRYPOINT")]
    all_lines = text.splitlines()
    at = cmds[0].line_start - 1 if cmds else len(all_lines)
    return "\n".join(all_lines[:at] + list(lines) + all_lines[at:]) + "\n"


def generic(facts: AppFacts, original: str, *, hygiene_on: bool, nonroot: bool, healthcheck: bool) -> Rendered:
    """The generic fallback: the original with the safe edits only."""
    text = hygiene(original)[0] if hygiene_on else original
    extra = []
    if nonroot:
        extra.append(f"USER {NONROOT}")
    if healthcheck and facts.port:
        extra.append("HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 "
                     f"CMD wget -q -O /dev/null {_url(facts)} || curl -fsS -o /dev/null {_url(facts)} || exit 1")
    if extra:
        text = _insert_before_cmd(text, extra)
    return Rendered((Block(tuple(text.rstrip("\n").splitlines())),))

