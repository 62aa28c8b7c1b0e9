"""HEALTHCHECK probe for images without a shell or curl: exits 0 when GET /health answers 200."""

import os
import sys
import urllib.request

try:
    with urllib.request.urlopen(f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:  # noqa: BLE001 - any failure means unhealthy
    sys.exit(1)
