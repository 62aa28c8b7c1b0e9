"""HEALTHCHECK without curl: ``python3 -m worker.healthcheck`` exits 0 when /health answers 200."""

import os
import sys
import urllib.request

try:
    with urllib.request.urlopen(f"http://127.0.0.1:{os.environ.get('HEALTH_PORT', '8082')}/health", timeout=2) as r:  # noqa: S310
        sys.exit(0 if r.status == 200 else 1)
except OSError:
    sys.exit(1)
