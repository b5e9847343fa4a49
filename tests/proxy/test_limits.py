"""Rate and concurrency limits: 429 with Retry-After and x-ratelimit-* headers."""

import time

import httpx
import pytest

from tests.proxy.conftest import make_key
from tests.services import require_redis

pytestmark = pytest.mark.django_db(transaction=True)
BODY = {"model": "gpt-test", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture(params=["local", "redis"])
def backend(request, settings):
    settings.REDIS_URL = require_redis() if request.param == "redis" else ""
    return request.param


def post(server, key, body=BODY) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}
    )


def test_token_rpm_limit_answers_429_with_headers(tollgate_server, gpt, alice, account_a, backend):
    key = make_key(account_a, alice, rpm_limit=3)

    responses = [post(tollgate_server, key) for _ in range(4)]

    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[0].headers["x-ratelimit-limit-requests"] == "3"
    assert responses[2].headers["x-ratelimit-remaining-requests"] == "0"
    limited = responses[3]
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["x-ratelimit-remaining-requests"] == "0"
    assert limited.headers["x-ratelimit-reset-requests"].endswith("s")
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert "3 requests per minute for this key" in limited.json()["error"]["message"]


def test_account_rpm_default_applies_to_all_its_keys(
    tollgate_server, gpt, alice, account_a, settings, backend
):
    settings.ACCOUNT_RPM_DEFAULT = 2
    first, second = make_key(account_a, alice), make_key(account_a, alice, name="second")

    statuses = [
        post(tollgate_server, first).status_code,
        post(tollgate_server, second).status_code,
        post(tollgate_server, first).status_code,
    ]

    assert statuses == [200, 200, 429]


def test_concurrency_limit_and_its_slot_is_freed_by_a_disconnect(
    tollgate_server, gpt, upstream, alice, account_a, backend
):
    upstream.chunk_delay_s = 0.3
    upstream.reply = " ".join(["word"] * 40)
    key = make_key(account_a, alice, max_concurrency=1)
    headers = {"authorization": f"Bearer {key}"}

    with httpx.stream(
        "POST",
        f"{tollgate_server.url}/v1/chat/completions",
        json={**BODY, "stream": True},
        headers=headers,
    ) as streaming:
        lines = streaming.iter_lines()  # kept: a collected iterator closes the connection
        next(lines)
        busy = post(tollgate_server, key)
    assert busy.status_code == 429
    assert busy.headers["retry-after"] == "1"

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        response = post(tollgate_server, key)
        if response.status_code == 200:
            break
        time.sleep(0.1)
    assert response.status_code == 200


def test_staff_can_override_an_accounts_rpm(
    tollgate_server, gpt, alice, account_a, settings, backend
):
    settings.ACCOUNT_RPM_DEFAULT = 100
    account_a.rpm_limit = 1
    account_a.save()
    key = make_key(account_a, alice)

    statuses = [post(tollgate_server, key).status_code for _ in range(2)]

    assert statuses == [200, 429]


def test_an_account_rpm_of_zero_means_unlimited(
    tollgate_server, gpt, alice, account_a, settings, backend
):
    settings.ACCOUNT_RPM_DEFAULT = 1
    account_a.rpm_limit = 0
    account_a.save()
    key = make_key(account_a, alice)

    assert [post(tollgate_server, key).status_code for _ in range(3)] == [200, 200, 200]
