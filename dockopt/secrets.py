"""Secrets left in image layers - including files a later layer deleted (they still ship).

Reads only small candidate files while the image streams (``capture_policy``), then matches
rules over their contents. Findings carry a redacted preview only: a secret is never returned,
printed or logged in full.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# Names that are secrets by themselves (read up to 256 KiB).
_NAME_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ssh-private-key-file", re.compile(r"^id_(rsa|dsa|ecdsa|ed25519)$")),
    ("dotenv-file", re.compile(r"^\.env(\..+)?$|^.+\.env$")),
    ("npmrc", re.compile(r"^\.npmrc$")),
    ("pypirc", re.compile(r"^\.pypirc$")),
    ("netrc", re.compile(r"^\.netrc$|^_netrc$")),
    ("git-credentials", re.compile(r"^\.git-credentials$")),
    ("aws-credentials-file", re.compile(r"^credentials$")),
    ("docker-config", re.compile(r"^config\.json$")),
    ("key-file", re.compile(r".+\.(pem|key|p8|ppk|jks|keystore|pfx|p12)$")),
    ("htpasswd", re.compile(r"^\.htpasswd$")),
)
_NAME_CAP = 256 * 1024
_CONTENT_CAP = 32 * 1024
# Where people put application files; system trees (/usr/share, /usr/lib, ...) are not read
# unless a name rule asks (distribution files do ship test keys, e.g. in python's test suite).
_APP_DIRS = ("/root/", "/home/", "/app/", "/srv/", "/opt/", "/workspace/", "/usr/src/", "/tmp/", "/var/www/",
             "/code/", "/src/", "/etc/")
_SKIP_DIRS = ("/etc/ssl/", "/usr/share/ca-certificates/", "/etc/ca-certificates/", "/usr/lib/", "/usr/share/",
              "/lib/", "/usr/include/", "/usr/local/lib/python", "/proc/", "/sys/")
_TEXTY = re.compile(r"\.(txt|cfg|conf|ini|json|ya?ml|toml|properties|sh|py|js|ts|rb|php|xml|tfvars|config)$|^[^.]+$")

# Content rules: (rule, pattern, group holding the secret value).
_CONTENT_RULES: tuple[tuple[str, re.Pattern[bytes], int], ...] = (
    ("private-key", re.compile(rb"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----"
                               rb"([\s\S]{16,}?)-----END"), 2),
    ("aws-access-key-id", re.compile(rb"\b((?:AKIA|ASIA)[0-9A-Z]{16})\b"), 1),
    ("aws-secret-access-key", re.compile(rb"(?i)aws_secret_access_key\s*[=:]\s*[\"']?([A-Za-z0-9/+=]{40})"), 1),
    ("github-token", re.compile(rb"\b(gh[pousr]_[A-Za-z0-9]{36,255})\b"), 1),
    ("gitlab-token", re.compile(rb"\b(glpat-[A-Za-z0-9_\-]{20,})\b"), 1),
    ("slack-token", re.compile(rb"\b(xox[baprs]-[A-Za-z0-9-]{10,})\b"), 1),
    ("google-api-key", re.compile(rb"\b(AIza[0-9A-Za-z_\-]{35})\b"), 1),
    ("stripe-live-key", re.compile(rb"\b((?:sk|rk)_live_[0-9A-Za-z]{16,})\b"), 1),
    ("npm-auth-token", re.compile(rb"(?m)^\s*(?://[^\s]*:)?_(?:authToken|auth|password)\s*=\s*(\S+)"), 1),
    ("pypirc-password", re.compile(rb"(?m)^\s*password\s*[=:]\s*(\S+)"), 1),
    ("netrc-password", re.compile(rb"(?m)\bpassword\s+(\S+)"), 1),
    ("url-credentials", re.compile(rb"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:([^\s@/]{3,})@[^\s]+"), 1),
    ("dotenv-secret", re.compile(rb"(?mi)^\s*(?:export\s+)?[A-Z0-9_]*(?:SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|APIKEY|"
                                 rb"PRIVATE_KEY|ACCESS_KEY)[A-Z0-9_]*\s*=\s*[\"']?([^\s\"'#]{4,})"), 1),
    ("docker-auth", re.compile(rb"\"auth\"\s*:\s*\"([A-Za-z0-9+/=]{8,})\""), 1),
)
# Rules only trusted in files whose name says what they are (a "password x" in any text is noise).
_RULES_FOR_NAME = {"pypirc-password": "pypirc", "netrc-password": "netrc", "docker-auth": "docker-config",
                   "npm-auth-token": "npmrc"}

FINDING_COLUMNS = ["layer", "path", "rule", "instruction", "deleted_later", "visible", "preview"]


def name_rule(path: str) -> str | None:
    """The name rule a path matches (``id_rsa`` → ssh-private-key-file), else None."""
    base = posixpath.basename(path)
    for rule, pattern in _NAME_RULES:
        if pattern.match(base):
            if rule == "aws-credentials-file" and not path.endswith("/.aws/credentials"):
                continue
            if rule == "docker-config" and not path.endswith("/.docker/config.json"):
                continue
            if rule == "key-file" and path.startswith(("/etc/ssl/certs/", "/usr/share/")):
                continue
            return rule
    return None


def capture_policy(path: str, size: int, mode: int) -> int:
    """How many bytes of a file the secrets scan needs (0: none); see ``dockopt.image.CapturePolicy``."""
    if name_rule(path):
        return _NAME_CAP
    if size <= _CONTENT_CAP and (path.count("/") == 1 or path.startswith(_APP_DIRS)) \
            and not path.startswith(_SKIP_DIRS) and _TEXTY.search(posixpath.basename(path)):
        return _CONTENT_CAP
    return 0


def redact(value: bytes | str, *, keep: int = 4) -> str:
    """``AKIA…[16 more chars]``: enough to recognise which secret it is, never enough to use it."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    text = text.strip()
    if len(text) <= keep * 2:
        return f"[{len(text)} chars redacted]"
    return f"{text[:keep]}…[{len(text) - keep} more chars redacted]"


