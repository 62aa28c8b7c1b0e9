# The guide's Python recipe (chapter 5), written for sample_apps/python-fastapi (the build
# context): `pip install --user` in a slim builder, /root/.local copied into a slim runtime.
# Kept: the same slim image in both stages, root (the packages live in root's home), no
# HEALTHCHECK. Adapted: python:3.11-slim-bookworm is the stand-in for the guide's
# python:3.11-slim (upstream, the same image); the guide's listing copies no application code into
# the runtime, so `COPY . .` adds it, and the app starts with `python -m app` (this sample has no
# app.py).
FROM python:3.11-slim-bookworm AS builder
WORKDIR /app
COPY requirements.txt .
RUN pip install --user -r requirements.txt

FROM python:3.11-slim-bookworm
WORKDIR /app
COPY --from=builder /root/.local /root/.local
COPY . .
ENV PATH=/root/.local/bin:$PATH
EXPOSE 8000
CMD ["python", "-m", "app"]
