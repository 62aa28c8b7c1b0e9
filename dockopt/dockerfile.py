"""A Dockerfile as BuildKit reads it: stages, instructions with their lines, and the edges between stages.

Parsing is BuildKit's own: the ``dockerfile`` wheel wraps moby/buildkit's Go parser
(``frontend/dockerfile/parser``), so line continuations, heredocs, JSON forms, escape directives and
flags come out exactly as ``docker build`` sees them. What BuildKit does *after* parsing and that dockopt
needs is done here, kept small and tested against BuildKit's behaviour:

- stages: every ``FROM`` opens one; its name (``AS``) is case-insensitive, like BuildKit's;
- variables as ``dockerfile2llb`` scopes them: global ``ARG`` chains and the automatic platform ARGs
  (``TARGETARCH``...) in ``FROM``, build args over defaults, each stage's own ``ARG``/``ENV`` (``ENV``
  inherited through ``FROM <stage>``), expanded in the instructions BuildKit expands (``Instruction.values``)
  by a port of BuildKit's shell lexer (``process_word``: quotes, escapes, every ``${...}`` form; checked
  against BuildKit's own lexer test tables by ``benchmarks/dockerfile_corpus.py``);
- parser and check directives (``# syntax``, ``# escape``, ``# check=skip=...;error=true``), ONBUILD's
  inner instruction, ``RUN --mount`` specs (bind mounts of the context are inputs of their ``RUN``);
- edges: ``FROM <stage>``, ``COPY --from=<stage|index|image>`` and ``RUN --mount=...,from=<stage|image>``;
- which stages a target needs (BuildKit builds only those: the rest are skipped).

Nothing here reads the build context or talks to the engine.
"""

from __future__ import annotations

import csv
import os
import platform as _platform
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import dockerfile as _bk

from .errors import DockerfileError, DockerfileNotFound

SCRATCH = "scratch"
STEP_KEYWORDS = frozenset({"RUN", "COPY", "ADD", "WORKDIR"})  # the instructions BuildKit runs as steps
# The instructions whose words BuildKit expands itself (dockerfile2llb); RUN, CMD, ENTRYPOINT, SHELL and
# HEALTHCHECK are left to the shell in the container.
EXPANDED_KEYWORDS = frozenset({"ADD", "COPY", "ENV", "ARG", "EXPOSE", "LABEL", "USER", "WORKDIR", "VOLUME",
                               "STOPSIGNAL"})
# The ARGs BuildKit defines for every build, from the platforms it builds on and for.
PLATFORM_ARGS = ("TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS",
                 "BUILDARCH", "BUILDVARIANT")
_MOUNT_KEYS = {"src": "source", "dst": "target", "destination": "target"}
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm/v7",
           "armv6l": "arm/v6", "i386": "386", "i686": "386", "ppc64le": "ppc64le", "s390x": "s390x",
           "riscv64": "riscv64"}


def host_platform() -> str:
    """This machine's platform as BuildKit spells it (``linux/amd64``, ``linux/arm64``, ``linux/arm/v7``)."""
    machine = _platform.machine().lower()
    return "linux/" + _ARCHES.get(machine, machine or "amd64")


def platform_args(target: str | None = None, build: str | None = None) -> dict[str, str]:
    """The automatic platform ARGs BuildKit sets for a build on ``build`` for ``target`` (both default to the
    host's platform): ``TARGETPLATFORM=linux/arm64``, ``TARGETOS=linux``, ``TARGETARCH=arm64``,
    ``TARGETVARIANT=`` (``v7`` for ``linux/arm/v7``), and the same four for ``BUILD*``."""
    out: dict[str, str] = {}
    for prefix, value in (("TARGET", target or host_platform()), ("BUILD", build or target or host_platform())):
        os_name, _, rest = value.partition("/")
        arch, _, variant = rest.partition("/")
        if arch == "arm64" and variant == "v8":
            variant = ""  # BuildKit normalises linux/arm64/v8 to linux/arm64
        out[f"{prefix}PLATFORM"] = "/".join(p for p in (os_name, arch, variant) if p)
        out[f"{prefix}OS"], out[f"{prefix}ARCH"], out[f"{prefix}VARIANT"] = os_name, arch, variant
    return out


