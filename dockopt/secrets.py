"""Secrets left in an image: in files (including files a later layer deleted - they still ship),
in the config's ``Env`` and in the history (build arguments and ``RUN`` lines are recorded there).

A finding has to be worth acting on, so context decides before any pattern does:

- where a file sits: other people's packages (``site-packages``, ``node_modules``, Go's module
  cache, vendored trees) and documentation (README, ``*.md``, ``dist-info/METADATA``, man pages)
  hold example keys, not leaks, and are never read; nor are system trees (``/usr``, ``/lib``);
- what a file is: ``.env``, ``.npmrc``, ``pip.conf``, ``.pypirc``, ``.netrc``, ``.git-credentials``,
  Docker's ``config.json``, AWS credentials, kube config, ``.htpasswd``, ``.pgpass``, PEM/OpenSSH
  private keys and GCP service-account JSON are parsed as what they are;
- how a value looks: provider tokens match their exact format and, where it has one, checksum
  (GitHub and npm tokens end in a CRC32); documented example values (AWS's ``...EXAMPLE`` keys),
  references (``${TOKEN}``) and placeholders (``changeme``) are not secrets; a generic
  ``password = ...`` counts in config-shaped files only, and in code only as a quoted,
  random-looking literal.

``capture_policy`` tells the image reader which small files to keep while the image streams;
``find`` scans them and the image config. Findings carry a redacted preview only: a secret is never
returned, printed or logged in full.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import posixpath
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - ``dockopt analyze`` imports this module without pandas
    import pandas as pd

FINDING_COLUMNS = ["layer", "path", "rule", "instruction", "deleted_later", "visible", "preview"]

_NAME_CAP = 256 * 1024      # files that are secrets by name
_CONTENT_CAP = 32 * 1024    # other candidate files (source, config)
_PER_FILE = 20              # findings per file: beyond that it is a data file, not a config

# --- where a file sits -----------------------------------------------------------------------

# Other people's code, docs and test fixtures: boto3's README, botocore's example keys,
# jsonwebtoken's sample JWTs, golang.org/x/crypto's test keys. Not the image owner's secrets.
_THIRD_PARTY = re.compile(
    r"/(?:site-packages|dist-packages|node_modules|bower_components|jspm_packages|vendor|\.npm|\.cache|"
    r"\.yarn|\.pnpm-store|\.m2|\.gradle|\.ivy2|\.cargo|\.rustup|\.gem|gems|pkg/mod|\.nuget|\.git/objects|"
    r"\.git/hooks|\.git/logs|__pycache__)/")
# System trees and distribution files: read only where a package can't have put them.
_SYSTEM = ("/usr/", "/lib", "/bin/", "/sbin/", "/proc/", "/sys/", "/dev/", "/boot/", "/var/", "/nix/", "/snap/",
           "/etc/ssl/", "/etc/ca-certificates/", "/etc/pki/", "/etc/alternatives/", "/nodejs/",
           "/opt/java/", "/opt/conda/")
_APP_UNDER_SYSTEM = ("/usr/src/", "/usr/local/src/", "/usr/local/bin/", "/usr/local/etc/", "/var/www/",
                     "/var/lib/jenkins/")
_DOCS_DIR = re.compile(r"/(?:docs?|man|examples?|samples?|licenses?)/", re.IGNORECASE)
_DOCS_NAME = re.compile(
    r"^(?:readme|changelog|changes|history|news|license|licence|copying|notice|authors|contributors|"
    r"contributing|code_of_conduct|security|metadata|pkg-info)(?:[.\-_].*)?$|\.(?:md|markdown|rst|adoc|asciidoc|"
    r"html?|1|5|8|map)$", re.IGNORECASE)

# Files that are secrets (or hold them) by name: the kind decides how they are parsed.
_NAME_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private-key-file", re.compile(r"^id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?$")),
    ("dotenv", re.compile(r"^\.env(?:\..+)?$|^.+\.env$|^\.(?:bash|zsh|ash|sh)_history$|^\.envrc$")),
    ("npmrc", re.compile(r"^\.?npmrc$|^\.yarnrc(?:\.yml)?$")),
    ("pypirc", re.compile(r"^\.pypirc$")),
    ("netrc", re.compile(r"^[._]netrc$")),
    ("git-credentials", re.compile(r"^\.git-credentials$")),
    ("pip-conf", re.compile(r"^pip\.(?:conf|ini)$")),
    ("htpasswd", re.compile(r"^\.htpasswd$|^htpasswd$")),
    ("pgpass", re.compile(r"^\.pgpass$")),
    ("config", re.compile(r"^\.my\.cnf$|^\.s3cfg$|^\.boto$|^\.vault-token$|^credentials\.tfrc\.json$")),
    ("key-file", re.compile(r".+\.(?:pem|key|p8|ppk)$")),
)
_PATH_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("aws-credentials", re.compile(r"/\.aws/(?:credentials|config)$")),
    ("docker-config", re.compile(r"/\.docker/config\.json$")),
    ("kube-config", re.compile(r"/\.kube/config$|(?:^|/)kubeconfig(?:\.ya?ml)?$|\.kubeconfig$")),
)
_CONFIG_EXT = re.compile(r"\.(?:json|ya?ml|toml|ini|cfg|conf|cnf|properties|config|tfvars|hcl|xml|env)$")
_CODE_EXT = re.compile(r"\.(?:py|js|mjs|cjs|ts|jsx|tsx|rb|php|go|java|kt|kts|scala|cs|rs|sh|bash|zsh|ps1|"
                       r"groovy|gradle|pl|lua|swift|tf|sql|txt)$")


def file_kind(path: str) -> str | None:
    """What the secrets scan takes ``path`` for, or None when it is never read.

    None for third-party packages, documentation and system trees; otherwise a structured
    kind (``dotenv``, ``npmrc``, ``aws-credentials``, ...), or ``config``, ``code`` or ``text``.
    """
    if path.startswith(_SYSTEM) and not path.startswith(_APP_UNDER_SYSTEM):
        return None  # most files of an image: checked first, by prefix alone
    if _THIRD_PARTY.search(path):
        return None
    base = posixpath.basename(path)
    for kind, pattern in _PATH_KINDS:
        if pattern.search(path):
            return kind
    for kind, pattern in _NAME_KINDS:
        if pattern.match(base):
            return None if kind == "key-file" and _DOCS_DIR.search(path) else kind
    if _DOCS_NAME.search(base) or _DOCS_DIR.search(path):
        return None
    if _CONFIG_EXT.search(base):
        return "config"
    if _CODE_EXT.search(base):
        return "code"
    if "." not in base.lstrip("."):
        return "text"  # extensionless: scripts, configs (.git/config), tokens
    return None


def name_rule(path: str) -> str | None:
    """The structured kind a path is by its name alone (``/root/.ssh/id_rsa`` → private-key-file), else None."""
    kind = file_kind(path)
    return kind if kind not in (None, "config", "code", "text") else None


def capture_policy(path: str, size: int, mode: int) -> int:
    """How many bytes of a file the secrets scan needs (0: none); see ``dockopt.image.CapturePolicy``."""
    kind = file_kind(path)
    if kind is None:
        return 0
    if kind == "text" and mode & 0o111 and size >= 1024:
        return 0  # an extensionless executable is a program: the package scan looks for Go build info in it
    if kind in ("config", "code", "text"):
        return _CONTENT_CAP
    return _NAME_CAP


# --- how a value looks -------------------------------------------------------------------------

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_PLACEHOLDER = re.compile(
    r"^(?:x+|\*+|\.+|-+|_+|#+|0+|(?:1234|abc123|abcdef|qwerty|letmein).*|changeme|change[-_]?me|changeit|pass|"
    r"passw(?:or)?d|secret|token|"
    r"example|sample|dummy|fake|test(?:ing)?|none|null|nil|true|false|yes|no|on|off|undefined|todo|tbd|"
    r"redacted|placeholder|replace[-_]?me|default|admin|root|guest|user(?:name)?|"
    r".*(?:your|my)[-_ ]?(?:own[-_ ]?)?(?:secret|token|key|password|api).*|.*example.*|.*placeholder.*|"
    r".*xxxx.*|.*_here|insert.*|enter.*|put[-_ ].*|sk_test_.*|pk_test_.*|pk_live_.*)$", re.IGNORECASE)
# References to a secret kept elsewhere: ${VAR}, $(cmd), $VAR, {{ var }}, %(var)s, %VAR%, <value>, paths.
_REFERENCE = re.compile(r"\$\{[A-Za-z_]|\$\([a-z]|^\$[A-Za-z_]\w*$|\{\{\s*[\w.]+\s*\}\}|%\([A-Za-z_]\w*\)[sd]|"
                        r"^%[A-Za-z_]+%$|^<[^<>]*>$|^\[[^\[\]]*\]$|#\{[\w.]+\}|process\.env|os\.environ|getenv|"
                        r"^/|^\./|^~/|^file:|^vault:|^arn:")


def _is_placeholder(value: str) -> bool:
    v = value.strip().strip("\"'`")
    if len(v) < 6 or len(set(v)) < 4:
        return True
    return bool(_PLACEHOLDER.match(v) or _REFERENCE.search(v))


def _entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _looks_random(value: str) -> bool:
    """A generated credential rather than a word, a name or a sentence."""
    if len(value) < 12 or " " in value or _is_placeholder(value):
        return False
    if re.fullmatch(r"[a-z]+(?:[-_.][a-z]+)*|[A-Z]+(?:[-_.][A-Z]+)*|[A-Za-z]+(?:\.[A-Za-z]+)+", value):
        return False  # identifiers, dotted names, kebab words
    # Generated secrets mix digits or cases; "something-with-a-#-hash" and "correct-horse-battery" do not.
    mixed = bool(re.search(r"[0-9]", value)) or (bool(re.search(r"[a-z]", value)) and bool(re.search(r"[A-Z]", value)))
    return mixed and bool(re.search(r"[A-Za-z]", value)) and _entropy(value) >= 3.0


def _checksum_ok(token: str) -> bool:
    """GitHub's and npm's token checksum: the last six base62 characters are the CRC32 of the random part."""
    body, check = token[token.index("_") + 1:-6], token[-6:]
    n = 0
    for ch in check:
        n = n * 62 + _BASE62.index(ch)
    return n == binascii.crc32(body.encode())


def _jwt_ok(token: str) -> bool:
    try:
        head = json.loads(base64.urlsafe_b64decode(token.split(".", 1)[0] + "=="))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(head, dict) and "alg" in head


def _not_example(value: str) -> bool:
    return "EXAMPLE" not in value.upper()


# Provider tokens: (rule, pattern whose group 1 is the secret, extra check). Applied to every file read
# and to the image config; exact formats keep them quiet on everything else.
_PROVIDERS: tuple[tuple[str, re.Pattern[str], Any], ...] = (
    ("aws-access-key-id", re.compile(r"(?<![A-Z0-9])((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})(?![A-Z0-9])"), _not_example),
    ("aws-secret-access-key", re.compile(r"(?i)aws_?secret_?(?:access_?)?key['\"]?\s*[=:]\s*['\"]?"
                                         r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"), _not_example),
    ("github-token", re.compile(r"(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36})(?![A-Za-z0-9])"), _checksum_ok),
    ("github-token", re.compile(r"(?<![A-Za-z0-9_])(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9])"),
     None),
    ("gitlab-token", re.compile(r"(?<![A-Za-z0-9_])(glpat-[A-Za-z0-9_\-]{20,}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,9})?)"),
     None),
    ("slack-token", re.compile(r"(?<![A-Za-z0-9])(xox[baprse]-[0-9]{8,13}-[0-9A-Za-z\-]{8,})"), None),
    ("slack-webhook", re.compile(r"(https://hooks\.slack\.com/services/T[A-Z0-9]{8,}/B[A-Z0-9]{8,}/[A-Za-z0-9]{20,})"),
     None),
    ("stripe-live-key", re.compile(r"(?<![A-Za-z0-9])((?:sk|rk)_live_[0-9A-Za-z]{24,247})(?![A-Za-z0-9])"), None),
    ("npm-token", re.compile(r"(?<![A-Za-z0-9_])(npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])"), _checksum_ok),
    ("pypi-token", re.compile(r"(?<![A-Za-z0-9])(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})"), None),
    ("google-api-key", re.compile(r"(?<![A-Za-z0-9])(AIza[0-9A-Za-z_\-]{35})(?![A-Za-z0-9_\-])"), None),
    ("azure-storage-key", re.compile(r"AccountKey=([A-Za-z0-9+/]{86}==)"), None),
    ("jwt", re.compile(r"(?<![A-Za-z0-9_\-])(eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{16,})"),
     _jwt_ok),
)
# Every provider pattern starts with one of these: a file without any is done in one search.
_PROVIDER_HINT = re.compile(r"AKIA|ASIA|ABIA|ACCA|(?i:aws_?secret)|gh[pousr]_|github_pat_|glpat-|xox[baprse]-|"
                            r"hooks\.slack|_live_|npm_|pypi-|AIza|AccountKey=|eyJ")

# PEM armour, raw or JSON-escaped (``\n`` inside a string, as in GCP service-account files).
_PEM = re.compile(r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----"
                  r"((?:\\[rn]|[\s\w+/=:,\-])*?)-----END \1-----")
_URL_CREDS = re.compile(r"\b[a-z][a-z0-9+.\-]{1,15}://([^\s:/@\"'<>{}()$]+):([^\s/@\"'<>{}()$]{3,})@"
                        r"[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*")

_SECRET_NAME = re.compile(r"(?i)(?:secret|passw(?:or)?d|(?:^|[_.\-])pwd(?:$|[_.\-])|token|api[_.\-]?key|"
                          r"access[_.\-]?key|private[_.\-]?key|credentials?|auth[_.\-]?key|signing[_.\-]?key|"
                          r"encryption[_.\-]?key|client[_.\-]?secret)")
# Names that hold something about a secret, not the secret: DB_PASSWORD_FILE, tokenTtl, SECRET_KEY_ID.
_ABOUT_A_SECRET = ("file", "path", "dir", "url", "uri", "endpoint", "host", "ttl", "expiry", "expires", "expiresAt",
                   "length", "len", "timeout", "algorithm", "alg", "type", "name", "header", "id", "enabled",
                   "required", "min", "max", "count", "size", "lifetime", "age", "format", "prefix", "version",
                   "policy", "rotation", "validators", "hashers", "field", "env", "var", "store", "provider")
_NOT_SECRET_NAME = re.compile(
    r"(?:[_.\-](?i:" + "|".join(_ABOUT_A_SECRET) + r")|(?<=[a-z])(?:"
    + "|".join(w[0].upper() + w[1:] for w in _ABOUT_A_SECRET) + r")|(?i:min_?length|max_?length))$")
_ASSIGNMENT = re.compile(r"(?m)^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*=[ \t]*(.*?)[ \t]*$")
_CONFIG_PAIR = re.compile(r"(?m)[\"']?([A-Za-z_][A-Za-z0-9_.\-]*)[\"']?[ \t]*[:=][ \t]*(?:\"([^\"\n]*)\"|'([^'\n]*)'|"
                          r"([^\s,;#\"'{}\[\]]+))")
_CODE_LITERAL = re.compile(r"(?m)\b([A-Za-z_][A-Za-z0-9_]*)[\"']?\s*(?::\s*[A-Za-z\[\]]+\s*)?[:=]\s*"
                           r"(?:\"([^\"\n\\]{12,})\"|'([^'\n\\]{12,})')\s*[,;)}]?\s*$")


def _pem_preview(kind: str, body: str) -> str:
    key_chars = len(re.sub(r"\\[rn]|\s", "", body))
    return f"-----BEGIN {kind}----- [{key_chars} bytes redacted]"


def redact(value: bytes | str, *, keep: int = 4) -> str:
    """``AKIA…[16 more chars redacted]``: enough to recognise which secret it is, never enough to use it.

    A PEM private key becomes ``-----BEGIN RSA PRIVATE KEY----- [N bytes redacted]`` (N: key characters).
    """
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    text = text.strip()
    m = _PEM.search(text)
    if m:
        return _pem_preview(m.group(1), m.group(2))
    if len(text) <= keep * 2:
        return f"[{len(text)} chars redacted]"
    return f"{text[:keep]}…[{len(text) - keep} more chars redacted]"


@dataclass(frozen=True)
class SecretFinding:
    layer: int
    path: str
    rule: str
    preview: str


# --- rules over one file --------------------------------------------------------------------------


def _providers(text: str) -> Iterator[tuple[str, str]]:
    if not _PROVIDER_HINT.search(text):
        return
    for rule, pattern, check in _PROVIDERS:
        for m in pattern.finditer(text):
            value = m.group(1)
            if check is None or check(value):
                yield rule, value


def _private_keys(text: str, kind: str | None) -> Iterator[tuple[str, str]]:
    if "PRIVATE KEY" not in text:
        return
    rule = "gcp-service-account" if kind == "config" and '"service_account"' in text else "private-key"
    for m in _PEM.finditer(text):
        if len(re.sub(r"\\[rn]|\s", "", m.group(2))) >= 64:  # a real key, not "-----BEGIN ... KEY-----\n...\n"
            yield rule, m.group(0)


def _url_credentials(text: str) -> Iterator[tuple[str, str]]:
    if "://" not in text:
        return
    for m in _URL_CREDS.finditer(text):
        user, password = m.group(1), m.group(2)
        if password != user and not _is_placeholder(password):
            yield "url-credentials", password


def _unquote(value: str) -> str:
    value = value.split(" #", 1)[0].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
        value = value[1:-1]
    return value


def _dotenv(text: str, rule: str = "dotenv-secret") -> Iterator[tuple[str, str]]:
    for m in _ASSIGNMENT.finditer(text):
        name, value = m.group(1), _unquote(m.group(2))
        if _SECRET_NAME.search(name) and not _NOT_SECRET_NAME.search(name) and not _is_placeholder(value):
            yield rule, value


def _config_pairs(text: str) -> Iterator[tuple[str, str]]:
    for m in _CONFIG_PAIR.finditer(text):
        name = m.group(1)
        value = m.group(2) if m.group(2) is not None else m.group(3) if m.group(3) is not None else m.group(4)
        if _SECRET_NAME.search(name) and not _NOT_SECRET_NAME.search(name) and _looks_random(value):
            yield "config-secret", value


def _code_literals(text: str) -> Iterator[tuple[str, str]]:
    for m in _CODE_LITERAL.finditer(text):
        name = m.group(1)
        value = m.group(2) if m.group(2) is not None else m.group(3)
        if _SECRET_NAME.search(name) and not _NOT_SECRET_NAME.search(name) and _looks_random(value):
            yield "hardcoded-secret", value


def _lines_after(text: str, pattern: str, rule: str, *, placeholders: bool = True) -> Iterator[tuple[str, str]]:
    for m in re.finditer(pattern, text, re.MULTILINE):
        value = _unquote(m.group(1))
        if not (placeholders and _is_placeholder(value)):
            yield rule, value


def _docker_config(text: str) -> Iterator[tuple[str, str]]:
    try:
        doc = json.loads(text)
    except ValueError:
        return
    auths = doc.get("auths") if isinstance(doc, dict) else None
    for entry in (auths or {}).values() if isinstance(auths, dict) else ():
        if not isinstance(entry, dict):
            continue
        for key in ("auth", "identitytoken", "registrytoken", "password"):
            value = entry.get(key)
            if isinstance(value, str) and value and not _is_placeholder(value):
                yield "docker-auth", value


def _structured(kind: str, text: str) -> Iterator[tuple[str, str]]:
    """Rules for files whose name says what they are."""
    if kind == "dotenv":
        yield from _dotenv(text)
    elif kind == "npmrc":
        yield from _lines_after(text, r"^\s*(?:\S*:)?_(?:authToken|auth|password)\s*=\s*(\S+)", "npm-auth-token")
        yield from _lines_after(text, r"^\s*npmAuth(?:Token|Ident)\s*:\s*(\S+)", "npm-auth-token")
    elif kind == "pypirc":
        yield from _lines_after(text, r"^\s*password\s*[=:]\s*(\S+)", "pypirc-password")
    elif kind == "netrc":
        yield from _lines_after(text, r"\bpassword\s+(\S+)", "netrc-password")
    elif kind == "aws-credentials":
        yield from _lines_after(text, r"^\s*aws_secret_access_key\s*=\s*(\S+)", "aws-secret-access-key")
        yield from _lines_after(text, r"^\s*aws_session_token\s*=\s*(\S+)", "aws-session-token")
    elif kind == "docker-config":
        yield from _docker_config(text)
    elif kind == "kube-config":
        yield from _lines_after(text, r"^\s*-?\s*(?:token|client-key-data|password|client-secret|id-token|"
                                      r"refresh-token|access-token)\s*:\s*(\S+)", "kubeconfig-credential")
    elif kind == "htpasswd":
        yield from _lines_after(text, r"^[^:#\s]+:((?:\$(?:apr1|2[aby]|5|6)\$|\{SHA\})\S+)", "htpasswd-hash",
                                placeholders=False)
    elif kind == "pgpass":
        yield from _lines_after(text, r"^[^#:\n]*:[^:\n]*:[^:\n]*:[^:\n]*:(.+)$", "pgpass-password")
    elif kind == "config":
        yield from _config_pairs(text)
    elif kind == "code":
        yield from _code_literals(text)


def scan_contents(path: str, data: bytes) -> list[tuple[str, str]]:
    """(rule, redacted preview) for each secret found in one file's bytes; nothing for a file
    ``file_kind`` says is never read (third-party packages, docs, system trees)."""
    kind = file_kind(path)
    if kind is None:
        return []
    if b"\0" in data[:8192]:
        return []  # binary: keystores and archives are not parsed
    text = data.decode("utf-8", "replace")
    found: list[tuple[str, str]] = []
    seen: set[str] = set()  # one finding per value (AWS_SECRET_ACCESS_KEY=... matches two rules)

    def add(rule: str, value: str) -> None:
        if value not in seen and len(found) < _PER_FILE:
            seen.add(value)
            found.append((rule, redact(value)))

    for rule, value in _private_keys(text, kind):
        add(rule, value)
    for rule, value in _providers(text):
        add(rule, value)
    for rule, value in _structured(kind, text):
        add(rule, value)
    if kind not in ("private-key-file", "key-file", "htpasswd"):
        for rule, value in _url_credentials(text):
            add(rule, value)
    return found


# --- rules over the image config and history ----------------------------------------------------------

_RUN_ARGS = re.compile(r"^\|(\d+) ")
_ARG_LINE = re.compile(r"^ARG ([A-Za-z_][A-Za-z0-9_]*)=(\S+)")
_NAME_VALUE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S*)")
_PAIR_START = re.compile(r"(?:^|(?<=\s))([A-Za-z_][A-Za-z0-9_]*)=")


def _named_secret(name: str, value: str) -> bool:
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET_NAME.search(name) and not _is_placeholder(value)


def _history_pairs(created_by: str) -> Iterator[tuple[str, str, str]]:
    """(kind, name, value) assignments a history line records: build arguments of a RUN, ARG defaults, ENV."""
    text = created_by.strip()
    if text.startswith("/bin/sh -c #(nop) "):
        text = text[len("/bin/sh -c #(nop) "):].strip()
    if text.startswith("RUN "):
        text = text[4:]
    m = _RUN_ARGS.match(text)
    if m:  # BuildKit: "RUN |2 A=x B=with spaces /bin/sh -c ..." records every build argument in scope
        rest = text[m.end():]
        names = list(_PAIR_START.finditer(rest))[:int(m.group(1))]
        for i, name in enumerate(names):
            if i + 1 < len(names):
                value = rest[name.end():names[i + 1].start()].strip()
            else:  # the last value runs to the command; a secret has no spaces
                value = rest[name.end():].split(None, 1)[0] if rest[name.end():].strip() else ""
            yield "ARG", name.group(1), _unquote(value)
        return
    m = _ARG_LINE.match(text)
    if m:
        yield "ARG", m.group(1), _unquote(m.group(2))
    elif text.startswith("ENV "):
        for pair in _NAME_VALUE.finditer(text[4:]):
            yield "ENV", pair.group(1), _unquote(pair.group(2))


def redact_text(text: str | None) -> str | None:
    """``text`` (a history line, an instruction) with every secret the config rules find in it redacted:
    ``RUN |1 GH_TOKEN=ghp_…[36 more chars redacted] /bin/sh -c make``."""
    if not text:
        return text
    values = {v for _, name, v in _history_pairs(text) if _named_secret(name, v)}
    values.update(v for _, v in _providers(text))
    values.update(v for _, v in _url_credentials(text))
    # a value that is a redaction already (the text went through here before) stays as it is
    values = {v for v in values if v and "…[" not in v and "redacted]" not in v}
    if not values:
        return text
    # one pass, longest first: a value inside another, or inside a redaction already made, is not redacted twice
    pattern = re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))
    return pattern.sub(lambda m: redact(m.group(0)), text)


def scan_config(config: Mapping[str, Any], layer_of_history: Mapping[int, int] | None = None,
                last_layer: int = 0) -> list[dict[str, Any]]:
    """Finding rows for secrets in the image config's ``Env`` and in its history.

    Paths name the place: ``(config) Env NAME`` for a variable the image still sets,
    ``(history) ARG NAME`` for a build argument ``docker history`` shows, ``(history) ENV NAME``
    for an overwritten variable, ``(history) RUN`` for a value inside a command. ``layer`` is
    the filesystem layer on top when the instruction ran: ``layer_of_history`` maps a history
    index to the filesystem layer it made (``LayerInfo.history_index``), ``last_layer`` is the top.
    """
    from .image import instruction_of

    runtime = config.get("config") or {}
    env = {}
    for item in runtime.get("Env") or []:
        name, _, value = str(item).partition("=")
        env[name] = value
    history = list(config.get("history") or [])
    hist_layer: list[int] = []
    instructions: dict[int, str] = {}
    if layer_of_history:
        current = 0
        for i in range(len(history)):
            current = layer_of_history.get(i, current)
            hist_layer.append(current)
        instructions = {i: instruction_of(str(h.get("created_by") or "")) for i, h in enumerate(history)}
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(layer: int, path: str, rule: str, value: str, instruction: str | None) -> None:
        if value in seen:
            return
        seen.add(value)
        if instruction:
            instruction = redact_text(instruction.replace(value, redact(value)))
        rows.append({"layer": layer, "path": path, "rule": rule, "instruction": instruction,
                     "deleted_later": False, "visible": True, "preview": redact(value)})

    def first_history(value: str) -> tuple[int, str | None]:
        for i, h in enumerate(history):
            if value in str(h.get("created_by") or ""):
                return (hist_layer[i] if hist_layer else last_layer), instructions.get(i)
        return last_layer, None

    for name, value in env.items():
        hits = [(r, v) for r, v in _providers(value)] + list(_url_credentials(value))
        if not hits and _named_secret(name, value):
            hits = [("env-secret", value)]
        for rule, v in hits:
            layer, instruction = first_history(v)
            add(layer, f"(config) Env {name}", rule, v, instruction or f"ENV {name}=…")
    for i, h in enumerate(history):
        created_by = str(h.get("created_by") or "")
        layer = hist_layer[i] if hist_layer else last_layer
        instruction = instructions.get(i)
        for kind, name, value in _history_pairs(created_by):
            hits = [*_providers(value), *_url_credentials(value)]
            if not hits and _named_secret(name, value):
                hits = [("build-arg-secret" if kind == "ARG" else "env-secret", value)]
            for rule, v in hits:
                add(layer, f"(history) {kind} {name}", rule, v, instruction)
        for rule, value in [*_providers(created_by), *_url_credentials(created_by)]:
            add(layer, "(history) RUN", rule, value, instruction)  # inside a command: curl -u, git clone https://...
    return rows


def find(files: pd.DataFrame, contents: Mapping[tuple[int, str], bytes],
         layers: pd.DataFrame | None = None, config: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Each row is one secret found in one layer's copy of a file, or in the image's config or history.

    Columns: ``layer``, ``path`` (a file, or ``(config) Env NAME`` / ``(history) ARG NAME`` / ...,
    see ``scan_config``), ``rule``, ``instruction`` (of the layer that added it, when ``layers``
    is given), ``deleted_later`` (a later layer hides it - it still ships), ``visible`` (present in
    the final filesystem) and ``preview`` (redacted). ``config``: the image config (``Env``,
    ``history``); without it only files are scanned.
    """
    import pandas as pd  # here, not at the top: ``dockopt analyze`` imports this module without pandas

    rows = []
    visible = {(int(li), p) for li, p in zip(files.loc[files["visible"], "layer"], files.loc[files["visible"], "path"])}
    instructions = {}
    if layers is not None and len(layers):
        instructions = dict(zip(layers["layer"].astype(int), layers["instruction"]))
    for (layer, path), data in sorted(contents.items()):
        for rule, preview in scan_contents(path, data):
            is_visible = (layer, path) in visible
            rows.append({"layer": layer, "path": path, "rule": rule,
                         "instruction": redact_text(instructions.get(layer)),
                         "deleted_later": not is_visible, "visible": is_visible, "preview": preview})
    if config:
        rows.extend(scan_config(config, *_history_layers(layers)))
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def _history_layers(layers: pd.DataFrame | None) -> tuple[dict[int, int], int]:
    """(history index -> filesystem layer, top layer) from a ``dockopt.files``-style layer table."""
    import pandas as pd

    if layers is None or not len(layers):
        return {}, 0
    by_index = {}
    if "history_index" in layers:
        by_index = {int(h): int(li) for li, h in zip(layers["layer"], layers["history_index"]) if pd.notna(h)}
    return by_index, int(layers["layer"].max())
