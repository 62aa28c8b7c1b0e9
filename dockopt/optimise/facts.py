"""What ``optimise`` reads from a project before it writes anything: the facts a recipe needs.

Everything here comes from the files and from the Dockerfile as BuildKit parses it (the final stage of the
target): the base it builds on, its WORKDIR, ENV and EXPOSE lines, the RUN lines that install dependencies
or build, the command it runs; and from the context: dependency manifests and lock files, a SPA bundler,
the entry file, a health probe the app ships. Nothing talks to the engine.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..dockerfile import Dockerfile, Instruction
from ..project import Project

#: What kind of app a recipe builds for: each stack has its own; ``generic`` gets only the safe rungs.
Flavour = Literal["node-server", "node-spa", "python", "go", "java", "generic"]

_INSTALL = re.compile(r"\b(npm (install|i|ci)|yarn( install)?|pnpm (install|i)|pip3? install|python3? -m pip install"
                      r"|poetry install|uv (sync|pip install)|go mod download|bundle install)\b")
_SPA_BUNDLERS = ("vite", "react-scripts", "@angular/cli", "@vue/cli-service", "parcel", "webpack-cli")
_JS_STACKS = ("vue", "react", "angular", "svelte", "javascript", "typescript", "nodejs")
_PY_MODULE_SCRIPTS = ("uvicorn", "gunicorn", "flask", "celery", "hypercorn", "daphne", "streamlit", "django-admin")
_GO_HEALTH_FLAG = re.compile(r"""flag\.(?:Bool|BoolVar)\((?:[^,]+,\s*)?"(-?health-?check|healthcheck)\"""")
_JAVA_HEALTH_ARG = re.compile(r'"(--health-?check)"')


@dataclass(frozen=True)
class AppFacts:
    """What a recipe needs to know about one project (all paths POSIX, relative to the context)."""

    flavour: Flavour
    base: str                          # the original final stage's base image
    workdir: str                       # its WORKDIR (``/app`` when none)
    command: tuple[str, ...]           # what it runs (ENTRYPOINT + CMD, exec form)
    env_lines: tuple[str, ...]         # its ENV instructions, as written
    port: int | None
    health_path: str | None
    install_runs: tuple[str, ...]      # RUN lines that install dependencies
    build_runs: tuple[str, ...]        # the other RUN lines (builds, generated files)
    files: frozenset[str]              # what the context holds (before any .dockerignore of ours)
    lockfile: str | None = None        # package-lock.json, yarn.lock, poetry.lock, uv.lock, go.sum
    manifest: str | None = None        # package.json, requirements.txt, pyproject.toml, go.mod, pom.xml ...
    entry: str | None = None           # the source file the command starts (a source edit touches it)
    health_command: tuple[str, ...] = ()   # a probe the app ships (healthcheck.js, app.healthcheck, -healthcheck)
    spa_output: str = "dist"           # where a SPA's build writes
    go_package: str = "."
    java_artifact: str | None = None   # the jar the command runs, relative to workdir
    java_tool: Literal["javac", "maven", "gradle"] | None = None
    nginx_daemon_off: bool = False     # the project's nginx.conf says `daemon off;` itself
    notes: tuple[str, ...] = ()        # what was read, in words (for the report)

    @property
    def stack(self) -> str:
        return self.flavour.split("-", 1)[0]


def _cmd(ins: Instruction | None) -> tuple[str, ...]:
    if ins is None:
        return ()
    if ins.json_form:
        return tuple(ins.args)
    text = " ".join(ins.args)
    try:
        return ("/bin/sh", "-c", text) if re.search(r"[|&;$<>`]", text) else tuple(shlex.split(text))
    except ValueError:
        return ("/bin/sh", "-c", text)


def command_of(df: Dockerfile, target: str | None) -> tuple[str, ...]:
    """ENTRYPOINT + CMD of the target's stage chain, as the engine would run them."""
    entry = cmd = None
    for stage in reversed(df.chain(target)):
        for ins in stage.instructions:
            if ins.keyword == "ENTRYPOINT":
                entry, cmd = ins, None  # an ENTRYPOINT resets the inherited CMD
            elif ins.keyword == "CMD":
                cmd = ins
    return _cmd(entry) + _cmd(cmd)


