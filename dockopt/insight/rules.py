"""dockopt's rules: the image-optimisation guide's pitfalls, each stating what it measures.

Every rule reads the parsed Dockerfile (BuildKit's parser) and, in measured mode, the facts a build left:
the image's file table with each layer attributed to its Dockerfile line, its SBOM and attack surface, the
config, the build context that was sent, and a rebuild after a one-line source edit explained by
``experiments.explain_rebuild``. A cost is always read from those; a rule with nothing to read reports a
static finding and says so.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..dockerfile import SCRATCH, Instruction, Stage
from ..units import human_bytes, human_seconds
from .findings import Finding, Rule, Subject

# --- helpers over the measured facts -------------------------------------------------------------


def _final_stage(s: Subject) -> Stage | None:
    return s.dockerfile.target(s.target) if s.dockerfile is not None else None


def _chain_instructions(s: Subject) -> list[Instruction]:
    if s.dockerfile is None:
        return []
    return [i for st in s.dockerfile.chain(s.target) for i in st.instructions]


def _under(path: str, prefixes: Iterable[str]) -> str | None:
    for p in prefixes:
        if p.endswith("*"):  # a name prefix: /usr/lib/go-* is any Go version's tree
            if path.startswith(p[:-1]):
                return p
        elif path == p.rstrip("/") or path.startswith(p if p.endswith("/") else p + "/"):
            return p
    return None


def _visible_bytes_under(s: Subject, prefixes: Iterable[str]) -> dict[str, int]:
    """Bytes of regular files the final filesystem shows under each prefix that has any."""
    from ..image.table import FILE

    assert s.report is not None
    t = s.report.contents.entries
    prefixes = tuple(prefixes)
    out: dict[str, int] = {}
    for path, kind, size, visible in zip(t.path, t.kind, t.size, t.visible):
        if visible and kind == FILE:
            hit = _under(path, prefixes)
            if hit is not None:
                out[hit] = out.get(hit, 0) + size
    return out


def _line_of_layer(s: Subject, layer: int) -> tuple[int | None, str | None]:
    """(Dockerfile line, stage) of an image layer; (None, "base") for the base image's layers."""
    stage, _, line = s.layer_lines().get(layer, (None, None, None))
    return line, stage


def _instruction(s: Subject, line: int | None) -> Instruction | None:
    return s.dockerfile.instruction_at(line) if s.dockerfile is not None and line is not None else None


def _from_line(s: Subject) -> Instruction | None:
    st = _final_stage(s)
    return st.instructions[0] if st is not None else None


def _list(items: Iterable[str], n: int = 6) -> str:
    items = list(items)
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


# --- 1. broad context copy before the steps that install or build ----------------------------------

_MANIFESTS = ("package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "requirements.txt",
              "requirements-dev.txt", "pyproject.toml", "poetry.lock", "Pipfile", "Pipfile.lock", "go.mod", "go.sum",
              "pom.xml", "build.gradle", "build.gradle.kts", "Gemfile", "Gemfile.lock", "Cargo.toml", "Cargo.lock",
              "composer.json")


def _context_dir(s: Subject) -> Path | None:
    if s.context and Path(s.context).is_dir():
        return Path(s.context)
    return None


def _broad(ins: Instruction, s: Subject) -> bool:
    """A context COPY whose sources take the whole context, or a directory that holds a dependency manifest."""
    sources = [a.strip().removeprefix("./").rstrip("/") for a in ins.args[:-1]] if len(ins.args) > 1 else []
    ctx = _context_dir(s)
    for src in sources:
        if src in ("", ".", "*"):
            return True
        if ctx is not None and (ctx / src).is_dir() and any((ctx / src / m).is_file() for m in _MANIFESTS):
            return True
    return False


# project files that name a .NET project's packages (cartservice.csproj, the solution)
_MANIFEST_SUFFIXES = (".csproj", ".fsproj", ".vbproj", ".sln")
_MORE_MANIFESTS = ("uv.lock", "composer.lock", "bun.lockb", "settings.gradle", "settings.gradle.kts", "mix.exs",
                   "mix.lock", "Directory.Packages.props", "packages.lock.json")

# RUN steps whose work an edit to a source file need not redo: installing or fetching dependencies (or
# building with a tool that fetches them first). A compile of the sources alone (`cc hello.c`) is not one.
_DEPENDENCY_STEP = re.compile(
    r"\b(?:npm\s+(?:install|ci|i)\b|yarn\s+install\b|yarn\s*(?:$|&&|;)|pnpm\s+(?:install|i)\b|bun\s+install\b"
    r"|pip3?\s+install\b|-m\s+pip\s+install\b|poetry\s+install\b|uv\s+(?:sync|pip\s+install)\b"
    r"|pipenv\s+install\b|go\s+(?:mod\s+download|build|install|get)\b|mvnw?\b|gradlew?\b"
    r"|dotnet\s+(?:restore|build|publish)\b|bundle\s+install\b|gem\s+install\b|composer\s+install\b"
    r"|cargo\s+(?:build|fetch|install)\b|mix\s+deps\.get\b|apt-get\s+(?:-\S+\s+)*install\b|apt\s+install\b"
    r"|apk\s+(?:--\S+\s+)*add\b|(?:yum|dnf|microdnf)\s+(?:-\S+\s+)*install\b)")