def directives(text: str) -> dict[str, str]:
    """The parser directives at the top of a Dockerfile (``# syntax=``, ``# escape=``, ``# check=``), keys in
    lower case. BuildKit reads them only before the first blank line, comment or instruction."""
    out: dict[str, str] = {}
    for line in text.lstrip("\ufeff").splitlines():
        m = _DIRECTIVE.match(line.strip())
        if not m or m.group(1).lower() in out:
            break
        out[m.group(1).lower()] = m.group(2)
    return out


@dataclass(frozen=True)
class Instruction:
    """One instruction, with the flags BuildKit parsed and the lines it spans (1-based, inclusive)."""

    keyword: str            # upper case: FROM, RUN, COPY, ...
    written: str            # as written (``from``, ``Run``): rules about casing need it
    original: str           # the instruction's text with continuations joined, as BuildKit reports it
    line_start: int
    line_end: int
    stage_index: int | None  # None for ARGs before the first FROM
    flags: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    json_form: bool = False
    heredocs: tuple[str, ...] = ()
    # ``args`` after BuildKit's own processing (quotes, escapes, ``$VAR`` from the stage's ARG/ENV scope) for
    # the instructions BuildKit expands (FROM, COPY, ADD, ENV, ARG, EXPOSE, LABEL, USER, WORKDIR, VOLUME,
    # STOPSIGNAL); the other instructions (RUN, CMD...: the shell expands those at run time) keep ``args``.
    expanded: tuple[str, ...] = ()
    expanded_flags: tuple[str, ...] = ()
    unmatched: frozenset[str] = frozenset()   # variables it uses that nothing in scope sets
    inner: Instruction | None = None          # ONBUILD's instruction (run when an image is built FROM this one)

    @property
    def values(self) -> tuple[str, ...]:
        """The arguments as BuildKit uses them (``expanded`` when it expands this instruction, else ``args``)."""
        return self.expanded or self.args

    def flag(self, name: str) -> str | None:
        """Value of ``--name=value`` (the last one wins, as in BuildKit), else None."""
        value = None
        for f in self.expanded_flags or self.flags:
            key, _, v = f.removeprefix("--").partition("=")
            if key == name:
                value = v
        return value

    def flag_values(self, name: str) -> tuple[str, ...]:
        """Every value of a repeatable flag such as ``--mount``."""
        return tuple(f.removeprefix("--").partition("=")[2] for f in self.expanded_flags or self.flags
                     if f.removeprefix("--").partition("=")[0] == name)

    @property
    def mounts(self) -> tuple[dict[str, str], ...]:
        """``RUN --mount=type=cache,target=/x`` → ``({"type": "cache", "target": "/x"},)``.

        Read as BuildKit reads the flag (comma-separated, CSV quoting); the aliases ``src``, ``dst`` and
        ``destination`` come out as ``source`` and ``target``; ``type`` defaults to ``bind``.
        """
        out = []
        for spec in self.flag_values("mount"):
            fields: dict[str, str] = {}
            try:
                parts = next(csv.reader([spec]))
            except (csv.Error, StopIteration):
                parts = spec.split(",")
            for part in parts:
                key, eq, value = part.partition("=")
                key = _MOUNT_KEYS.get(key.strip().lower(), key.strip().lower())
                fields[key] = value.strip() if eq else "true"
            fields.setdefault("type", "bind")
            out.append(fields)
        return tuple(out)

    def context_mounts(self) -> tuple[dict[str, str], ...]:
        """The bind mounts of the build context (no ``from``): what this RUN reads from the context."""
        return tuple(m for m in self.mounts if m["type"] == "bind" and not m.get("from"))


@dataclass(frozen=True)
class Edge:
    """Stage ``to`` takes something from ``source``: a stage (``from_stage``) or an image."""

    to_stage: int
    kind: str                 # "from" | "copy" | "mount"
    reference: str            # as written (after ARG substitution for FROM)
    from_stage: int | None    # the stage it names, or None for an image / scratch
    line: int
    numeric: bool = False     # named by index (``--from=0``): breaks silently when a stage is inserted


@dataclass(frozen=True)
class Stage:
    index: int
    name: str | None          # the ``AS`` name as written, else None
    base: str                 # the FROM reference after ARG substitution
    base_written: str         # the FROM reference as written
    base_stage: int | None    # the stage it builds on, when ``base`` names one
    platform: str | None
    instructions: tuple[Instruction, ...]

    @property
    def label(self) -> str:
        """How BuildKit names the stage in progress output (``build``, or ``stage-2``)."""
        return self.name or f"stage-{self.index}"

    @property
    def line(self) -> int:
        return self.instructions[0].line_start