def _package_json(root: Path) -> dict[str, object]:
    try:
        data = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _node_command(command: tuple[str, ...], pkg: dict[str, object]) -> tuple[tuple[str, ...], str | None]:
    """``npm start`` / ``npm run x`` resolved to the ``node ...`` line the script runs (npm itself is
    not in a distroless runtime); the entry file it starts."""
    scripts = pkg.get("scripts") if isinstance(pkg.get("scripts"), dict) else {}
    assert isinstance(scripts, dict)
    script = None
    if command[:2] == ("npm", "start") or command[:2] == ("yarn", "start"):
        script = scripts.get("start") or ("node server.js" if not scripts else None)
    elif command[:3] in (("npm", "run", command[2] if len(command) > 2 else ""),) and len(command) > 2:
        script = scripts.get(command[2])
    elif command[:1] == ("node",):
        script = " ".join(command)
    if isinstance(script, str) and re.fullmatch(r"node(\s+--?[\w=-]+)*\s+[\w./-]+\.[cm]?js(\s+.*)?", script.strip()):
        words = tuple(shlex.split(script))
        entry = next((w for w in words[1:] if w.endswith((".js", ".cjs", ".mjs"))), None)
        return words, entry
    main = pkg.get("main")
    if not command and isinstance(main, str):
        return ("node", main), main
    return command, None


def _is_spa(pkg: dict[str, object], command: tuple[str, ...]) -> bool:
    deps: dict[str, object] = {}
    for key in ("dependencies", "devDependencies"):
        value = pkg.get(key)
        if isinstance(value, dict):
            deps.update(value)
    scripts = pkg.get("scripts") if isinstance(pkg.get("scripts"), dict) else {}
    assert isinstance(scripts, dict)
    has_bundler = any(b in deps for b in _SPA_BUNDLERS)
    runs_server_file = bool(command) and command[0] == "node"
    for word in ("start",):
        script = scripts.get(word)
        if isinstance(script, str) and script.startswith("node "):
            runs_server_file = True
    dev_server = any(w in ("dev", "serve", "preview") for w in command) or (command[:1] == ("vite",))
    return has_bundler and "build" in scripts and (dev_server or not runs_server_file)


def _first(files: frozenset[str], *names: str) -> str | None:
    return next((n for n in names if n in files), None)


