"""After the response that shows it, a key is in no page, API response, log line, database
column, session or cache entry."""

import logging
import re

import redis
from asgiref.sync import async_to_sync
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session

from tests.conftest import login
from tokens.lookup import lookup

KEY = re.compile(r"sk-tg-[A-Za-z0-9_-]{43}")


def create_on_the_page(client) -> str:
    page = client.get("/tokens/new/").content.decode()
    once = re.search(r'name="once" value="([^"]+)"', page).group(1)
    response = client.post("/tokens/new/", {"name": "laptop", "once": once})
    return KEY.search(response.content.decode()).group(0)


def everything_stored() -> str:
    """Every column of every row, decoded sessions, and the Redis values, as one string."""
    texts = []
    for model in apps.get_models():
        texts += [repr(row) for row in model._default_manager.values()]
    texts += [repr(session.get_decoded()) for session in Session.objects.all()]
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        texts += [
            repr(client.get(key)) for key in client.scan_iter("*") if client.type(key) == b"string"
        ]
    return "\n".join(texts)


def test_a_key_is_shown_exactly_once(client, alice, caplog):
    caplog.set_level(logging.DEBUG)
    login(client, alice)

    key = create_on_the_page(client)
    token_id = client.get("/api/tokens/").json()[0]["id"]
    assert async_to_sync(lookup)(key) is not None

    for path in [
        "/tokens/",
        f"/tokens/{token_id}/",
        f"/tokens/{token_id}/edit/",
        f"/tokens/{token_id}/rotate/",
        f"/tokens/{token_id}/revoke/",
        "/api/tokens/",
        f"/api/tokens/{token_id}/",
        "/dashboard/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert key not in response.content.decode(), path
    assert key not in everything_stored()
    assert key not in caplog.text
    assert all(key not in str(record.args) for record in caplog.records)


def test_a_key_from_the_api_is_not_kept_either(client, alice, caplog):
    caplog.set_level(logging.DEBUG)
    login(client, alice)

    key = client.post("/api/tokens/", {"name": "ci"}, content_type="application/json").json()["key"]
    async_to_sync(lookup)(key)

    assert key not in client.get("/api/tokens/").content.decode()
    assert key not in everything_stored()
    assert key not in caplog.text
