"""Read a corpus of other people's Dockerfiles the way dockopt reads yours, and say what it made of them.

    python benchmarks/dockerfile_corpus.py /work/corpus [--no-hadolint] [--limit N]
                                           [--findings findings.csv] [--detections detections.csv]

For every Dockerfile under the folder (``Dockerfile``, ``Dockerfile.*``, ``*.Dockerfile``, ``Containerfile``)
it runs, one file at a time and timed:

1. ``dockopt.dockerfile.parse`` (BuildKit's parser, ARG scoping and expansion, stages);
2. ``dockopt.project.project`` with the Dockerfile's folder as the build context (what ``dockopt init``
   would detect: stack, port, health path, runtime-base ARG, source file to edit, dependency manifest);
3. the static lint (``dockopt.insight.lint_files``: dockopt's text rules and hadolint's).

It also parses the Dockerfiles written inline in ``*_test.go`` files (BuildKit's integration tests), and
replays BuildKit's lexer test tables (``envVarTest``, ``wordsTest``) when the corpus holds them.
It prints how many files it read, the parse errors with their reason (a file BuildKit refuses is an answer,
not a failure), anything that escaped as an unexpected exception (a dockopt bug: type and message, never a
traceback), the detection outcomes per setting with their confidence, how often each lint rule fired, and
timings. ``--findings`` / ``--detections`` write the rows behind those counts, for hand-checking
(``benchmarks/corpus_handcheck.csv`` and ``corpus_detection_handcheck.csv`` record one such check each;
``benchmarks/corpus_handcheck.py`` computes precision from them).

The corpus is not part of this repository (its files are other people's code): bring one with any git
checkouts, e.g. docker/awesome-compose, GoogleCloudPlatform/microservices-demo, docker-library/python.
The exit code is 1 when an unexpected exception escaped, else 0.
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

from dockopt import dockerfile
from dockopt.errors import DockoptError

_NAME = re.compile(r"^(Dockerfile([._-].*)?|.*[._-]Dockerfile|.*\.dockerfile|Containerfile)$", re.IGNORECASE)
_SKIP_DIRS = {".git", "node_modules", "vendor", ".venv", "__pycache__"}
_NOT_DOCKERFILES = (".dockerignore", ".md", ".sh", ".yml", ".yaml", ".json", ".go", ".txt", ".template")
DETECTED = ("stack", "port", "health_path", "base_arg", "touch", "dependency_file")


def dockerfiles(root: Path) -> list[Path]:
    """Every file under ``root`` named like a Dockerfile, in a stable order (symlinks and huge files left out)."""
    out = []
    for path in sorted(root.rglob("*")):
        if _SKIP_DIRS & set(path.relative_to(root).parts[:-1]):
            continue
        if _NAME.match(path.name) and path.is_file() and not path.is_symlink() and path.stat().st_size < 1_000_000 \
                and not path.name.endswith(_NOT_DOCKERFILES):
            out.append(path)
    return out


# A Dockerfile written inline in a Go test (BuildKit's integration tests): a raw string that starts with
# comments, ARGs or blank lines and then FROM. Templates (fmt verbs) are left out.
_GO_INLINE = re.compile(r"`\n?((?:#[^\n]*\n|ARG [^\n]*\n|\s*\n)*FROM [^`]*)`", re.S)


def go_inline_dockerfiles(root: Path) -> list[tuple[str, str]]:
    """(``file.go#n``, text) for every Dockerfile written inline in a ``*_test.go`` file under ``root``."""
    out = []
    for path in sorted(root.rglob("*_test.go")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for n, m in enumerate(_GO_INLINE.finditer(text)):
            if not re.search(r"%[sdvq\[]", m.group(1)):
                out.append((f"{path.relative_to(root).as_posix()}#{n}", m.group(1)))
    return out


def lexer_cases(root: Path) -> tuple[int, list[str]]:
    """Replay BuildKit's own lexer test tables (``frontend/dockerfile/shell/envVarTest`` and ``wordsTest``,
    when the corpus holds them) through ``dockerfile.process_word``: (cases, the ones that differ)."""
    cases, differ = 0, []
    for path in sorted(root.rglob("envVarTest")):
        env = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": ""}
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = [w.strip() for w in line.split("|")]
            if line.startswith("#") or len(parts) != 3 or parts[0] == "W":  # W: Windows-only cases
                continue
            cases += 1
            try:
                got = dockerfile.process_word(parts[1], env).result
            except dockerfile.ShellWordError:
                got = "error"
            if got != parts[2]:
                differ.append(f"{parts[1]!r}: BuildKit {parts[2]!r}, dockopt {got!r}")
    for path in sorted(root.rglob("wordsTest")):
        env = {}
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.startswith("#") or not line:
                continue
            if line.startswith("ENV "):
                key, _, value = line[3:].lstrip(" ").partition("=")
                env[key] = value
                continue
            word, _, expected = line.partition("|")
            cases += 1
            try:
                words = list(dockerfile.process_word(word.strip(), dict(env)).words)
            except dockerfile.ShellWordError:
                words = ["error"]
            if words != expected.lstrip(" ").split(","):
                differ.append(f"{word.strip()!r}: BuildKit {expected.strip()!r}, dockopt {','.join(words)!r}")
    return cases, differ


def _reason(exc: BaseException, path: Path | None = None) -> str:
    text = str(getattr(exc, "message", "") or exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    if path is not None:  # the file is named once, by the caller
        first = re.sub(rf"^{re.escape(str(path))}(:\d+)?:\s*", lambda m: f"line {m.group(1)[1:]}: " if m.group(1)
                       else "", first)
    return first[:160]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--no-hadolint", action="store_true", help="dockopt's own rules only (faster)")
    ap.add_argument("--limit", type=int, default=0, help="read only the first N files")
    ap.add_argument("--findings", type=Path, help="write every lint finding to this CSV")
    ap.add_argument("--detections", type=Path, help="write every detected value to this CSV")
    args = ap.parse_args(argv)

    from dockopt.insight import lint_files
    from dockopt.project import project

    files = dockerfiles(args.corpus)
    if args.limit:
        files = files[:args.limit]
    if not files:
        print(f"no Dockerfiles under {args.corpus}", file=sys.stderr)
        return 2
    parse_errors: list[tuple[str, str]] = []
    escaped: list[tuple[str, str, str]] = []
    detect_errors: list[tuple[str, str]] = []
    outcomes: dict[str, Counter[str]] = {k: Counter() for k in DETECTED}
    rule_fired: Counter[str] = Counter()
    rule_files: dict[str, set[str]] = defaultdict(set)
    timings: dict[str, list[float]] = defaultdict(list)
    finding_rows: list[dict[str, object]] = []
    detection_rows: list[dict[str, object]] = []
    notes = 0
    shapes: Counter[str] = Counter()
    started = time.perf_counter()
    for n, path in enumerate(files):
        fid = path.relative_to(args.corpus).as_posix()
        t = time.perf_counter()
        try:
            parsed = dockerfile.parse(path)
        except DockoptError as exc:
            timings["parse_s"].append(time.perf_counter() - t)
            parse_errors.append((fid, _reason(exc, path)))
            parsed = None
        except Exception as exc:  # noqa: BLE001 - the point is to catch what dockopt let escape
            escaped.append((fid, "parse", f"{type(exc).__name__}: {_reason(exc)}"))
            continue
        else:
            timings["parse_s"].append(time.perf_counter() - t)
        if parsed is not None:
            shapes["multi-stage" if len(parsed.stages) > 1 else "one stage"] += 1
            shapes.update(k for k, present in (
                ("global ARG in FROM", any("$" in s.base_written for s in parsed.stages)),
                ("platform ARG", any(a in parsed.text for a in dockerfile.PLATFORM_ARGS)),
                ("heredoc", any(i.heredocs for i in parsed.instructions)),
                ("RUN --mount bind", any(m["type"] == "bind" for i in parsed.instructions for m in i.mounts)),
                ("RUN --mount cache", any(m["type"] == "cache" for i in parsed.instructions for m in i.mounts)),
                ("RUN --mount secret", any(m["type"] == "secret" for i in parsed.instructions for m in i.mounts)),
                ("ONBUILD", any(i.keyword == "ONBUILD" for i in parsed.instructions)),
                ("# check directive", "check" in parsed.directives),
                ("# escape directive", "escape" in parsed.directives),
            ) if present)
            t = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    p = project(path.parent, path.name)
            except DockoptError as exc:
                detect_errors.append((fid, _reason(exc)))
            except Exception as exc:  # noqa: BLE001
                escaped.append((fid, "project", f"{type(exc).__name__}: {_reason(exc)}"))
            else:
                for key in DETECTED:
                    value = getattr(p, key)
                    o = p.origin(key)
                    shown = p.relative(value) if isinstance(value, Path) else value
                    outcomes[key]["none" if value is None else f"{o.source}/{o.confidence}"] += 1
                    detection_rows.append({"file": fid, "setting": key, "value": "" if shown is None else shown,
                                           "origin": o.source, "confidence": o.confidence, "detail": o.detail})
            timings["project_s"].append(time.perf_counter() - t)
        t = time.perf_counter()
        try:
            table = lint_files([path], hadolint=not args.no_hadolint)
        except DockoptError as exc:
            table = None
            if parsed is not None:
                escaped.append((fid, "lint", f"{type(exc).__name__}: {_reason(exc)}"))
        except Exception as exc:  # noqa: BLE001
            table = None
            escaped.append((fid, "lint", f"{type(exc).__name__}: {_reason(exc)}"))
        timings["lint_s"].append(time.perf_counter() - t)
        if table is not None:
            notes += len(table.attrs.get("notes", []))
            for row in table.itertuples(index=False):
                rule_fired[str(row.rule)] += 1
                rule_files[str(row.rule)].add(fid)
                finding_rows.append({"file": fid, "rule": row.rule, "line": row.line, "severity": row.severity,
                                     "build_check": row.build_check, "message": str(row.message)[:200]})
        if (n + 1) % 50 == 0:
            print(f"... {n + 1}/{len(files)} files", file=sys.stderr)
    total = time.perf_counter() - started

    print(f"dockopt corpus run over {args.corpus}")
    print(f"files: {len(files)}   parsed: {len(files) - len(parse_errors) - sum(1 for e in escaped if e[1] == 'parse')}"
          f"   refused (parse errors): {len(parse_errors)}   unexpected exceptions: {len(escaped)}")
    print("\nshapes seen: " + ", ".join(f"{k} {v}" for k, v in shapes.most_common()))
    print(f"\nparse errors ({len(parse_errors)}): a file BuildKit refuses, with the reason dockopt gives")
    for fid, reason in parse_errors:
        print(f"  {fid}: {reason}")
    if escaped:
        print(f"\nUNEXPECTED EXCEPTIONS ({len(escaped)}): dockopt bugs")
        for fid, where, what in escaped:
            print(f"  [{where}] {fid}: {what}")
    print(f"\ndetection outcomes (per setting: origin/confidence, or none); {len(detect_errors)} projects refused")
    for fid, reason in detect_errors[:20]:
        print(f"  refused {fid}: {reason}")
    for key in DETECTED:
        print(f"  {key:<16} " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes[key].items())))
    linted = len(timings["lint_s"])
    print(f"\nlint rules fired (findings / files of {linted}); tool notes (not findings): {notes}")
    for rule, count in rule_fired.most_common():
        print(f"  {rule:<22} {count:>5} {len(rule_files[rule]):>5}")
    inline = go_inline_dockerfiles(args.corpus)
    read = refused = 0
    if inline:
        t = time.perf_counter()
        for fid, text in inline:
            try:
                parsed_inline = dockerfile.parse(fid, text=text)
                for ins in parsed_inline.instructions:
                    _ = ins.mounts, ins.values
                read += 1
            except DockoptError:
                refused += 1
            except Exception as exc:  # noqa: BLE001
                escaped.append((fid, "parse inline", f"{type(exc).__name__}: {_reason(exc)}"))
        timings["inline_parse_s"].append(time.perf_counter() - t)
        print(f"\nDockerfiles inline in Go tests: {len(inline)}   parsed: {read}   refused: {refused}   "
              f"unexpected exceptions: {len(inline) - read - refused}")
    lexer_total, lexer_differ = lexer_cases(args.corpus)
    if lexer_total:
        print(f"\nBuildKit's lexer test tables replayed: {lexer_total} cases, {len(lexer_differ)} differ")
        for line in lexer_differ:
            print(f"  {line}")
    print("\ntimings (median / max per file, seconds)")
    for key, values in timings.items():
        if values:
            print(f"  {key:<10} {statistics.median(values):.4f} / {max(values):.3f}  (total {sum(values):.1f})")
    print(f"  whole run {total:.1f}")
    if not args.limit:
        _record(args, files, parse_errors, escaped, shapes, outcomes, rule_fired, rule_files, timings, notes,
                (len(inline), read, refused), lexer_total, lexer_differ)
    for target, rows in ((args.findings, finding_rows), (args.detections, detection_rows)):
        if target is not None and rows:
            with open(target, "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
            print(f"wrote {len(rows)} rows to {target}", file=sys.stderr)
    return 1 if escaped else 0


def _record(args: argparse.Namespace, files: list[Path], parse_errors: list[tuple[str, str]],
            escaped: list[tuple[str, str, str]], shapes: Counter[str], outcomes: dict[str, Counter[str]],
            rule_fired: Counter[str], rule_files: dict[str, set[str]], timings: dict[str, list[float]],
            tool_notes: int, inline: tuple[int, int, int], lexer_total: int, lexer_differ: list[str]) -> None:
    """``benchmarks/results/dockerfile_corpus.json``: one row per lint rule (how often it fired), and what
    the run read and detected as notes, for docs/dockerfiles.md."""
    import record

    linted = len(timings["lint_s"])
    rows = [{"rule": rule, "findings": count, "files": len(rule_files[rule]),
             "share_of_files_pct": 100 * len(rule_files[rule]) / linted if linted else None}
            for rule, count in rule_fired.most_common()]
    notes = [f"{len(files)} Dockerfiles under the corpus folder; {len(parse_errors)} refused by the parser "
             f"(with their reason); {len(escaped)} unexpected exceptions",
             "shapes: " + ", ".join(f"{k} {v}" for k, v in shapes.most_common()),
             f"{inline[0]} Dockerfiles written inline in Go tests: {inline[1]} parsed, {inline[2]} refused; "
             f"BuildKit's lexer test tables: {lexer_total} cases, {len(lexer_differ)} differ",
             f"tool notes (not findings): {tool_notes}",
             *(f"detected {key}: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes[key].items()))
               for key in DETECTED),
             *(f"{key}: median {statistics.median(v):.4f} s per file" for key, v in timings.items() if v)]
    record.write("dockerfile_corpus", rows, columns=["rule", "findings", "files", "share_of_files_pct"], notes=notes,
                 engine=False)


if __name__ == "__main__":
    sys.exit(main())
