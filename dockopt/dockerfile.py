"""A Dockerfile as BuildKit reads it: stages, instructions with their lines, and the edges between stages.

Parsing is BuildKit's own: the ``dockerfile`` wheel wraps moby/buildkit's Go parser
(``frontend/dockerfile/parser``), so line continuations, heredocs, JSON forms, escape directives and
flags come out exactly as ``docker build`` sees them. What BuildKit does *after* parsing and that dockopt
needs is done here, kept small and tested against BuildKit's behaviour:

- stages: every ``FROM`` opens one; its name (``AS``) is case-insensitive, like BuildKit's;
- ``ARG`` substitution in ``FROM`` (global ``ARG``s before the first ``FROM``, overridden by build args)
  with the shell forms BuildKit accepts there (``$V``, ``${V}``, ``${V:-d}``, ``${V-d}``, ``${V:+a}``, ``${V+a}``);
- edges: ``FROM <stage>``, ``COPY --from=<stage|index|image>`` and ``RUN --mount=...,from=<stage|image>``;
- which stages a target needs (BuildKit builds only those: the rest are skipped).

Nothing here reads the build context or talks to the engine.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dockerfile as _bk

from .errors import DockerfileError, DockerfileNotFound

SCRATCH = "scratch"
STEP_KEYWORDS = frozenset({"RUN", "COPY", "ADD", "WORKDIR"})  # the instructions BuildKit runs as steps


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

    def flag(self, name: str) -> str | None:
        """Value of ``--name=value`` (the last one wins, as in BuildKit), else None."""
        value = None
        for f in self.flags:
            key, _, v = f.removeprefix("--").partition("=")
            if key == name:
                value = v
        return value

    def flag_values(self, name: str) -> tuple[str, ...]:
        """Every value of a repeatable flag such as ``--mount``."""
        return tuple(f.removeprefix("--").partition("=")[2] for f in self.flags
                     if f.removeprefix("--").partition("=")[0] == name)

    @property
    def mounts(self) -> tuple[dict[str, str], ...]:
        """``RUN --mount=type=cache,target=/x`` → ``({"type": "cache", "target": "/x"},)``."""
        out = []
        for spec in self.flag_values("mount"):
            fields: dict[str, str] = {}
            for part in spec.split(","):
                key, eq, value = part.partition("=")
                fields[key.strip().lower()] = value.strip() if eq else "true"
            fields.setdefault("type", "bind")
            out.append(fields)
        return tuple(out)


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

    @property
    def instructions(self) -> tuple[Instruction, ...]:
        return self.prelude + tuple(i for s in self.stages for i in s.instructions)

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

    def context_copies(self, stage: int | None = None) -> tuple[Instruction, ...]:
        """``COPY``/``ADD`` instructions that read the build context (no ``--from``) in ``stage`` (default: all)."""
        return tuple(i for s in self.stages if stage is None or s.index == stage for i in s.instructions
                     if i.keyword in ("COPY", "ADD") and i.flag("from") is None and not i.heredocs)


# --- parsing --------------------------------------------------------------------------------------------


def parse(source: str | os.PathLike[str], *, build_args: Mapping[str, str] | None = None,
          text: str | None = None) -> Dockerfile:
    """Parse a Dockerfile (a path, or ``text=`` with ``source`` naming it for messages).

    Raises ``DockerfileNotFound`` for a missing file and ``DockerfileError`` (with the line) for text
    BuildKit would refuse: a parse error, an instruction before the first ``FROM`` other than ``ARG``,
    no ``FROM`` at all, or a ``FROM`` without an image.
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
    overrides = dict(build_args or {})
    prelude: list[Instruction] = []
    global_args: dict[str, str | None] = {}
    stage_rows: list[tuple[Instruction, list[Instruction]]] = []
    for c in commands:
        keyword = c.cmd.upper()
        if keyword == "FROM":
            stage_index: int | None = len(stage_rows)
        else:
            stage_index = len(stage_rows) - 1 if stage_rows else None
        ins = Instruction(keyword=keyword, written=c.cmd, original=c.original, line_start=c.start_line,
                          line_end=c.end_line, stage_index=stage_index, flags=tuple(c.flags), args=tuple(c.value),
                          json_form=bool(c.json), heredocs=tuple(h.name for h in c.heredocs))
        if keyword == "FROM":
            stage_rows.append((ins, [ins]))
        elif not stage_rows:
            if keyword != "ARG":
                raise DockerfileError(f"{keyword} before the first FROM: only ARG may come first", path=path,
                                      line=c.start_line, hint="start the Dockerfile with FROM (ARGs may precede it)")
            prelude.append(ins)
            for arg in ins.args:
                arg_name, eq, default = arg.partition("=")
                global_args[arg_name] = _unquote(default) if eq else None
        else:
            stage_rows[-1][1].append(ins)
    if not stage_rows:
        raise DockerfileError("no FROM instruction", path=path, hint="a Dockerfile starts with FROM <image>")

    scope = {k: v for k, v in global_args.items() if v is not None}
    scope.update({k: v for k, v in overrides.items() if k in global_args})
    stages: list[Stage] = []
    edges: list[Edge] = []
    for index, (from_ins, body) in enumerate(stage_rows):
        args = list(from_ins.args)
        if not args:
            raise DockerfileError("FROM needs an image", path=path, line=from_ins.line_start)
        name = args[2] if len(args) >= 3 and args[1].upper() == "AS" else None
        base = expand(args[0], scope)
        base_stage = _stage_index(stages, base, index)
        stages.append(Stage(index=index, name=name, base=base, base_written=args[0], base_stage=base_stage,
                            platform=from_ins.flag("platform"), instructions=tuple(body)))
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
                      prelude=tuple(prelude), stages=tuple(stages), edges=tuple(edges))


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


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


_VAR = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?\}"
                  r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


def expand(word: str, scope: Mapping[str, str]) -> str:
    """Substitute ``$V``, ``${V}``, ``${V:-d}``, ``${V-d}``, ``${V:+a}``, ``${V+a}`` as BuildKit's lexer does."""

    def one(m: re.Match[str]) -> str:
        name = m.group("braced") or m.group("bare")
        op, alt = m.group("op"), m.group("word") or ""
        is_set = name in scope
        value = scope.get(name, "")
        if op == ":-":
            return value if value else expand(alt, scope)
        if op == "-":
            return value if is_set else expand(alt, scope)
        if op == ":+":
            return expand(alt, scope) if value else ""
        if op == "+":
            return expand(alt, scope) if is_set else ""
        return value

    return _VAR.sub(one, word)


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
