"""``python -m worker``: poll the API for jobs; serve ``/health`` on $HEALTH_PORT (default 8082)."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .core import Worker

logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
worker = Worker(os.environ.get("API_URL", "http://api:8081"), float(os.environ.get("POLL_INTERVAL_S", "1")))


class Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        if self.path != "/health":
            self.send_error(404)
            return
        # Healthy while the polling loop is alive; the API being away is reported, not fatal.
        alive = time.monotonic() - worker.last_loop < 30
        body = json.dumps({"status": "ok" if alive else "stalled", "api_reachable": worker.api_reachable,
                           "processed": worker.processed}).encode()
        self.send_response(200 if alive else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # keep probes out of the log
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("HEALTH_PORT", "8082"))), Health)  # noqa: S104
    threading.Thread(target=server.serve_forever, daemon=True).start()
    logging.info("worker polling %s; health on :%s", worker.api_url, server.server_address[1])
    worker.run_forever()