def _copies_manifest(ins: Instruction) -> bool:
    if ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None:
        return False
    names = [posixpath.basename(a.rstrip("/")) for a in ins.args[:-1]]
    return any(n in _MANIFESTS or n in _MORE_MANIFESTS or n.endswith(_MANIFEST_SUFFIXES) for n in names)


def _broad_copy(s: Subject) -> list[Finding]:
    assert s.dockerfile is not None
    out = []
    for st in s.dockerfile.stages:
        if s.measured and st.index not in s.needed:
            continue
        body = st.instructions[1:]
        # manifests copied on their own earlier (in this stage or one it is built FROM): the install is cached
        earlier = [i for c in s.dockerfile.chain(st.index) if c.index != st.index for i in c.instructions[1:]]
        for k, ins in enumerate(body):
            if ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None or not _broad(ins, s):
                continue
            if any(_copies_manifest(i) for i in earlier + list(body[:k])):
                continue
            runs = [i for i in body[k + 1:] if i.keyword == "RUN"]
            installs = [i for i in runs if _DEPENDENCY_STEP.search(" ".join(i.args))]
            if not runs:
                continue
            if installs:
                message = (f"`{ins.original}` copies the whole context before `{installs[0].original[:60]}`: any "
                           "edit to any file re-runs it and every step after it")
                fix = ("copy the dependency manifests first (e.g. package.json and the lockfile), install, then "
                       "copy the sources; keep the install step above the source COPY")
                severity = BROAD_COPY.severity
            else:  # the steps after it build the sources: only edits to files they do not read are wasted
                message = (f"`{ins.original}` copies the whole context before `{runs[0].original[:60]}`: an edit "
                           "to any file, not only the ones it reads, re-runs it")
                fix = "copy only what the step reads (e.g. `COPY src/ ./src/`), or keep the rest out with .dockerignore"
                severity = "info"
            e = s.edit
            if e is None:
                out.append(BROAD_COPY.finding(s, message, fix, ins=ins, evidence=STATIC_NOTE(s), severity=severity))
                continue
            rerun = e.steps[(~e.steps["cached"]) & (e.steps["line"] >= ins.line_start)
                            & (e.steps["line"] <= body[-1].line_end)]
            seconds = float(rerun["duration_s"].fillna(0).sum())
            rows: Any = rerun.itertuples(index=False)
            names = [f"line {r.line} `{str(r.instruction)[:50]}` {human_seconds(r.duration_s)}"
                     for r in rows]
            evidence = (f"rebuilt after a one-line edit of {s.edited_file}: {e.summary()} Re-ran: {_list(names)}")
            out.append(BROAD_COPY.finding(s, message, fix, ins=ins, cost_s=round(seconds, 2), evidence=evidence,
                                          measured=True, severity=severity))
    return out


def STATIC_NOTE(s: Subject) -> str:  # noqa: N802 - reads as a constant where it is used
    return ("static: found in the Dockerfile's text; measure it with `dockopt lint --measure`"
            if not s.measured else "static: this rule has nothing to measure in an image")


BROAD_COPY = Rule("broad-context-copy", "whole context copied before installing or building",
                  "seconds a one-line source edit costs in a rebuild, from this COPY on (rebuilt and explained)",
                  "warning", _broad_copy)


# --- 2. .dockerignore missing or ineffective -------------------------------------------------------

_JUNK = {".git": "VCS history", "node_modules": "host-installed modules", ".venv": "a virtualenv",
         "venv": "a virtualenv", "__pycache__": "bytecode", ".pytest_cache": "test cache", ".env": "an .env file",
         ".idea": "IDE settings", ".vscode": "IDE settings", "coverage": "coverage output"}


_ENV_TEMPLATES = (".example", ".sample", ".template", ".dist")


def _junk_kind(rel: str) -> str | None:
    parts = rel.split("/")
    for part in parts[:-1]:
        if part in _JUNK:
            return _JUNK[part]
    name = parts[-1]
    if name in _JUNK and name != ".env":
        return _JUNK[name]
    if name.endswith(".log"):
        return "logs"
    # .env and .env.local hold values; .envrc (direnv) and .env.example (a template) are not .env files
    if name == ".env" or (name.startswith(".env.") and not name.endswith(_ENV_TEMPLATES)):
        return "an .env file"
    return None


# Context sent beyond what the build reads, below which a missing .dockerignore costs nothing worth a finding.
_UNREAD_CONTEXT_MIN_BYTES = 1 << 20


def _context_reads(s: Subject) -> list[Instruction]:
    """The instructions that read the build context: COPY/ADD without --from, RUN with a bind mount of it."""
    assert s.dockerfile is not None
    out: list[Instruction] = []
    for ins in s.dockerfile.instructions:
        copies = ins.keyword in ("COPY", "ADD") and ins.flag("from") is None and not ins.heredocs
        binds = ins.keyword == "RUN" and any(m.get("type") == "bind" and not m.get("from") for m in ins.mounts)
        if copies or binds:
            out.append(ins)
    return out


