"""The image audit's pure parts: which exposed ports need a capability, which history lines update
package lists without installing anything."""

from __future__ import annotations

from dockopt.audit import _APT_UPDATE_ALONE, _INSTALL, _privileged_ports


def test_ports_below_1024_need_a_capability_as_non_root():
    assert _privileged_ports(("80/tcp", "443/tcp", "8080/tcp", "53/udp", "1024/tcp")) == ["80/tcp", "443/tcp",
                                                                                            "53/udp"]


def test_an_update_step_alone_is_told_from_update_and_install():
    lines = ["RUN /bin/sh -c apt-get update", "RUN /bin/sh -c apt-get update && apt-get install -y curl",
             "RUN /bin/sh -c apk update", "RUN /bin/sh -c echo updated"]
    alone = [x for x in lines if _APT_UPDATE_ALONE.search(x) and not _INSTALL.search(x)]
    assert alone == ["RUN /bin/sh -c apt-get update", "RUN /bin/sh -c apk update"]
