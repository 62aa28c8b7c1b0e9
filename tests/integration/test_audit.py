"""The image audit on two tiny real images over busybox: one that breaks every check it can, one that
passes them. Built in the session namespace with its label (removed with the session)."""

from __future__ import annotations

from dockopt import naming
from dockopt.audit import AUDIT_COLUMNS, image_audit
from dockopt.build import build

CARELESS = """FROM busybox:1.35
ADD notes.txt /srv/notes.txt
RUN echo apt-get update > /dev/null
RUN mkdir -p /usr/local/bin && cp /bin/busybox /usr/local/bin/su-helper && chmod u+s /usr/local/bin/su-helper \\
 && mkdir -p /srv/uploads && chmod 777 /srv/uploads
ENV API_TOKEN=tok_Q3v9XbL2mZ8rT6kP1wYc4NfA7sD0hJ5uE
EXPOSE 80
CMD ["httpd", "-f", "-p", "80"]
"""
CAREFUL = """FROM scratch
COPY --chown=65532:65532 busybox /busybox
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=5s CMD ["/busybox", "true"]
ENTRYPOINT ["/busybox", "httpd", "-f", "-p", "8080"]
"""


def _build(context, name: str, text: str) -> str:
    (context / f"{name}.Dockerfile").write_text(text)
    return build(context, dockerfile=context / f"{name}.Dockerfile", tag=f"{naming.namespace()}/audit:{name}",
                 labels=naming.image_labels("experiment"), progress=False).ref


def test_a_careless_image_fails_and_a_careful_one_passes(docker_engine, busybox_context):
    (busybox_context / "notes.txt").write_text("hello\n")
    careless = image_audit(_build(busybox_context, "careless", CARELESS)).set_index("check")
    careful = image_audit(_build(busybox_context, "careful", CAREFUL)).set_index("check")
    assert list(careless.reset_index().columns) == AUDIT_COLUMNS
    failed = set(careless.index[~careless["passed"]])
    assert {"runs as a non-root user", "HEALTHCHECK defined", "no update-only package step",
            "no setuid/setgid files", "COPY rather than ADD", "no secrets in layers, config or history",
            "no privileged port (needs a capability as non-root)", "no world-writable directory outside the temp dirs",
            "no shell"} <= failed
    assert "/usr/local/bin/su-helper" in careless.loc["no setuid/setgid files", "detail"]
    assert "/srv/uploads" in careless.loc["no world-writable directory outside the temp dirs", "detail"]
    assert careless.loc["no privileged port (needs a capability as non-root)", "detail"] == "80/tcp"
    assert careful["passed"].all(), careful[~careful["passed"]]