def _read(root: Path, rel: str) -> str:
    try:
        return (root / rel).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def read_facts(p: Project, files: frozenset[str]) -> AppFacts:
    """The facts of project ``p`` (``files``: what its context holds, relative POSIX paths)."""
    df = p.parsed()
    chain = df.chain(p.target)
    workdir = "/app"
    env_lines: list[str] = []
    installs: list[str] = []
    builds: list[str] = []
    for st in reversed(chain):
        for ins in st.instructions:
            if ins.keyword == "WORKDIR" and ins.args:
                wd = ins.args[0]
                workdir = wd if wd.startswith("/") else f"{workdir.rstrip('/')}/{wd}"
            elif ins.keyword == "ENV":
                env_lines.append(ins.original)
            elif ins.keyword == "RUN":
                (installs if _INSTALL.search(ins.original) else builds).append(ins.original.partition(" ")[2])
    command = command_of(df, p.target)
    base = chain[-1].base
    root = p.context
    notes = [f"final stage on {base}, WORKDIR {workdir}, runs {' '.join(command) or '(nothing)'}"]
    common: dict[str, Any] = {"base": base, "workdir": workdir, "env_lines": tuple(env_lines), "port": p.port,
                              "health_path": p.health_path, "install_runs": tuple(installs),
                              "build_runs": tuple(builds), "files": files}
    stack = p.stack
    if stack in _JS_STACKS or (stack is None and "package.json" in files):
        stack = "node"
    if stack == "node" and "package.json" in files:
        pkg = _package_json(root)
        lock = _first(files, "package-lock.json", "yarn.lock", "npm-shrinkwrap.json")
        if _is_spa(pkg, command):
            out = "build" if "react-scripts" in json.dumps(pkg) else "dist"
            notes.append(f"a single-page app: a bundler and a build script; served as static files from {out}/")
            return AppFacts(flavour="node-spa", command=command, lockfile=lock, manifest="package.json",
                            entry=_first(files, "src/main.js", "src/main.ts", "src/index.js", "src/App.vue",
                                         "index.html"), spa_output=out, notes=tuple(notes),
                            nginx_daemon_off="daemon off" in _read(root, "nginx.conf"), **common)
        node_cmd, entry = _node_command(command, pkg)
        probe: tuple[str, ...] = ()
        if "healthcheck.js" in files:
            probe = ("node", f"{workdir.rstrip('/')}/healthcheck.js")
            notes.append("the app ships healthcheck.js: the HEALTHCHECK runs it")
        if node_cmd != command:
            notes.append(f"`{' '.join(command)}` runs `{' '.join(node_cmd)}` (npm is not in a distroless runtime)")
        return AppFacts(flavour="node-server", command=node_cmd, lockfile=lock, manifest="package.json", entry=entry,
                        health_command=probe, notes=tuple(notes), **common)
    if stack == "python":
        lock = _first(files, "uv.lock", "poetry.lock")
        manifest = _first(files, "requirements.txt", "pyproject.toml", "setup.py")
        cmd = command
        if len(cmd) > 2 and cmd[0] in ("uv", "poetry", "pipenv") and cmd[1] == "run":
            # the runner resolves the lock at start; the runtime has the locked packages on PYTHONPATH instead
            rest = list(cmd[2:])
            while rest and rest[0].startswith("-"):  # `uv run --frozen --no-dev ...`
                rest.pop(0)
            notes.append(f"`{' '.join(cmd[:2])}` dropped: the runtime has the locked dependencies installed, "
                         f"not {cmd[0]}")
            cmd = tuple(rest)
        if cmd and re.fullmatch(r"python[0-9.]*", cmd[0]):
            cmd = ("python3", *cmd[1:])
        elif cmd and cmd[0] in _PY_MODULE_SCRIPTS:
            module = {"django-admin": "django"}.get(cmd[0], cmd[0])
            cmd = ("python3", "-m", module, *cmd[1:])
            notes.append(f"`{command[0]}` started as `python3 -m {module}`: console scripts carry the builder's "
                         "interpreter path")
        entry = None
        for word in cmd[1:]:
            mod = word.split(":")[0]
            cand = mod.replace(".", "/") + ".py" if not word.endswith(".py") else word
            if cand in files:
                entry = cand
                break
            if f"{mod.replace('.', '/')}/__main__.py" in files:
                entry = f"{mod.replace('.', '/')}/__main__.py"
                break
        probe = ()
        for f in sorted(files):
            if f.endswith("/healthcheck.py") and f.count("/") == 1:
                probe = ("python3", "-m", f.removesuffix(".py").replace("/", "."))
                notes.append(f"the app ships {f}: the HEALTHCHECK runs it")
                break
        return AppFacts(flavour="python", command=cmd, lockfile=lock, manifest=manifest, entry=entry,
                        health_command=probe, notes=tuple(notes), **common)
    if stack == "go":
        go_pkg = "."
        for run in builds:
            m = re.search(r"go build\s+(.*)", run)
            if m:
                words = [w for w in shlex.split(m.group(1).split("&&")[0]) if w]
                skip = False
                args = []
                for w in words:
                    if skip:
                        skip = False
                        continue
                    if w in ("-o", "-ldflags", "-tags", "-gcflags"):
                        skip = True
                        continue
                    if not w.startswith("-"):
                        args.append(w)
                go_pkg = " ".join(args) or "."
        go_sources = sorted(f for f in files if f.endswith(".go") and not f.endswith("_test.go"))
        entry = "main.go" if "main.go" in files else (go_sources[0] if go_sources else None)
        probe = ()
        m = next((hit for f in go_sources[:50] if (hit := _GO_HEALTH_FLAG.search(_read(root, f)))), None)
        if m is not None:
            probe = ("/app/server", "-" + m.group(1).lstrip("-"))
            notes.append(f"the binary has a `-{m.group(1).lstrip('-')}` flag: the HEALTHCHECK runs it")
        return AppFacts(flavour="go", command=command, lockfile=_first(files, "go.sum"), manifest="go.mod",
                        entry=entry, health_command=probe, go_package=go_pkg, notes=tuple(notes), **common)
    if stack == "java":
        tool: Literal["javac", "maven", "gradle"] = ("maven" if "pom.xml" in files else
                                                      "gradle" if {"build.gradle", "build.gradle.kts"} & files
                                                      else "javac")
        artifact = None
        if "-jar" in command:
            i = command.index("-jar")
            artifact = command[i + 1] if i + 1 < len(command) else None
        sources = sorted((f for f in files if f.endswith(".java") and "/test/" not in f),
                         key=lambda f: (not f.startswith("src/"), f.count("/"), f))
        entry = next((f for f in sources if _read(root, f).find("static void main") >= 0), sources[0] if sources
                     else None)
        probe = ()
        if entry and _JAVA_HEALTH_ARG.search(_read(root, entry)):
            probe = ("java", "-XX:TieredStopAtLevel=1", "-Xmx16m", "-jar", "/app/app.jar",
                     _JAVA_HEALTH_ARG.search(_read(root, entry)).group(1))  # type: ignore[union-attr]
            notes.append("the app answers `--healthcheck`: the HEALTHCHECK runs it")
        return AppFacts(flavour="java", command=command, manifest=_first(files, "pom.xml", "build.gradle",
                                                                          "build.gradle.kts"),
                        entry=entry, health_command=probe, java_artifact=artifact, java_tool=tool,
                        notes=tuple(notes), **common)
    notes.append(f"stack {stack or 'unknown'}: dockopt has no recipe for it, so only the safe rungs apply")
    return AppFacts(flavour="generic", command=command, entry=None, notes=tuple(notes), **common)
