from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_health():
    resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"


def test_tasks_roundtrip_and_validation():
    created = client.post("/tasks", json={"title": "ship it"})
    assert created.status_code == 201
    assert client.get(f"/tasks/{created.json()['id']}").json()["title"] == "ship it"
    assert client.post("/tasks", json={"title": ""}).status_code == 422
    assert client.get("/tasks/999").status_code == 404


def test_healthcheck_fails_without_server(monkeypatch):
    from app import healthcheck

    monkeypatch.setenv("PORT", "1")
    assert healthcheck.main() == 1