def _read_by_build(reads: list[Instruction], rel: str) -> bool:
    from ..experiments.rebuild import copy_reads

    for ins in reads:
        if ins.keyword == "RUN":
            for m in ins.mounts:
                if m.get("type") == "bind" and not m.get("from"):
                    src = (m.get("source") or m.get("src") or ".").removeprefix("./").rstrip("/")
                    if src in ("", ".") or "$" in src or rel == src or rel.startswith(src + "/"):
                        return True
        elif any("$" in a for a in ins.args[:-1]) or copy_reads(ins, rel):
            return True  # a source that names a variable may read anything: never count it as unread
    return False


def _context_too_small_to_matter(ctx: Path, dockerfile_name: str) -> bool:
    """True when everything in ``ctx`` is under the unread-bytes allowance and nothing in it is junk: no
    .dockerignore could then change the answer (the build sends a subset of it), so the matcher is not run.
    Stops at the first junk file or once the allowance is passed; a symlinked folder is left to the matcher."""
    own = {dockerfile_name, ".dockerignore", dockerfile_name + ".dockerignore"}
    total = 0
    for top, dirs, files in os.walk(ctx):
        rel_top = os.path.relpath(top, ctx)
        for d in dirs:
            if os.path.islink(os.path.join(top, d)):
                return False
        for name in files:
            rel = name if rel_top == "." else f"{rel_top}/{name}"
            if rel in own:
                continue
            if _junk_kind(rel):
                return False
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(top, name)).st_size
            if total >= _UNREAD_CONTEXT_MIN_BYTES:
                return False
        if any(_junk_kind(f"{d}/x" if rel_top == "." else f"{rel_top}/{d}/x") for d in dirs):
            return False
    return True


def _dockerignore(s: Subject) -> list[Finding]:
    """Fires only where sending the context costs something: files the build never reads (beyond a small
    allowance) or files no image should get (.git, node_modules, .env, logs), read or not."""
    ctx = _context_dir(s)
    if ctx is None or s.dockerfile is None:
        return []
    dockerfile = Path(str(s.dockerfile.path))
    if _context_too_small_to_matter(ctx, dockerfile.name):
        return []
    import docker.utils  # its matcher, and the docker SDK it loads, only where the answer can be a finding


    ignore_file = next((p for p in (Path(str(dockerfile) + ".dockerignore"), ctx / ".dockerignore")
                        if p.is_file()), None)
    patterns = []
    if ignore_file is not None:
        patterns = [ln.strip() for ln in ignore_file.read_text().splitlines() if ln.strip() and
                    not ln.startswith("#")]
    sent = sorted(docker.utils.exclude_paths(str(ctx), patterns, dockerfile=dockerfile.name))
    # the Dockerfile and the ignore files travel with every build: they are not the context's cost
    own = {dockerfile.name, ".dockerignore", dockerfile.name + ".dockerignore"}
    sizes = {rel: (ctx / rel).stat().st_size for rel in sent if rel not in own and (ctx / rel).is_file()}
    reads = _context_reads(s)
    unread = {rel: n for rel, n in sizes.items() if not _read_by_build(reads, rel)}
    junk: dict[str, int] = {}
    for rel, size in sizes.items():
        kind = _junk_kind(rel)
        if kind:
            junk[kind] = junk.get(kind, 0) + size
    junk_files = {rel for rel in sizes if _junk_kind(rel)}
    cost = sum(unread.values()) + sum(n for rel, n in sizes.items() if rel in junk_files and rel not in unread)
    if not junk and sum(unread.values()) < _UNREAD_CONTEXT_MIN_BYTES:
        return []
    total = sum(sizes.values())
    what = _list(f"{k} ({human_bytes(v)})" for k, v in sorted(junk.items(), key=lambda kv: -kv[1]))
    unread_note = (f"{len(unread)} file(s), {human_bytes(sum(unread.values()))}, that no COPY, ADD or bind mount "
                   "reads" if unread else "")
    applied = f" with {ignore_file.name}" if ignore_file else ""
    evidence = (f"context on disk, Docker's own .dockerignore matcher{applied}: {len(sizes)} files, "
                f"{human_bytes(total)} sent; "
                + "; ".join(x for x in (unread_note, f"never needed in an image: {what}" if junk else "") if x))
    if ignore_file is None:
        return [DOCKERIGNORE.finding(
            s, f"no .dockerignore: the build sends {human_bytes(cost)} it does not need"
               + (f", including {what}" if junk else f" ({unread_note})"),
            "add a .dockerignore listing what the build does not read (.git, node_modules, virtualenvs, logs, "
            ".env files, build output)", line=None, cost_bytes=cost, measured=True, evidence=evidence)]
    return [DOCKERIGNORE.finding(
        s, f"{ignore_file.name} lets {what or unread_note} into the build context",
        "list them in " + ignore_file.name, cost_bytes=cost, measured=True, evidence=evidence)]


