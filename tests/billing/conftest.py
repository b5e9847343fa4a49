"""Billing fixtures: the fake Stripe, a credit pack, webhook delivery, and the ledger check."""

from __future__ import annotations

import pytest

from billing.ledger import find_violations
from billing.models import CreditPack, Purchase
from tests.conftest import login
from tests.fakes.stripe_server import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    event_body,
    make_event,
    running_fake_stripe,
    sign,
)

WEBHOOK_URL = "/billing/stripe/webhook/"


@pytest.fixture(autouse=True)
def _ledger_holds(request):
    """Every billing test ends with balance == sum(entries) for every account."""
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames)
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    assert find_violations() == []


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in the test, even when REDIS_URL gives Celery a broker."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def fake_stripe(settings):
    with running_fake_stripe() as fake:
        settings.STRIPE_SECRET_KEY = SECRET_KEY
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.url
        yield fake


@pytest.fixture
def pack(db) -> CreditPack:
    return CreditPack.objects.create(
        name="Starter", price_cents=1000, currency="usd", credits_micros=10_000_000
    )


def buy(client, user, pack: CreditPack) -> Purchase:
    """Log in as `user`, start a checkout for `pack`, return the purchase it created."""
    response = login(client, user).post("/billing/checkout/", {"pack": pack.pk})
    assert response.status_code == 302, response
    return Purchase.objects.latest("id")


def deliver(client, event: dict, *, secret: str = WEBHOOK_SECRET, timestamp=None, header=None):
    """POST `event` to the webhook signed like Stripe does (or with `header` as the signature)."""
    body = event_body(event)
    signature = sign(body, secret, timestamp) if header is None else header
    extra = {} if signature == "" else {"HTTP_STRIPE_SIGNATURE": signature}
    return client.post(WEBHOOK_URL, data=body, content_type="application/json", **extra)


def pay(client, fake_stripe, purchase: Purchase, **changes):
    """The customer pays and Stripe sends checkout.session.completed; returns the response."""
    session = fake_stripe.complete(purchase.stripe_session_id, **changes)
    return deliver(client, make_event("checkout.session.completed", session))
