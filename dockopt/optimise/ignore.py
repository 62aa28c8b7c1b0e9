"""The ``.dockerignore`` a proposal adds: what a build never needs, by stack; merged into the project's own."""

from __future__ import annotations

from .facts import AppFacts

# Never in an image: version control, credentials, editor and OS junk.
_ALWAYS = (".git", ".hg", ".svn", ".env", ".env.*", "!.env.example", "*.pem", "*.key", "id_rsa*", "id_ed25519*",
           ".npmrc", ".pypirc", ".netrc", ".aws", ".ssh", ".docker", "*.log", ".DS_Store", ".idea", ".vscode",
           "Dockerfile*", ".dockerignore", "docker-compose*.yml", "compose*.yaml", ".github", ".gitlab-ci.yml",
           "coverage", ".coverage", "htmlcov", "tmp")
# Documentation and tests: the runtime does not read them (left in when the Dockerfile runs the tests).
_DOCS_TESTS = ("*.md", "docs", "test", "tests", "__tests__", "spec", "*.test.js", "*.spec.js", "*_test.py",
               "conftest.py", "cache-bump", "dockopt.toml")
_BY_STACK = {
    "node": ("node_modules", "npm-debug.log*", "yarn-error.log", ".npm", ".eslintcache", ".next/cache"),
    "python": ("**/__pycache__", "**/*.pyc", ".venv", "venv", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox",
               "*.egg-info", "build"),
    "go": ("vendor/**/*_test.go", "bin"),
    "java": ("target", "build", "out", "*.class", ".gradle", ".mvn/wrapper/*.jar"),
}


def patterns(facts: AppFacts, original: str) -> list[str]:
    """The patterns a proposal's ``.dockerignore`` holds for ``facts`` (``original``: the Dockerfile's text)."""
    out = list(_ALWAYS) + list(_BY_STACK.get(facts.stack, ()))
    if facts.flavour == "node-spa":
        out.append(facts.spa_output)
    runs_tests = any(w in original for w in ("test", "pytest", "spec"))
    if not runs_tests:
        out += list(_DOCS_TESTS)
    if facts.stack == "go" and facts.command:
        binary = facts.command[0].removeprefix("./")
        if "/" not in binary and binary not in facts.files or (binary in facts.files and not binary.endswith(".go")):
            out.append(binary)  # a binary built on the host would be shipped and then overwritten
    return list(dict.fromkeys(out))


def merged(existing: str | None, wanted: list[str]) -> tuple[str, list[str]]:
    """The project's ``.dockerignore`` (``existing``; None: it has none) with the ``wanted`` patterns it lacks
    appended under a comment; the patterns added."""
    have = set()
    if existing:
        have = {line.strip() for line in existing.splitlines() if line.strip() and not line.startswith("#")}
    added = [p for p in wanted if p not in have]
    if existing is None:
        text = ("# Written by `dockopt optimise`: what the build never needs. Credentials and VCS history stay\n"
                "# out of every layer; host-installed dependencies never shadow the ones the build installs.\n")
        return text + "\n".join(added) + "\n", added
    if not added:
        return existing, []
    sep = "" if existing.endswith("\n") else "\n"
    return existing + sep + "\n# Added by `dockopt optimise`:\n" + "\n".join(added) + "\n", added
