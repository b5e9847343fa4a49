import pytest

from tests.services import require_redis


def test_healthz_answers_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_when_the_database_answers(client, db):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_checks_real_redis_when_configured(client, db, settings):
    settings.REDIS_URL = require_redis()

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_answers_503_naming_redis_when_it_is_down(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"] == {"database": "ok", "redis": "failed"}
    assert "redis" in body["errors"]


def test_readyz_answers_503_naming_the_database_when_it_fails(client, db, monkeypatch):
    from config import health

    monkeypatch.setattr(health, "check_database", lambda: "OperationalError: connection refused")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "failed"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_reject_post(client, db, path):
    assert client.post(path).status_code == 405