@dataclass(frozen=True)
class Dockerfile:
    path: str | None
    text: str
    global_args: Mapping[str, str | None]
    build_args: Mapping[str, str]
    prelude: tuple[Instruction, ...]    # parser directives aside, what comes before the first FROM
    stages: tuple[Stage, ...]
    edges: tuple[Edge, ...] = field(repr=False)
    directives: Mapping[str, str] = field(default_factory=dict)        # ``syntax``, ``escape``, ``check``
    platform_args: Mapping[str, str] = field(default_factory=dict)     # TARGETARCH=amd64 ... as used here

    @property
    def instructions(self) -> tuple[Instruction, ...]:
        return self.prelude + tuple(i for s in self.stages for i in s.instructions)

    @property
    def escape(self) -> str:
        """The escape character (``# escape=`` directive; a backslash by default)."""
        return self.directives.get("escape", "\\")[:1] or "\\"

    @property
    def check_skip(self) -> frozenset[str]:
        """The build checks ``# check=skip=A,B`` turns off (lower case; ``all`` for every one)."""
        return _check_directive(self.directives.get("check", ""))[0]

    @property
    def check_error(self) -> bool:
        """``# check=error=true``: BuildKit fails the build on a check violation."""
        return _check_directive(self.directives.get("check", ""))[1]

    def skips(self, check: str | None) -> bool:
        """Whether the ``# check=skip=...`` directive turns off Docker build check ``check`` (case-insensitive)."""
        skipped = self.check_skip
        return check is not None and ("all" in skipped or check.lower() in skipped)

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage(self, ref: str | int) -> Stage:
        """A stage by name (case-insensitive) or index; ``DockerfileError`` if there is none."""
        found = _stage_index(self.stages, str(ref), len(self.stages))
        if found is None:
            names = ", ".join(s.label for s in self.stages)
            raise DockerfileError(f"no stage {ref!r} in this Dockerfile (stages: {names})", path=self.path,
                                  hint="name one of the `FROM ... AS <name>` stages")
        return self.stages[found]

    def target(self, target: str | int | None = None) -> Stage:
        """The stage a build with ``--target`` (or none: the last stage) produces."""
        return self.final if target is None else self.stage(target)

    def needed_stages(self, target: str | None = None) -> tuple[int, ...]:
        """Indexes of the stages BuildKit builds for ``target``; every other stage is skipped."""
        wanted, todo = set(), [self.target(target).index]
        while todo:
            i = todo.pop()
            if i in wanted:
                continue
            wanted.add(i)
            todo.extend(e.from_stage for e in self.edges if e.to_stage == i and e.from_stage is not None)
        return tuple(sorted(wanted))

    def instruction_at(self, line: int) -> Instruction | None:
        """The instruction that spans ``line`` (1-based), if any."""
        for ins in self.instructions:
            if ins.line_start <= line <= ins.line_end:
                return ins
        return None

    def stage_by_label(self, label: str | None) -> Stage | None:
        """The stage BuildKit's progress names ``label`` (``build``, ``stage-2``; None in a one-stage file)."""
        if label is None:
            return self.stages[0] if len(self.stages) == 1 else None
        for s in self.stages:
            if s.label == label or (s.name and s.name.lower() == label.lower()):
                return s
        return None

    def chain(self, target: str | int | None = None) -> tuple[Stage, ...]:
        """The stages whose instructions the target image's history holds: the target and the stages it is
        built ``FROM``, oldest first (an image or ``scratch`` ends the chain)."""
        out = [self.target(target)]
        while out[-1].base_stage is not None:
            out.append(self.stages[out[-1].base_stage])
        return tuple(reversed(out))

    def step_instruction(self, label: str | None, index: int, total: int) -> Instruction | None:
        """The instruction a BuildKit step ``[label index/total]`` stands for.

        BuildKit numbers the steps of a stage that make filesystem operations (``RUN``, ``COPY``, ``ADD``,
        ``WORKDIR``), plus the ``FROM`` when it pulls an image (not ``scratch``, not another stage);
        ``ENV``, ``ARG``, ``USER``... are not steps (BuildKit 0.8; later versions number every
        instruction, which ``total`` tells apart).
        """
        stage = self.stage_by_label(label)
        if stage is None:
            return None
        body = stage.instructions[1:]
        steps = [i for i in body if i.keyword in STEP_KEYWORDS]
        from_step = stage.base_stage is None and stage.base.lower() != SCRATCH
        for candidates in ((stage.instructions[0], *steps) if from_step else tuple(steps),
                           (stage.instructions[0], *body) if from_step else tuple(body)):
            if len(candidates) == total and 1 <= index <= total:
                return candidates[index - 1]
        return None

    def history_instructions(self, created_by: Sequence[str], target: str | None = None) -> list[Instruction | None]:
        """The instruction each history entry of the target image came from (None: the base image's).

        ``created_by``: the image config's history lines, oldest first, all of them or only those of
        filesystem layers. Aligned from the newest entry backwards with the instructions of ``chain``,
        by the keyword each history line starts with (``RUN``, ``COPY``, ``ENV``...; the classic builder's
        ``/bin/sh -c #(nop) COPY`` and ``/bin/sh -c`` forms too): instructions that wrote no history entry
        (``ARG``, or any metadata instruction when only layers are given) are skipped; entries left when
        the chain is used up belong to the base image.
        """
        chain = [i for s in self.chain(target) for i in s.instructions[1:]]
        out: list[Instruction | None] = [None] * len(created_by)
        j = len(chain) - 1
        for h in range(len(created_by) - 1, -1, -1):
            keyword = history_keyword(created_by[h])
            while j >= 0 and chain[j].keyword != keyword:
                j -= 1
            if j < 0:
                break
            out[h] = chain[j]
            j -= 1
        return out

    def stage_of(self, instruction: Instruction) -> Stage | None:
        return None if instruction.stage_index is None else self.stages[instruction.stage_index]

    def copy_source(self, instruction: Instruction) -> str | None:
        """Where a ``COPY --from`` / ``ADD --from`` takes its bytes: the stage's label, or the image reference."""
        ref = instruction.flag("from")
        if ref is None or instruction.stage_index is None:
            return None
        found = _stage_index(self.stages, ref, instruction.stage_index)
        return self.stages[found].label if found is not None else ref

    def context_inputs(self, stage: int | None = None) -> tuple[Instruction, ...]:
        """Instructions that read the build context in ``stage`` (default: all): context ``COPY``/``ADD``
        (``context_copies``) and ``RUN`` with bind mounts of the context (``Instruction.context_mounts``)."""
        return tuple(i for s in self.stages if stage is None or s.index == stage for i in s.instructions
                     if (i.keyword in ("COPY", "ADD") and i.flag("from") is None and not i.heredocs)
                     or (i.keyword == "RUN" and i.context_mounts()))

    def context_copies(self, stage: int | None = None) -> tuple[Instruction, ...]:
        """``COPY``/``ADD`` instructions that read the build context (no ``--from``) in ``stage`` (default: all)."""
        return tuple(i for s in self.stages if stage is None or s.index == stage for i in s.instructions
                     if i.keyword in ("COPY", "ADD") and i.flag("from") is None and not i.heredocs)


