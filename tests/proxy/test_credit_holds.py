"""Prepaid: a call runs only if the credit covers its worst case; the balance never goes below 0."""

import asyncio
import time
from datetime import UTC, datetime

import httpx
import pytest
from django.db.models import Sum

from billing.ledger import find_violations
from billing.models import LedgerEntry
from proxy.models import Model, Price, Provider, Route
from tests.proxy.conftest import fund, make_key, wait_for_records
from tests.services import require_redis
from usage.models import UsageRecord
from usage.settlement import settle_all

pytestmark = pytest.mark.django_db(transaction=True)

OUTPUT_PRICE = 1_000_000_000  # $1,000 per 1M output tokens: $0.001 per token
HOLD = 5 * 1000  # max_tokens=5 at 1000 micro-USD per token; input is free


@pytest.fixture(params=["local", "redis"])
def backend(request, settings):
    if request.param == "redis":
        settings.REDIS_URL = require_redis()
    else:
        settings.REDIS_URL = ""
    return request.param


@pytest.fixture
def pricey(tollgate_server, upstream):
    """A model whose input is free and whose output costs exactly 1000 micro-USD per token."""
    upstream.usage = {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}
    model = Model.objects.create(public_id="pricey", display_name="Pricey", max_output_tokens=1000)
    Price.objects.create(
        model=model,
        input_per_mtok_micros=0,
        output_per_mtok_micros=OUTPUT_PRICE,
        effective_from=datetime(2020, 1, 1, tzinfo=UTC),
    )
    provider = Provider.objects.create(
        name="fake", kind="openai_compatible", base_url=upstream.url + "/v1"
    )
    Route.objects.create(model=model, provider=provider, upstream_model="pricey-up")
    return model


async def fire(url: str, key: str, count: int, body: dict) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        return await asyncio.gather(
            *[
                client.post(
                    f"{url}/v1/chat/completions",
                    json=body,
                    headers={"authorization": f"Bearer {key}"},
                )
                for _ in range(count)
            ]
        )


BODY = {"model": "pricey", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5}


def test_concurrent_calls_never_overspend_the_balance(
    tollgate_server, pricey, alice, account_a, backend
):
    fund(account_a, 50 * HOLD + HOLD // 2)  # pays for 50 calls and a half
    key = make_key(account_a, alice)

    responses = asyncio.run(fire(tollgate_server.url, key, 200, BODY))

    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 50
    assert statuses.count(403) == 150
    wait_for_records(account_a, 50)
    refused = next(r for r in responses if r.status_code == 403).json()["error"]
    assert refused["code"] == "insufficient_quota"
    assert "$0.002500 available" in refused["message"] or "available" in refused["message"]
    settle_all()
    account_a.refresh_from_db()
    assert account_a.balance_micros == HOLD // 2
    assert find_violations() == []
    charged = -LedgerEntry.objects.filter(account=account_a, kind="usage").aggregate(
        s=Sum("amount_micros")
    )["s"]
    assert (
        charged
        == UsageRecord.objects.filter(account=account_a).aggregate(s=Sum("cost_micros"))["s"]
        == 50 * HOLD
    )


def test_a_tokens_spend_limit_is_never_passed(tollgate_server, pricey, alice, account_a, backend):
    fund(account_a, 1_000 * HOLD)
    key = make_key(account_a, alice, spend_limit_micros=10 * HOLD)

    responses = asyncio.run(fire(tollgate_server.url, key, 40, BODY))

    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 10
    refused = next(r for r in responses if r.status_code == 403).json()["error"]
    assert "spend limit" in refused["message"]


def test_the_403_says_how_many_output_tokens_the_balance_affords(
    tollgate_server, pricey, alice, account_a, backend
):
    fund(account_a, 3 * 1000)  # three output tokens
    key = make_key(account_a, alice)

    response = httpx.post(
        f"{tollgate_server.url}/v1/chat/completions",
        json=BODY,
        headers={"authorization": f"Bearer {key}"},
    )

    assert response.status_code == 403
    assert response.headers["x-should-retry"] == "false"
    assert "about 3 output tokens" in response.json()["error"]["message"]


def test_without_a_cap_of_its_own_the_call_is_capped_to_what_the_balance_affords(
    tollgate_server, pricey, upstream, alice, account_a, backend
):
    fund(account_a, 100 * 1000)  # 100 output tokens; the model's maximum is 1000
    key = make_key(account_a, alice)
    body = {"model": "pricey", "messages": [{"role": "user", "content": "Hi"}]}

    response = httpx.post(
        f"{tollgate_server.url}/v1/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {key}"},
    )

    assert response.status_code == 200
    assert upstream.received[-1].json["max_tokens"] == 100


def test_holds_are_released_so_sequential_calls_use_the_whole_balance(
    tollgate_server, pricey, upstream, alice, account_a, backend
):
    upstream.usage = {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8}
    fund(account_a, 4 * HOLD)  # holds of 5 tokens; each call really costs 1 token
    key = make_key(account_a, alice)

    statuses = []
    for _ in range(18):
        response = httpx.post(
            f"{tollgate_server.url}/v1/chat/completions",
            json=BODY,
            headers={"authorization": f"Bearer {key}"},
        )
        statuses.append(response.status_code)
        if response.status_code == 200:  # the hold turns into the charge once it is recorded
            wait_for_records(account_a, statuses.count(200))
            time.sleep(0.05)

    # 20 tokens of credit, a 5-token hold per call and 1 token really charged: 16 calls fit.
    assert statuses == [200] * 16 + [403] * 2
    settle_all()
    account_a.refresh_from_db()
    assert account_a.balance_micros >= 0


def test_redis_flushed_during_load_loses_and_doubles_nothing(
    tollgate_server, pricey, alice, account_a, settings
):
    import redis

    settings.REDIS_URL = require_redis()
    fund(account_a, 1_000 * HOLD)
    key = make_key(account_a, alice)

    async def load() -> list[httpx.Response]:
        first = asyncio.ensure_future(fire(tollgate_server.url, key, 40, BODY))
        await asyncio.sleep(0.05)
        redis.Redis.from_url(settings.REDIS_URL).flushdb()
        second = await fire(tollgate_server.url, key, 40, BODY)
        return (await first) + second

    responses = asyncio.run(load())

    succeeded = sum(r.status_code == 200 for r in responses)
    assert succeeded == 80
    assert wait_for_records(account_a, succeeded) == succeeded
    settle_all()
    settle_all()
    assert find_violations() == []
    charged = -LedgerEntry.objects.filter(account=account_a, kind="usage").aggregate(
        s=Sum("amount_micros")
    )["s"]
    assert charged == succeeded * HOLD


def test_a_messages_call_without_max_tokens_is_capped_to_what_the_balance_affords(
    tollgate_server, pricey, upstream, alice, account_a, backend
):
    fund(account_a, 100 * 1000)  # 100 output tokens; the model's maximum is 1000
    key = make_key(account_a, alice)
    body = {"model": "pricey", "messages": [{"role": "user", "content": "Hi"}]}

    response = httpx.post(
        f"{tollgate_server.url}/v1/messages",
        json=body,
        headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
    )

    assert response.status_code == 200, response.text
    assert upstream.received[-1].json["max_tokens"] == 100
