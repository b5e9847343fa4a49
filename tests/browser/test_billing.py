import httpx
import pytest

from billing.ledger import find_violations
from billing.models import CreditPack, RedemptionCode
from tests.conftest import PASSWORD
from tests.fakes.stripe_server import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    event_body,
    make_event,
    running_fake_stripe,
    sign,
)

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake_stripe(settings):
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    with running_fake_stripe() as fake:
        settings.STRIPE_SECRET_KEY = SECRET_KEY
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.url
        yield fake
    app.conf.task_always_eager = eager


def test_buy_a_pack_see_the_balance_then_redeem_a_code(page, live_server, alice, fake_stripe):
    CreditPack.objects.create(name="Starter", price_cents=1000, credits_micros=10_000_000)
    RedemptionCode.objects.create(code="WELCOME-5", value_micros=5_000_000)
    log_in(page, alice.email, PASSWORD)

    page.click("nav >> text=Billing")
    page.wait_for_url("**/billing/")
    assert page.get_by_test_id("balance").inner_text() == "$0.00"
    page.click("text=Buy Starter")

    page.wait_for_url(f"{fake_stripe.url}/pay/**")  # the (fake) hosted checkout
    assert page.inner_text("#amount") == "10.00 USD"
    session_id = page.url.rsplit("/", 1)[1]
    page.click("#pay")

    page.wait_for_url("**/billing/purchases/*/")
    assert "Processing your payment" in page.inner_text("main")

    event = make_event("checkout.session.completed", fake_stripe.complete(session_id))
    body = event_body(event)
    response = httpx.post(
        f"{live_server.url}/billing/stripe/webhook/",
        content=body,
        headers={"Stripe-Signature": sign(body), "Content-Type": "application/json"},
    )
    assert response.status_code == 200

    page.get_by_test_id("purchase-paid").wait_for()  # the page refreshes itself
    assert page.get_by_test_id("balance").inner_text() == "$10.00"

    page.click("text=← Billing")
    page.fill("input[name=code]", "welcome-5")
    page.click("form.redeem-form button")
    page.wait_for_selector("text=Code redeemed: $5.00 added.")
    assert page.get_by_test_id("balance").inner_text() == "$15.00"

    page.goto("/billing/purchases/")
    assert page.get_by_test_id("purchase-status").inner_text() == "Paid"
    assert find_violations() == []


def test_cancelling_checkout_comes_back_to_the_cancel_page(page, live_server, alice, fake_stripe):
    CreditPack.objects.create(name="Starter", price_cents=1000, credits_micros=10_000_000)
    log_in(page, alice.email, PASSWORD)

    page.goto("/billing/")
    page.click("text=Buy Starter")
    page.wait_for_url(f"{fake_stripe.url}/pay/**")
    page.click("#cancel")

    page.wait_for_url("**/cancel/")
    assert "Nothing was charged." in page.inner_text("main")