# --- parsing --------------------------------------------------------------------------------------------


def parse(source: str | os.PathLike[str], *, build_args: Mapping[str, str] | None = None,
          text: str | None = None, platform: str | None = None) -> Dockerfile:
    """Parse a Dockerfile (a path, or ``text=`` with ``source`` naming it for messages).

    ``build_args`` override ARG defaults as ``--build-arg`` does; ``platform`` (``linux/amd64``; default: the
    host's) gives the automatic ``TARGET*``/``BUILD*`` ARGs. Variables are scoped as BuildKit scopes them:
    global ARGs (each default expanded with those before it) and the platform ARGs in ``FROM``; in a stage, its
    own ARGs (a bare ``ARG V`` takes the global or platform value) and ENVs, plus the ENVs of the stage it
    builds on.

    Raises ``DockerfileNotFound`` for a missing file and ``DockerfileError`` (with the line) for text
    BuildKit would refuse: a parse error, an instruction before the first ``FROM`` other than ``ARG``,
    no ``FROM`` at all, a ``FROM`` without an image, or a ``FROM`` word its lexer refuses.
    """
    path = str(source)
    if text is None:
        p = Path(source)
        if not p.is_file():
            raise DockerfileNotFound(f"Dockerfile {path!r} does not exist",
                                     hint="pass the path of a Dockerfile, relative to where you run dockopt")
        text = p.read_text(encoding="utf-8", errors="replace")
    try:
        commands = _bk.parse_string(text)
    except _bk.GoParseError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise DockerfileError(str(exc).strip(), path=path, line=int(m.group(1)) if m else None,
                              hint="fix the Dockerfile at that line") from exc
    found_directives = directives(text)
    escape = found_directives.get("escape", "\\")[:1] or "\\"
    overrides = dict(build_args or {})
    prelude: list[Instruction] = []
    stage_rows: list[tuple[Instruction, list[Instruction]]] = []
    for c in commands:
        keyword = c.cmd.upper()
        if keyword == "FROM":
            stage_index: int | None = len(stage_rows)
        else:
            stage_index = len(stage_rows) - 1 if stage_rows else None
        ins = Instruction(keyword=keyword, written=c.cmd, original=c.original, line_start=c.start_line,
                          line_end=c.end_line, stage_index=stage_index, flags=tuple(c.flags), args=tuple(c.value),
                          json_form=bool(c.json), heredocs=tuple(h.name for h in c.heredocs),
                          inner=_onbuild_inner(c, stage_index) if keyword == "ONBUILD" else None)
        if keyword == "FROM":
            stage_rows.append((ins, [ins]))
        elif not stage_rows:
            if keyword != "ARG":
                raise DockerfileError(f"{keyword} before the first FROM: only ARG may come first", path=path,
                                      line=c.start_line, hint="start the Dockerfile with FROM (ARGs may precede it)")
            prelude.append(ins)
        else:
            stage_rows[-1][1].append(ins)
    if not stage_rows:
        raise DockerfileError("no FROM instruction", path=path, hint="a Dockerfile starts with FROM <image>")

    # Global scope: the platform ARGs, then each global ARG (a build arg, else its default expanded so far).
    platform_values = platform_args(platform)
    meta: dict[str, str] = dict(platform_values)
    global_args: dict[str, str | None] = {}
    for i, ins in enumerate(prelude):
        pairs = []
        for arg in ins.args:
            arg_name, eq, default = arg.partition("=")
            value = None
            if eq:
                value = _word(default, meta, escape, path, ins, strict=False).result
            global_args[arg_name] = value
            if arg_name in overrides:
                value = overrides[arg_name]
            if value is not None:
                meta[arg_name] = value
            pairs.append(arg_name if value is None else f"{arg_name}={value}")
        prelude[i] = replace(ins, expanded=tuple(pairs))

    stages: list[Stage] = []
    edges: list[Edge] = []
    stage_env: list[dict[str, str]] = []
    for index, (from_ins, body) in enumerate(stage_rows):
        args = list(from_ins.args)
        if not args:
            raise DockerfileError("FROM needs an image", path=path, line=from_ins.line_start)
        name = args[2] if len(args) >= 3 and args[1].upper() == "AS" else None
        base_word = _word(args[0], meta, escape, path, from_ins, strict=True)
        base = base_word.result
        flags = tuple(_expand_flag(f, meta, escape) for f in from_ins.flags)
        base_stage = _stage_index(stages, base, index)
        body[0] = replace(from_ins, expanded=(base, *args[1:]), expanded_flags=flags, unmatched=base_word.unmatched)
        # The stage's scope: ENVs of the stage it builds on (an image's are unknown here), then its own.
        env: dict[str, str] = dict(stage_env[base_stage]) if base_stage is not None else {}
        arg_values: dict[str, str] = {}
        for j, ins in enumerate(body[1:], start=1):
            scope = {**arg_values, **env}
            body[j] = _expand_instruction(ins, scope, escape, meta, overrides, path)
            if ins.keyword == "ARG":
                for pair in body[j].expanded:
                    arg_name, eq, value = pair.partition("=")
                    if eq:
                        arg_values[arg_name] = value
            elif ins.keyword == "ENV":
                env.update(zip(body[j].expanded[::2], body[j].expanded[1::2], strict=False))
        stage_env.append(env)
        stages.append(Stage(index=index, name=name, base=base, base_written=args[0], base_stage=base_stage,
                            platform=body[0].flag("platform"), instructions=tuple(body)))
        edges.append(Edge(index, "from", base, base_stage, from_ins.line_start))
        for ins in body[1:]:
            sources: list[tuple[str, str]] = []
            if ins.keyword in ("COPY", "ADD") and ins.flag("from") is not None:
                sources.append(("copy", ins.flag("from") or ""))
            if ins.keyword == "RUN":
                sources.extend(("mount", m["from"]) for m in ins.mounts if m.get("from"))
            for kind, ref in sources:
                edges.append(Edge(index, kind, ref, _stage_index(stages, ref, index), ins.line_start,
                                  numeric=ref.isdigit()))
    return Dockerfile(path=path, text=text, global_args=global_args, build_args=overrides,
                      prelude=tuple(prelude), stages=tuple(stages), edges=tuple(edges),
                      directives=found_directives, platform_args=platform_values)


