"""A Flask service for unit conversions, served by waitress (a production WSGI server, pure Python).

GET /health                200 {"status": "ok"}
GET /convert?km=42.195     {"km": 42.195, "miles": 26.219}
"""

import os

from flask import Flask, jsonify, request
from waitress import serve

app = Flask(__name__)


@app.get("/health")
def health():
    return jsonify(status="ok")


@app.get("/convert")
def convert():
    try:
        km = float(request.args["km"])
    except (KeyError, ValueError):
        return jsonify(error="pass ?km=<number>"), 400
    return jsonify(km=km, miles=round(km / 1.609344, 3))


if __name__ == "__main__":
    serve(app, host="0.0.0.0", port=int(os.environ.get("PORT", "8000")))
