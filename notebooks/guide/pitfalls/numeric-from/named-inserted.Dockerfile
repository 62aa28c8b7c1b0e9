# The same docs stage inserted; the name still points at the builder.
FROM busybox:1.35 AS docs
RUN mkdir -p /out && echo "docs preview" > /out/version.txt

FROM busybox:1.35 AS builder
RUN mkdir -p /out && echo "app build 1.4.2" > /out/version.txt

FROM busybox:1.35
COPY --from=builder /out/version.txt /srv/version.txt