def _check_directive(value: str) -> tuple[frozenset[str], bool]:
    """``skip=A,B;error=true`` → ({"a", "b"}, True), as BuildKit reads the ``check`` directive."""
    skip: set[str] = set()
    error = False
    for part in value.split(";"):
        key, _, v = part.partition("=")
        key = key.strip().lower()
        if key == "skip":
            skip.update(name.strip().lower() for name in v.split(",") if name.strip())
        elif key == "error":
            error = v.strip().lower() in ("true", "1")
    return frozenset(skip), error


def _onbuild_inner(c: Any, stage_index: int | None) -> Instruction | None:
    """ONBUILD's own instruction, parsed again by BuildKit's parser so its flags are kept."""
    inner_text = re.sub(r"^\s*onbuild\s+", "", c.original, count=1, flags=re.IGNORECASE)
    try:
        parsed = _bk.parse_string(inner_text)
    except _bk.GoParseError:
        return None
    if not parsed:
        return None
    i = parsed[0]
    return Instruction(keyword=i.cmd.upper(), written=i.cmd, original=i.original, line_start=c.start_line,
                       line_end=c.end_line, stage_index=stage_index, flags=tuple(i.flags), args=tuple(i.value),
                       json_form=bool(i.json), heredocs=tuple(h.name for h in i.heredocs))


