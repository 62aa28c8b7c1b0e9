# The runtime copies the build output from stage 0, by number.
FROM busybox:1.35 AS builder
RUN mkdir -p /out && echo "app build 1.4.2" > /out/version.txt

FROM busybox:1.35
COPY --from=0 /out/version.txt /srv/version.txt