DOCKERIGNORE = Rule("dockerignore", "missing or ineffective .dockerignore",
                    "bytes of the build context sent that the build does not read (no COPY, ADD or bind mount "
                    "names them) or that no image needs (.git, node_modules, .env, logs, virtualenvs)", "warning",
                    _dockerignore)


# --- 3. context files that no runtime needs, shipped in the image ------------------------------------

_NOT_RUNTIME_DIRS = ("test", "tests", "__tests__", "spec", ".git", "cache-bump", "docs")
_NOT_RUNTIME_NAMES = re.compile(r"^(Dockerfile.*|.*\.dockerignore|\.dockerignore|README.*|.*_test\.go|"
                                r".*\.(test|spec)\.[jt]sx?|test_.*\.py|conftest\.py|requirements-dev\.txt|"
                                r"compose\.ya?ml|docker-compose\.ya?ml|\.gitignore|dockopt\.toml|.*\.log)$")


def _context_files_in_image(s: Subject) -> list[Finding]:
    from ..image.table import FILE

    if s.report is None or s.dockerfile is None:
        return []  # an image alone: which layer a context COPY wrote is not known
    t = s.report.contents.entries
    lines = s.layer_lines()
    by_line: dict[int, list[tuple[str, int]]] = {}
    for path, kind, size, visible, layer in zip(t.path, t.kind, t.size, t.visible, t.layer):
        if not visible or kind != FILE:
            continue
        stage, from_stage, line = lines.get(layer, (None, None, None))
        if line is None or from_stage is not None:
            continue
        ins = s.dockerfile.instruction_at(line)
        if ins is None or ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None:
            continue
        parts = path.strip("/").split("/")
        if any(p in _NOT_RUNTIME_DIRS for p in parts[:-1]) or _NOT_RUNTIME_NAMES.match(parts[-1]):
            by_line.setdefault(line, []).append((path, size))
    out = []
    for line, files in sorted(by_line.items()):
        ins = s.dockerfile.instruction_at(line)
        total = sum(size for _, size in files)
        out.append(CONTEXT_FILES.finding(
            s, f"{len(files)} file(s) from the build context that no runtime needs ship in the image "
               "(tests, Dockerfiles, docs, VCS or dev files)",
            "copy only what the app runs (e.g. COPY src ./src), or list these in .dockerignore",
            ins=ins, cost_bytes=total, measured=True,
            evidence="in the final filesystem, written by this COPY: " + _list(p for p, _ in files)))
    return out


CONTEXT_FILES = Rule("context-files-in-image", "tests, Dockerfiles and dev files from the context shipped",
                     "bytes of files in the final image, written by a context COPY, that are tests, Dockerfiles, "
                     "docs, VCS or dev files", "info", _context_files_in_image, needs="image")


# --- 4. unpinned or :latest base ----------------------------------------------------------------------


def _unpinned(s: Subject) -> list[Finding]:
    assert s.dockerfile is not None
    out = []
    for st in s.dockerfile.stages:
        if st.base_stage is not None or st.base.lower() == SCRATCH or "@sha256:" in st.base:
            continue
        name = st.base.rsplit("/", 1)[-1]
        tag = name.split(":", 1)[1] if ":" in name else None
        if tag not in (None, "latest"):
            continue
        evidence = STATIC_NOTE(s)
        measured = False
        if s.build is not None:
            image_id = next((v for k, v in s.build.base_ids.items() if k in (st.base, f"{st.base}:latest")), None)
            if image_id:
                evidence = (f"resolved to {image_id[:19]} in this build; the next pull of "
                            f"{st.base if tag else st.base + ':latest'} may give another image")
                measured = True
        out.append(UNPINNED.finding(s, f"`{st.base}` is {'`:latest`' if tag else 'not tagged'}: each build may "
                                       "start from a different image", "pin a version tag (e.g. node:24-bookworm-slim)"
                                       ", or a digest for reproducible builds", ins=st.instructions[0],
                                    evidence=evidence, measured=measured))
    return out


UNPINNED = Rule("unpinned-base", "unpinned or :latest base image",
                "the image id the tag resolved to in this build (a tag that moves changes it)", "warning", _unpinned)


# --- 5. dev tools and dev dependencies in the runtime image ----------------------------------------

_TOOLCHAINS = {"/usr/local/go": "Go toolchain", "/usr/lib/go-*": "Go toolchain",
               "/usr/lib/gcc": "gcc", "/usr/libexec/gcc": "gcc",
               "/usr/include": "C headers", "/usr/local/include": "C headers",
               "/opt/java/openjdk/jmods": "JDK modules (jmods)", "/usr/lib/jvm": "a JVM from packages",
               "/usr/share/dotnet/sdk": ".NET SDK", "/usr/local/lib/node_modules/npm": "npm",
               "/usr/lib/node_modules/npm": "npm", "/usr/local/lib/python3.11/site-packages/pip": "pip",
               "/usr/lib/x86_64-linux-gnu/perl": "perl", "/usr/share/perl": "perl",
               "/usr/lib/git-core": "git", "/usr/bin/git": "git"}
