from worker.core import Worker, process


def test_process_shouts():
    assert process("hi") == "HI!"


def test_step_without_api_reports_unreachable():
    w = Worker("http://127.0.0.1:1", interval_s=0)
    assert w.step() is False
    assert w.api_reachable is False