def _word(word: str, scope: Mapping[str, str], escape: str, path: str, ins: Instruction, *, strict: bool,
          quotes: bool = True) -> Word:
    try:
        return process_word(word, scope, escape=escape, quotes=quotes)
    except ShellWordError as exc:
        if strict:
            raise DockerfileError(f"{ins.keyword} {word!r}: {exc}", path=path, line=ins.line_start,
                                  hint="fix the quoting or the ${...} form at that line") from exc
        # BuildKit refuses the word when it runs this step; what was written is the best reading here.
        return Word(word, tuple(word.split()), frozenset(), frozenset())


def _expand_flag(flag: str, scope: Mapping[str, str], escape: str) -> str:
    name, eq, value = flag.partition("=")
    if not eq or name == "--from":  # BuildKit does not expand COPY --from (it asks for a stage instead)
        return flag
    try:
        word = process_word(value, scope, escape=escape)
    except ShellWordError:
        return flag
    # A variable nothing here sets may come from the base image's ENV: keep what was written.
    return flag if word.unresolved else f"{name}={word.result}"


def _expand_instruction(ins: Instruction, scope: Mapping[str, str], escape: str, meta: Mapping[str, str],
                        overrides: Mapping[str, str], path: str) -> Instruction:
    """``ins`` with ``expanded``/``expanded_flags``/``unmatched`` filled from ``scope`` as BuildKit does."""
    flags = tuple(_expand_flag(f, scope, escape) for f in ins.flags) if ins.flags else ()
    if ins.keyword not in EXPANDED_KEYWORDS:
        return replace(ins, expanded_flags=flags) if flags != ins.flags else ins
    unmatched: set[str] = set()

    def one(word: str) -> str:
        w = _word(word, scope, escape, path, ins, strict=False, quotes=not ins.json_form)
        unmatched.update(w.unmatched)
        # A variable nothing here sets may come from the base image's ENV (PATH, GOPATH, APP_HOME...): the
        # word is kept as written rather than guessed empty, so readers see the ``$`` and can tell.
        return word if w.unresolved else w.result

    if ins.keyword == "ARG":
        values = []
        for arg in ins.args:
            arg_name, eq, default = arg.partition("=")
            if arg_name in overrides:
                value: str | None = overrides[arg_name]
            elif eq:
                value = one(default)
            else:
                value = meta.get(arg_name)  # a bare ARG takes the global (or platform) value
            values.append(arg_name if value is None else f"{arg_name}={value}")
        expanded = tuple(values)
    elif ins.keyword in ("ENV", "LABEL"):
        expanded = tuple(one(w) for w in ins.args)
    elif ins.heredocs:
        expanded = tuple(w if w.startswith("<<") else one(w) for w in ins.args)
    else:
        expanded = tuple(one(w) for w in ins.args)
    return replace(ins, expanded=expanded, expanded_flags=flags, unmatched=frozenset(unmatched))


