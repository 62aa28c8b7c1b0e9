"""Serves the product catalog the build downloaded: standard library only.

GET /health    200 when catalog.json was built into the image
GET /products  the catalog
"""

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CATALOG = Path(__file__).resolve().parent / "catalog.json"
PORT = int(os.environ.get("PORT", "8000"))


class Handler(BaseHTTPRequestHandler):
    def send(self, code: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.path == "/health":
            ok = CATALOG.is_file()
            self.send(200 if ok else 503, b"ok\n" if ok else b"no catalog\n", "text/plain")
        elif self.path == "/products":
            self.send(200, json.dumps(json.loads(CATALOG.read_text())["products"]).encode())
        else:
            self.send(404, b"not found\n", "text/plain")


def main() -> None:
    server = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    signal.signal(signal.SIGTERM, lambda *_: server.shutdown() or sys.exit(0))
    print(f"catalog listening on :{PORT}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
