# apt-get update in its own step, nothing cleaned: the package lists ship in the image.
FROM debian:bookworm-slim
RUN apt-get update
RUN apt-get install -y --no-install-recommends ca-certificates