_TEST_FRAMEWORKS = {"pytest", "nodemon", "jest", "mocha", "vitest", "vite", "eslint", "typescript", "webpack",
                    "rollup", "esbuild", "prettier", "black", "mypy", "ruff", "coverage", "junit", "supertest"}


def _declared_dev(s: Subject) -> set[str]:
    """Dev-only packages the project declares: package.json devDependencies, requirements-dev*.txt extras."""
    import json

    ctx = _context_dir(s)
    names: set[str] = set()
    if ctx is None:
        return names
    for pkg in [ctx / "package.json", *ctx.glob("*/package.json")]:
        try:
            names.update(json.loads(pkg.read_text()).get("devDependencies", {}))
        except (OSError, ValueError):
            continue
    for dev in [*ctx.glob("requirements-dev*.txt"), *ctx.glob("*/requirements-dev*.txt")]:
        prod_file = dev.with_name("requirements.txt")
        prod = _requirement_names(prod_file) if prod_file.is_file() else set()
        names.update(_requirement_names(dev) - prod)
    return names


def _requirement_names(path: Path) -> set[str]:
    out = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            out.add(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return out


def _dev_tools(s: Subject) -> list[Finding]:
    assert s.report is not None
    out = []
    tools = _visible_bytes_under(s, _TOOLCHAINS)
    surface = s.report.surface
    found_bins = list(surface.compilers + surface.package_managers) if surface is not None else []
    if tools or found_bins:
        kinds: dict[str, int] = {}
        for prefix, size in tools.items():
            kinds[_TOOLCHAINS[prefix]] = kinds.get(_TOOLCHAINS[prefix], 0) + size
        ins = _from_line(s)
        out.append(DEV_TOOLS.finding(
            s, "compilers, package managers and toolchains ship in the runtime image: "
               + _list(k for k, _ in sorted(kinds.items(), key=lambda kv: -kv[1])) if kinds else
            "compilers or package managers ship in the runtime image",
            "build in a builder stage and copy only the artefact into a runtime base (slim, distroless, scratch)",
            ins=ins, cost_bytes=sum(kinds.values()), measured=True,
            evidence="in the final filesystem: " + _list([f"{k} {human_bytes(v)}" for k, v in
                                                           sorted(kinds.items(), key=lambda kv: -kv[1])] + found_bins,
                                                          10)))
    dev_names = _declared_dev(s) | _TEST_FRAMEWORKS
    dev_pkgs = [p for p in s.report.package_rows if p.type in ("npm", "python")
                and p.name.lower().replace("_", "-") in dev_names]
    if dev_pkgs:
        dirs = {}
        for p in dev_pkgs:
            d = posixpath.dirname(p.path)
            if p.type == "python":  # dist-info/METADATA: the package's code sits beside its dist-info
                site = posixpath.dirname(d)
                dirs[f"{site}/{p.name.lower().replace('-', '_')}"] = p
                dirs[d] = p
            else:
                dirs[d] = p
        sizes = _visible_bytes_under(s, dirs)
        first = min(p.layer for p in dev_pkgs)
        line, _ = _line_of_layer(s, first)
        names = sorted({f"{p.name} {p.version}" for p in dev_pkgs})
        out.append(DEV_TOOLS.finding(
            s, f"{len(names)} development or test package(s) installed in the runtime image",
            "install production dependencies only (npm ci --omit=dev, a requirements.txt without test tools), "
            "or install dev dependencies in a build/test stage", ins=_instruction(s, line),
            cost_bytes=sum(sizes.values()), measured=True,
            evidence="SBOM of the final image: " + _list(names, 10)))
    return out


DEV_TOOLS = Rule("dev-tools-in-runtime", "dev tools and dev dependencies in the runtime image",
                 "bytes of compilers, package managers, toolchains and dev/test packages in the final image "
                 "(file table, SBOM, the project's declared dev dependencies)", "warning", _dev_tools, needs="image")


# --- 6. numeric COPY --from ----------------------------------------------------------------------------


def _numeric_copy(s: Subject) -> list[Finding]:
    assert s.dockerfile is not None
    out = []
    for e in s.dockerfile.edges:
        if e.numeric and e.kind != "from":
            ins = s.dockerfile.instruction_at(e.line)
            target = s.dockerfile.stages[e.from_stage].label if e.from_stage is not None else e.reference
            out.append(NUMERIC_FROM.finding(s, f"`--from={e.reference}` names a stage by its position ({target}): "
                                               "inserting a stage above silently copies from another one",
                                            f"name the stage (`FROM ... AS {target}`) and use `--from={target}`",
                                            ins=ins, evidence=STATIC_NOTE(s)))
    return out


NUMERIC_FROM = Rule("numeric-copy-from", "COPY --from by stage number", "nothing: a maintenance hazard, no bytes",
                    "info", _numeric_copy)


# --- 7. package-manager caches and lists left in layers ------------------------------------------------

_CACHES = {"/var/lib/apt/lists": "apt lists", "/var/cache/apt": "apt archives", "/root/.cache/pip": "pip cache",
           "/root/.npm": "npm cache", "/usr/local/share/.cache/yarn": "yarn cache", "/root/.cache/yarn": "yarn cache",
           "/root/.cache/go-build": "Go build cache", "/root/go/pkg/mod/cache": "Go module download cache",
           "/root/.m2/repository": "Maven repository", "/root/.gradle/caches": "Gradle cache",
           "/root/.nuget/packages": "NuGet packages", "/var/cache/apk": "apk cache", "/root/.cache/node-gyp":
           "node-gyp headers", "/tmp": "/tmp"}


def _caches(s: Subject) -> list[Finding]:
    from ..image.table import WHITEOUT

    assert s.report is not None
    t = s.report.contents.entries
    per_layer: dict[int, dict[str, int]] = {}
    for path, kind, size, layer in zip(t.path, t.kind, t.size, t.layer):
        if kind == WHITEOUT or not size:
            continue
        hit = _under(path, _CACHES)
        if hit is not None:
            per_layer.setdefault(layer, {})
            per_layer[layer][_CACHES[hit]] = per_layer[layer].get(_CACHES[hit], 0) + size
    out = []
    for layer, kinds in sorted(per_layer.items()):
        line, stage = _line_of_layer(s, layer)
        if stage == "base" or (line is None and s.dockerfile is not None):
            continue  # the base image's own: not this Dockerfile's doing
        total = sum(kinds.values())
        if total < 64 * 1024:
            continue
        ins = _instruction(s, line)
        out.append(CACHES.finding(
            s, "package-manager caches or lists left in the layer: " + _list(kinds),
            "clean them in the same RUN (rm -rf /var/lib/apt/lists/*, pip --no-cache-dir, npm cache clean --force),"
            " or use RUN --mount=type=cache so they never reach a layer", ins=ins, cost_bytes=total, measured=True,
            evidence=f"layer {layer}: " + _list(f"{k} {human_bytes(v)}" for k, v in
                                                 sorted(kinds.items(), key=lambda kv: -kv[1]))
                     + (" (a later layer deleting them does not shrink the image)"
                        if any(t.visible[i] == 0 for i in t.rows(layer)) else "")))
    return out


CACHES = Rule("package-caches", "package-manager caches left behind",
              "bytes of apt lists, pip/npm/yarn/Go/Maven caches written by each instruction's layer (deleted later "
              "or not: the layer still ships them)", "warning", _caches, needs="image")


# --- 8. HEALTHCHECK missing, or one the runtime cannot run ---------------------------------------------


# Images whose containers serve (a HEALTHCHECK can tell a hung one from a healthy one), by base image name
# or by the program the container runs; a command-line tool's image (nmap, ghostscript) has nothing to probe.
_SERVER_BASES = frozenset({"nginx", "nginx-unprivileged", "httpd", "caddy", "traefik", "haproxy", "envoy", "tomcat",
                           "jetty", "redis", "postgres", "mysql", "mariadb", "mongo", "memcached", "rabbitmq",
                           "elasticsearch", "wordpress", "ghost", "nextcloud"})
_SERVER_PROGRAMS = frozenset({"nginx", "httpd", "apache2", "apache2-foreground", "caddy", "traefik", "haproxy",
                              "envoy", "gunicorn", "uvicorn", "hypercorn", "daphne", "waitress-serve", "php-fpm",
                              "puma", "unicorn", "catalina.sh", "redis-server", "postgres", "mysqld", "mongod",
                              "memcached", "serve", "http-server"})
_SERVER_PHRASES = ("npm start", "npm run start", "yarn start", "pnpm start", "flask run", "manage.py runserver",
                   "artisan serve", "rails server", "rails s ", "spring-boot:run", "-m http.server")


def _serves(s: Subject) -> str | None:
    """Why the image looks like a service (an exposed port, a server base, a server program), or None."""
    if s.report is not None:
        config = s.report.contents.image_config
        ports = sorted(config.get("ExposedPorts") or {})
        command = " ".join(str(a) for a in (config.get("Entrypoint") or []) + (config.get("Cmd") or []))
    else:
        chain = _chain_instructions(s)
        ports = [a for i in chain if i.keyword == "EXPOSE" for a in i.args]
        command = " ".join(a for i in chain if i.keyword in ("CMD", "ENTRYPOINT") for a in i.args)
    if ports:
        return f"exposes {_list(ports, 3)}"
    if s.dockerfile is not None:
        root = s.dockerfile.chain(s.target)[0].base
        name = root.split("@")[0].rsplit("/", 1)[-1].split(":")[0].lower()
        tag = root.split("@")[0].rsplit("/", 1)[-1].partition(":")[2].lower()
        if name in _SERVER_BASES or (name == "php" and ("fpm" in tag or "apache" in tag)):
            return f"base {root}"
    words = [w.rsplit("/", 1)[-1] for w in re.split(r"[\s;&|]+", command) if w]
    program = next((w for w in words if w in _SERVER_PROGRAMS or w.startswith("php-fpm")), None)
    if program:
        return f"runs {program}"
    phrase = next((p for p in _SERVER_PHRASES if p in command + " "), None)
    return f"runs `{phrase.strip()}`" if phrase else None


def _healthcheck(s: Subject) -> list[Finding]:
    ins = _from_line(s)
    if s.report is None:
        assert s.dockerfile is not None
        if any(i.keyword == "HEALTHCHECK" for i in _chain_instructions(s)):
            return []
        serves = _serves(s)
        if serves is None:  # a command-line tool: nothing to probe
            return []
        return [HEALTHCHECK.finding(s, "no HEALTHCHECK: the engine cannot tell a hung service from a healthy one",
                                    "add HEALTHCHECK CMD with a probe the runtime image can execute", ins=ins,
                                    evidence=f"{STATIC_NOTE(s)}; a service: {serves}")]
    from ..checks.facts import healthcheck_declared
    from ..surface import resolve

    config = s.report.contents.image_config
    test = list((config.get("Healthcheck") or {}).get("Test") or [])
    if not healthcheck_declared(test):
        serves = _serves(s)
        if serves is None:
            return []
        return [HEALTHCHECK.finding(s, "no HEALTHCHECK: the engine cannot tell a hung service from a healthy one",
                                    "add HEALTHCHECK CMD with a probe the runtime image can execute", ins=ins,
                                    measured=True, evidence=f"image config: Healthcheck unset; a service: {serves}")]
    t = s.report.contents.entries
    from ..image.table import KINDS

    view = {t.path[i]: (KINDS[t.kind[i]], t.link[i]) for i, v in enumerate(t.visible) if v}
    env = dict(str(e).partition("=")[::2] for e in config.get("Env") or [])
    if test[0] == "CMD-SHELL":
        exe = "/bin/sh"
    elif test[0] == "CMD" and len(test) > 1:
        exe = test[1]
    else:
        return []
    candidates = [exe] if exe.startswith("/") else [
        posixpath.join(d, exe) for d in env.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(":") if d]
    if any(resolve(view, c) is not None for c in candidates):
        return []
    hc = next((i for i in reversed(_chain_instructions(s)) if i.keyword == "HEALTHCHECK"), ins)
    return [HEALTHCHECK.finding(s, f"the HEALTHCHECK runs `{exe}`, which the image does not have: the container "
                                   "will be reported unhealthy", "probe with something the runtime has (the app's "
                                   "own binary or runtime, e.g. node healthcheck.js, or a static probe binary)",
                                ins=hc, measured=True, severity="error",
                                evidence=f"not in the final filesystem: {_list(candidates, 4)}")]


HEALTHCHECK = Rule("healthcheck", "HEALTHCHECK missing, or one the runtime cannot execute",
                   "the image config's Healthcheck and whether its executable exists in the final filesystem",
                   "warning", _healthcheck, needs="either")


# --- 9. running as root ---------------------------------------------------------------------------------


def _root(s: Subject) -> list[Finding]:
    from ..checks.facts import declared_user, runs_as_root  # decided there for every pack

    ins = _from_line(s)
    fix = "create or use an unprivileged user and end the final stage with USER (e.g. USER 65532:65532)"
    if s.report is None:
        assert s.dockerfile is not None
        declared = declared_user(s.dockerfile, s.target)
        if not declared.runs_as_root:
            return []
        return [ROOT.finding(s, "the container runs as root", fix, ins=declared.instruction or ins,
                             evidence=STATIC_NOTE(s))]
    user = str(s.report.contents.image_config.get("User") or "")
    if not runs_as_root(user):
        return []
    return [ROOT.finding(s, "the container runs as root", fix, ins=ins, measured=True,
                         evidence=f"image config: User={user or '(unset)'}")]


ROOT = Rule("runs-as-root", "running as root", "the image config's User", "warning", _root, needs="either")


# --- 10. secrets in ARG/ENV/history or in any layer --------------------------------------------------------


def _secret_args(s: Subject) -> list[Finding]:
    from ..checks.facts import secret_named_args  # Docker's SecretsUsedInArgOrEnv name test, for every pack

    assert s.dockerfile is not None
    return [SECRET_ARGS.finding(
        s, f"{a.keyword} {a.name} looks like a secret: build args and ENV are recorded in the image's "
           "history and config", "pass it with RUN --mount=type=secret,id=... "
           "(dockopt.build(secrets={...}), docker build --secret)", ins=a.instruction, evidence=STATIC_NOTE(s))
        for a in secret_named_args(s.dockerfile)]


SECRET_ARGS = Rule("secrets-in-arg-env", "secret-named ARG or ENV", "nothing by itself: the secret-scan rule "
                   "measures what reached the image", "warning", _secret_args, build_check="SecretsUsedInArgOrEnv")


def _secrets_shipped(s: Subject) -> list[Finding]:
    assert s.report is not None
    out = []
    for f in s.report.secret_rows:
        line, _ = _line_of_layer(s, f.layer)
        ins = _instruction(s, line)
        if s.dockerfile is not None and f.path.startswith("(history) ARG "):
            name = f.path.split()[-1]
            ins = next((i for i in s.dockerfile.instructions if i.keyword == "ARG"
                        and any(a.partition("=")[0] == name for a in i.args)), ins)
        where = ("deleted by a later layer, still shipped" if f.deleted_later else "present")
        out.append(SECRETS.finding(
            s, f"a secret ({f.rule}) ships in the image: {f.path}", "never COPY secrets or pass them as ARG/ENV: "
               "mount them for the one RUN that needs them (RUN --mount=type=secret); rotate this one",
            ins=ins, line=line, measured=True, severity="error",
            evidence=f"layer {f.layer}, {f.path}: {f.preview} ({where})"))
    return out


SECRETS = Rule("secrets-in-image", "secrets in ARG/ENV/history or in any layer",
               "secrets the scanner finds in the image's layers (also deleted ones), config Env and history",
               "error", _secrets_shipped, build_check="SecretsUsedInArgOrEnv", needs="image")


# --- 11. Docker build checks dockopt reads from the parsed file ---------------------------------------------


def _from_as_casing(s: Subject) -> list[Finding]:
    assert s.dockerfile is not None
    out = []
    for st in s.dockerfile.stages:
        ins = st.instructions[0]
        if len(ins.args) >= 3 and ins.args[1].upper() == "AS":
            as_word = ins.original.split()[-2] if len(ins.original.split()) >= 2 else "AS"
            if (ins.written.isupper() and not as_word.isupper()) or (ins.written.islower() and not as_word.islower()):
                out.append(FROM_AS.finding(s, f"`{ins.written} ... {as_word}`: the FROM and AS keywords' casing "
                                              "differ", "write both in the same case (FROM ... AS ...)", ins=ins,
                                           evidence=STATIC_NOTE(s)))
    return out


FROM_AS = Rule("from-as-casing", "FROM and AS in different case", "nothing: style", "style", _from_as_casing,
               build_check="FromAsCasing")

# $NAME or ${NAME...} not escaped by a backslash; ${NAME:-default} and ${NAME-default} carry their own value
_VAR_REF = re.compile(r"(?<!\\)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(:?[-+?])?|([A-Za-z_][A-Za-z0-9_]*))")
_SINGLE_QUOTED = re.compile(r"'[^']*'")  # BuildKit's word expansion leaves '...' alone
_NO_EXPANSION = {"RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK", "SHELL", "FROM"}
_PLATFORM_ARGS = {"TARGETARCH", "TARGETOS", "TARGETPLATFORM", "TARGETVARIANT", "BUILDPLATFORM", "BUILDARCH",
                  "BUILDOS", "BUILDVARIANT"}


def _used_vars(text: str) -> list[str]:
    """Variables ``text`` expands without a default of its own (escaped and single-quoted ones are literal)."""
    out = []
    for m in _VAR_REF.finditer(_SINGLE_QUOTED.sub("", text)):
        name, modifier, bare = m.group(1), m.group(2), m.group(3)
        if bare is not None:
            out.append(bare)
        elif modifier not in ("-", ":-", "+", ":+"):
            out.append(name)
    return out


def _undefined_var(s: Subject) -> list[Finding]:
    """Variables that instructions BuildKit expands itself (COPY, ENV, WORKDIR, LABEL, USER, EXPOSE...) use
    but no ARG or ENV of the stage (or its FROM chain), nor the base image's config, defines."""
    from .base_env import defined_by_base

    assert s.dockerfile is not None
    out = []
    defined_by_stage: dict[int, set[str]] = {}
    root_base: dict[int, str] = {}  # the image at the root of each stage's FROM chain
    for st in s.dockerfile.stages:
        if st.base_stage is not None:
            defined = set(defined_by_stage.get(st.base_stage, set()))
            root_base[st.index] = root_base.get(st.base_stage, "")
        else:
            defined = set(defined_by_base(st.base, ask_engine=False))
            root_base[st.index] = st.base
        defined |= _PLATFORM_ARGS
        asked = False  # the engine is asked for the base's Env only when a name is missing (it costs ~0.3 s)
        for ins in st.instructions[1:]:
            if ins.keyword not in _NO_EXPANSION:
                for name in dict.fromkeys(_used_vars(" ".join(ins.args))):
                    if name not in defined and not asked:
                        defined |= defined_by_base(root_base[st.index])
                        asked = True
                    if name not in defined:
                        out.append(UNDEFINED.finding(s, f"${name} is used but never defined in this stage",
                                                     f"declare it (ARG {name} or ENV {name}=...) before this line",
                                                     ins=ins, evidence=STATIC_NOTE(s)))
            if ins.keyword == "ARG":
                defined.update(a.partition("=")[0] for a in ins.args)
            elif ins.keyword == "ENV":
                defined.update(ins.args[::2])
        defined_by_stage[st.index] = defined
    return out


UNDEFINED = Rule("undefined-var", "variable used but not defined", "nothing: a likely typo", "warning",
                 _undefined_var, build_check="UndefinedVar")


RULES: tuple[Rule, ...] = (BROAD_COPY, DOCKERIGNORE, CONTEXT_FILES, UNPINNED, DEV_TOOLS, NUMERIC_FROM, CACHES,
                           HEALTHCHECK, ROOT, SECRET_ARGS, SECRETS, FROM_AS, UNDEFINED)
