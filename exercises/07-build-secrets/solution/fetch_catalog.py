"""Build step: "download" the licensed product catalog, which needs an API token.

The token is read from the build secret /run/secrets/api_token when the build mounts one, else from
the API_TOKEN environment variable. (Offline stand-in for a private download: it checks the token
has the shape of a GitHub token and writes the catalog the real service would return.)
"""

import hashlib
import json
import os
import re
import sys
from pathlib import Path

SECRET_FILE = Path("/run/secrets/api_token")


def token() -> str:
    if SECRET_FILE.is_file():
        return SECRET_FILE.read_text().strip()
    return os.environ.get("API_TOKEN", "").strip()


def main() -> int:
    value = token()
    if not re.fullmatch(r"ghp_[A-Za-z0-9]{36}", value):
        print("fetch_catalog: no API token (mount the build secret `api_token` or pass API_TOKEN)", file=sys.stderr)
        return 1
    catalog = {
        "licensed_to": hashlib.sha256(value.encode()).hexdigest()[:12],  # who downloaded it, not the token
        "products": [{"sku": "BOX-S", "name": "small box"}, {"sku": "BOX-L", "name": "large box"}],
    }
    Path("catalog.json").write_text(json.dumps(catalog, indent=2))
    print(f"fetch_catalog: {len(catalog['products'])} products")
    return 0


if __name__ == "__main__":
    sys.exit(main())
