# Someone inserts a docs stage above the builder; COPY --from=0 now reads the docs stage.
FROM busybox:1.35 AS docs
RUN mkdir -p /out && echo "docs preview" > /out/version.txt

FROM busybox:1.35 AS builder
RUN mkdir -p /out && echo "app build 1.4.2" > /out/version.txt

FROM busybox:1.35
COPY --from=0 /out/version.txt /srv/version.txt
