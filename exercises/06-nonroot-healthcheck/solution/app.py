"""A visit counter that keeps its log under /app/data: standard library only.

GET /        counts a visit (appends to data/visits.log) and says how many there were
GET /health  200 when the data directory is writable, 503 when it is not
"""

import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(os.environ.get("DATA_DIR", Path(__file__).resolve().parent / "data"))
PORT = int(os.environ.get("PORT", "8000"))


def writable() -> bool:
    try:
        DATA.mkdir(parents=True, exist_ok=True)
        probe = DATA / ".probe"
        probe.write_text("ok")
        probe.unlink()
        return True
    except OSError:
        return False


class Handler(BaseHTTPRequestHandler):
    def send(self, code: int, text: str) -> None:
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.path == "/health":
            if writable():
                self.send(200, "ok\n")
            else:
                self.send(503, f"cannot write to {DATA} as uid {os.getuid()}\n")
        elif self.path == "/":
            with (DATA / "visits.log").open("a") as log:
                log.write("visit\n")
            count = sum(1 for _ in (DATA / "visits.log").open())
            self.send(200, f"visit number {count}\n")
        else:
            self.send(404, "not found\n")

    def log_message(self, fmt: str, *args: object) -> None:
        sys.stderr.write(f"{self.address_string()} {fmt % args}\n")


def main() -> None:
    server = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    signal.signal(signal.SIGTERM, lambda *_: server.shutdown() or sys.exit(0))
    print(f"counter listening on :{PORT}, data in {DATA}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
