# The lists removed in a later RUN: hidden from the final filesystem, still in the earlier layer.
FROM debian:bookworm-slim
RUN apt-get update
RUN apt-get install -y --no-install-recommends ca-certificates
RUN rm -rf /var/lib/apt/lists/*