@dataclass(frozen=True)
class SecretFinding:
    layer: int
    path: str
    rule: str
    preview: str


def scan_contents(path: str, data: bytes) -> list[tuple[str, str]]:
    """(rule, redacted preview) for each secret found in one file's bytes."""
    found: list[tuple[str, str]] = []
    values: set[bytes] = set()  # one finding per secret value (AWS_ACCESS_KEY_ID=AKIA... matches two rules)
    by_name = name_rule(path)
    for rule, pattern, group in _CONTENT_RULES:
        need = _RULES_FOR_NAME.get(rule)
        if need and by_name != need:
            continue
        for m in pattern.finditer(data):
            value = m.group(group)
            if value in values:
                continue
            values.add(value)
            if rule == "private-key":
                kind = m.group(1).decode("ascii", "replace")
                found.append((rule, f"-----BEGIN {kind}----- [{len(value)} bytes redacted]"))
            else:
                found.append((rule, redact(value)))
            break  # one finding per rule per file is enough to act on
    if not found and by_name in ("ssh-private-key-file", "key-file") and b"PRIVATE KEY" in data:
        found.append(("private-key", f"[{len(data)} bytes redacted]"))
    return found


def find(files: pd.DataFrame, contents: Mapping[tuple[int, str], bytes],
         layers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each row is one secret found in one layer's copy of a file.

    Columns: ``layer``, ``path``, ``rule``, ``instruction`` (of the layer that added it, when
    ``layers`` is given), ``deleted_later`` (a later layer hides it - it still ships),
    ``visible`` (present in the final filesystem) and ``preview`` (redacted).
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
            rows.append({"layer": layer, "path": path, "rule": rule, "instruction": instructions.get(layer),
                         "deleted_later": not is_visible, "visible": is_visible, "preview": preview})
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)