def _stage_index(stages: list[Stage] | tuple[Stage, ...], ref: str, before: int) -> int | None:
    """The earlier stage ``ref`` names (by ``AS`` name, case-insensitive, or by index), else None (an image)."""
    if ref.isdigit():
        i = int(ref)
        return i if i < before else None
    lowered = ref.lower()
    for s in stages[:before]:
        if s.name and s.name.lower() == lowered:
            return s.index
    return None


def history_keyword(created_by: str) -> str:
    """The instruction keyword a history ``created_by`` line starts with (upper case; ``RUN`` for shell lines).

    BuildKit writes ``RUN /bin/sh -c x # buildkit``, ``RUN |2 A=1 B=2 /bin/sh -c x``, ``COPY a b # buildkit``,
    ``ENV K=v``, ``EXPOSE map[80/tcp:{}]``; the classic builder ``/bin/sh -c #(nop)  COPY file:... in /``
    and ``/bin/sh -c x``.
    """
    words = (created_by or "").split()
    if words[:3] == ["/bin/sh", "-c", "#(nop)"]:
        return words[3].upper() if len(words) > 3 else ""
    if words[:1] == ["/bin/sh"]:
        return "RUN"
    return words[0].upper() if words else ""


# --- BuildKit's shell lexer (frontend/dockerfile/shell/lex.go), for the words BuildKit expands itself ------


class ShellWordError(ValueError):
    """A word BuildKit's lexer refuses (an unterminated quote, ``${}``, an unsupported modifier)."""


@dataclass(frozen=True)
class Word:
    """One word after BuildKit's processing: quotes removed, escapes applied, variables expanded."""

    result: str
    words: tuple[str, ...]      # ``result`` split on unquoted whitespace (EXPOSE, VOLUME and the like)
    matched: frozenset[str]     # variables it used that were set
    unmatched: frozenset[str]   # variables it used that were not set (BuildKit's UndefinedVar reads these)
    unresolved: frozenset[str] = frozenset()  # unset and used without a ``:-`` default: the result is a guess


