"""A small Flask app, the "user's own project" of the project tests (unit and integration): its source
and a helper that writes a folder of files. Each test module keeps its own Dockerfiles, which differ on
purpose (what the context COPY takes decides which file a cache experiment edits)."""

from __future__ import annotations

from pathlib import Path

APP = '''\
import os

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return {"hello": "world"}


@app.get("/healthz")
def health():
    return {"status": "ok"}


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "5000")))
'''


def write(root: Path, files: dict[str, str]) -> Path:
    """``files`` (relative path → text) written under ``root``; returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
