"""`dockopt doctor` on the real engine: every check answers, and the main job can run here."""

from __future__ import annotations

import json

from dockopt import doctor
from dockopt.cli import main


def test_doctor_finds_the_engine_buildkit_and_the_catalog(capsys):
    diagnosis = doctor.diagnose(network=False)
    checks = {c.name: c for c in diagnosis.checks}
    assert checks["engine"].status == "ok" and "API 1." in checks["engine"].found
    assert checks["BuildKit"].status == "ok"
    assert "storage driver" in checks["storage"].found
    assert "references" in checks["base images"].found
    assert diagnosis.ready
    assert main(["doctor", "--offline", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ready"] is True