_SPECIAL_PARAMS = frozenset("@*#?-$!0")


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str, quotes: bool = True) -> None:
        self.text, self.pos, self.env, self.escape, self.quotes = text, 0, env, escape, quotes
        self.matched: set[str] = set()
        self.unmatched: set[str] = set()
        self.unresolved: set[str] = set()  # unset and used without a default: the result is only a guess

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += 1 if ch else 0
        return ch

    def get(self, name: str, *, has_default: bool = False) -> tuple[str, bool]:
        if name in self.env:
            self.matched.add(name)
            return self.env[name], True
        self.unmatched.add(name)
        if not has_default:
            self.unresolved.add(name)
        return "", False

    def run(self, stop: str = "", raw_escapes: bool = False) -> tuple[str, list[str]]:
        result: list[str] = []
        words: list[str] = []
        buf: list[str] = []
        in_word = False

        def add_char(ch: str) -> None:
            nonlocal in_word
            if ch.isspace():
                if in_word and buf:
                    words.append("".join(buf))
                    buf.clear()
                    in_word = False
            else:
                buf.append(ch)
                in_word = True

        def add_raw(s: str) -> None:
            nonlocal in_word
            buf.append(s)
            in_word = True

        while self.peek():
            ch = self.peek()
            if stop and ch == stop:
                self.next()
                if buf:
                    words.append("".join(buf))
                return "".join(result), words
            if ch == "$":
                value = self.dollar()
                result.append(value)
                for c in value:
                    add_char(c)
            elif ch == "'" and self.quotes:
                value = self.single_quote()
                result.append(value)
                add_raw(value)
            elif ch == '"' and self.quotes:
                value = self.double_quote()
                result.append(value)
                add_raw(value)
            else:
                ch = self.next()
                if ch == self.escape:
                    if raw_escapes:
                        add_raw(ch)
                        result.append(ch)
                    ch = self.next()
                    if not ch:
                        break
                    add_raw(ch)
                else:
                    add_char(ch)
                result.append(ch)
        if stop:
            raise ShellWordError(f"unexpected end of statement while looking for matching {stop}")
        if buf:
            words.append("".join(buf))
        return "".join(result), words

    def single_quote(self) -> str:
        self.next()
        start = self.pos
        end = self.text.find("'", start)
        if end < 0:
            raise ShellWordError("unexpected end of statement while looking for matching single-quote")
        self.pos = end + 1
        return self.text[start:end]

    def double_quote(self) -> str:
        self.next()
        out: list[str] = []
        while True:
            ch = self.peek()
            if not ch:
                raise ShellWordError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self.next()
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
                continue
            ch = self.next()
            if ch == self.escape:
                nxt = self.peek()
                if not nxt:
                    continue
                if nxt in ('"', "$", self.escape):
                    ch = self.next()
            out.append(ch)

    def name(self) -> str:
        ch = self.peek()
        if ch.isdigit():
            start = self.pos
            while self.peek().isdigit():
                self.next()
            return self.text[start:self.pos]
        if ch and ch in _SPECIAL_PARAMS:
            return self.next()
        start = self.pos
        while self.peek() and (self.peek().isalnum() or self.peek() == "_"):
            self.next()
        return self.text[start:self.pos]

    def dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.name()
            return self.get(name)[0] if name else "$"
        self.next()
        if not self.peek():
            raise ShellWordError("syntax error: missing '}'")
        if self.peek() in "{}:":
            raise ShellWordError("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            return self.get(name)[0]
        modifier, null_is_unset = ch, False
        if ch == ":":
            null_is_unset = True
            ch = self.next()
            modifier += ch
        if ch in ("+", "-", "?", "#", "%"):
            raw = ch in "#%"
            if null_is_unset and raw:
                raise ShellWordError(f"unsupported modifier ({modifier}) in substitution")
            if not self.peek():
                raise ShellWordError("syntax error: missing '}'")
            word, _ = self.run("}", raw)
            value, is_set = self.get(name, has_default=ch in "-?")
            empty = not is_set or (null_is_unset and value == "")
            if ch == "-":
                return word if empty else value
            if ch == "+":
                return "" if empty else word
            if ch == "?":
                if empty:
                    raise ShellWordError(f"{name}: {word or 'is not allowed to be unset'}")
                return value
            greedy = word[:1] == ch
            pattern = _shell_pattern(word[1:] if greedy else word, greedy)
            if ch == "#":
                m = re.match(pattern, value, re.S)
                return value[m.end():] if m else value
            for start in (range(len(value) + 1) if greedy else range(len(value), -1, -1)):
                if re.fullmatch(pattern, value[start:], re.S):
                    return value[:start]
            return value
        if ch == "/":
            replace_all = self.peek() == "/"
            if replace_all:
                self.next()
            pattern, _ = self.run("/", True)
            replacement, _ = self.run("}", True)
            value, _ = self.get(name)
            regex = re.compile(_shell_pattern(pattern, True), re.S)
            return regex.sub(lambda _m: replacement, value, count=0 if replace_all else 1)
        raise ShellWordError(f"unsupported modifier ({modifier}) in substitution")


def _shell_pattern(pattern: str, greedy: bool) -> str:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append(".*" if greedy else ".*?")
        elif ch == "?":
            out.append(".")
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def process_word(word: str, env: Mapping[str, str], *, escape: str = "\\", quotes: bool = True) -> Word:
    """``word`` as BuildKit's shell lexer processes it for ``FROM``, ``COPY``, ``ENV``, ``EXPOSE``...: quotes
    removed (``'$A'`` stays literal), the escape character applied (``\\$A`` is a literal ``$A``), and
    ``$V``, ``${V}``, ``${V:-d}``, ``${V-d}``, ``${V:+a}``, ``${V+a}``, ``${V:?m}``, ``${V#p}``, ``${V%p}``,
    ``${V/p/r}`` substituted from ``env``. ``quotes=False``: quotes are kept (a JSON-form word).
    Raises ``ShellWordError`` for a word BuildKit refuses."""
    lexer = _Lexer(word, env, escape, quotes)
    result, words = lexer.run()
    return Word(result, tuple(words), frozenset(lexer.matched), frozenset(lexer.unmatched),
                frozenset(lexer.unresolved))


def expand(word: str, scope: Mapping[str, str], *, escape: str = "\\") -> str:
    """``word`` with its variables substituted as BuildKit's lexer does (``process_word(...).result``); a word
    the lexer refuses is returned as written."""
    try:
        return process_word(word, scope, escape=escape).result
    except ShellWordError:
        return word
