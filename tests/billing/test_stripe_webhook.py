import logging
import time

import pytest

from accounts.models import Account
from billing.models import LedgerEntry, Purchase, StripeEvent
from tests.billing.conftest import WEBHOOK_URL, buy, deliver, pay
from tests.fakes.stripe_server import make_event


@pytest.fixture
def purchase(client, alice, pack, fake_stripe) -> Purchase:
    return buy(client, alice, pack)


def balance(account: Account) -> int:
    account.refresh_from_db()
    return account.balance_micros


def test_a_paid_session_credits_the_account(client, account_a, purchase, fake_stripe):
    response = pay(client, fake_stripe, purchase)

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False, "outcome": "processed"}
    assert balance(account_a) == 10_000_000
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.PAID
    assert purchase.stripe_payment_intent_id.startswith("pi_")
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.reference) == ("purchase", purchase.stripe_session_id)


def test_the_same_event_five_times_credits_once(client, account_a, purchase, fake_stripe):
    session = fake_stripe.complete(purchase.stripe_session_id)
    event = make_event("checkout.session.completed", session)

    responses = [deliver(client, event) for _ in range(5)]

    assert [r.status_code for r in responses] == [200] * 5
    assert [r.json()["duplicate"] for r in responses] == [False, True, True, True, True]
    assert balance(account_a) == 10_000_000
    assert StripeEvent.objects.count() == 1


def test_two_events_about_one_payment_credit_once(client, account_a, purchase, fake_stripe):
    session = fake_stripe.complete(purchase.stripe_session_id)

    deliver(client, make_event("checkout.session.completed", session))
    deliver(client, make_event("checkout.session.async_payment_succeeded", session))

    assert balance(account_a) == 10_000_000
    assert StripeEvent.objects.count() == 2


def test_a_delayed_payment_is_credited_when_it_succeeds(client, account_a, purchase, fake_stripe):
    pending = fake_stripe.complete(purchase.stripe_session_id, payment_status="unpaid")
    deliver(client, make_event("checkout.session.completed", pending))
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.PROCESSING
    assert balance(account_a) == 0

    paid = fake_stripe.complete(purchase.stripe_session_id, payment_status="paid")
    deliver(client, make_event("checkout.session.async_payment_succeeded", paid))

    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.PAID
    assert balance(account_a) == 10_000_000


def test_a_failed_delayed_payment_credits_nothing(client, account_a, purchase, fake_stripe):
    session = fake_stripe.complete(purchase.stripe_session_id, payment_status="unpaid")
    deliver(client, make_event("checkout.session.completed", session))

    deliver(client, make_event("checkout.session.async_payment_failed", session))

    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.FAILED
    assert balance(account_a) == 0


def test_an_expired_session_marks_the_purchase_expired(client, purchase, fake_stripe):
    session = dict(fake_stripe.sessions[purchase.stripe_session_id], status="expired")

    deliver(client, make_event("checkout.session.expired", session))

    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.EXPIRED


def test_an_amount_mismatch_is_not_credited_and_is_logged_for_staff(
    client, account_a, purchase, fake_stripe, caplog
):
    caplog.set_level(logging.WARNING, logger="billing")

    response = pay(client, fake_stripe, purchase, amount_total=100)

    assert response.status_code == 200
    assert balance(account_a) == 0
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.REVIEW
    assert "amount_total 100 != 1000" in purchase.note
    event = StripeEvent.objects.get()
    assert (event.outcome, event.note) == ("rejected", "amount_total 100 != 1000")
    assert "amount_total 100 != 1000" in caplog.text


@pytest.mark.parametrize(
    ("changes", "note"),
    [
        ({"currency": "eur"}, "currency 'eur' != 'usd'"),
        ({"payment_status": "no_payment_required"}, "payment_status 'no_payment_required'"),
    ],
)
def test_other_mismatches_are_not_credited(client, account_a, purchase, fake_stripe, changes, note):
    pay(client, fake_stripe, purchase, **changes)

    assert balance(account_a) == 0
    assert note in StripeEvent.objects.get().note


def test_a_session_naming_another_account_is_not_credited(
    client, account_a, account_b, purchase, fake_stripe
):
    session = fake_stripe.complete(purchase.stripe_session_id)
    session["metadata"]["account_id"] = str(account_b.pk)

    deliver(client, make_event("checkout.session.completed", session))

    assert balance(account_a) == balance(account_b) == 0
    assert "is not the purchase's" in StripeEvent.objects.get().note


def test_a_session_we_did_not_create_for_the_purchase_is_not_credited(
    client, account_a, purchase, fake_stripe
):
    session = fake_stripe.complete(purchase.stripe_session_id)
    session["id"] = "cs_test_someone_elses"

    deliver(client, make_event("checkout.session.completed", session))

    assert balance(account_a) == 0
    assert StripeEvent.objects.get().outcome == "rejected"
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.OPEN


def test_sessions_of_other_products_are_ignored(client, db, fake_stripe):
    session = {"id": "cs_other", "object": "checkout.session", "metadata": {}}

    response = deliver(client, make_event("checkout.session.completed", session))

    assert response.status_code == 200
    assert StripeEvent.objects.get().outcome == "ignored"


def test_unhandled_event_types_are_recorded_as_ignored(client, db, fake_stripe):
    response = deliver(client, make_event("customer.created", {"id": "cus_1"}))

    assert response.json()["outcome"] == "ignored"


def test_the_receipt_is_fetched_after_the_credit(
    client, purchase, fake_stripe, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pay(client, fake_stripe, purchase)

    purchase.refresh_from_db()
    charge = fake_stripe.charge_of(purchase.stripe_session_id)
    assert purchase.stripe_charge_id == charge["id"]
    assert purchase.receipt_url == charge["receipt_url"]
    last = fake_stripe.requests[-1]
    assert (last.method, last.path) == ("GET", f"/v1/payment_intents/{charge['payment_intent']}")


def test_a_receipt_that_cannot_be_fetched_leaves_the_credit(
    client, account_a, purchase, fake_stripe, django_capture_on_commit_callbacks
):
    fake_stripe.complete(purchase.stripe_session_id)
    fake_stripe.fail_next(404, "No such payment_intent")

    with django_capture_on_commit_callbacks(execute=True):
        # the failure is queued first, so it hits the receipt fetch, not the event
        deliver(
            client,
            make_event(
                "checkout.session.completed", fake_stripe.sessions[purchase.stripe_session_id]
            ),
        )

    purchase.refresh_from_db()
    assert purchase.receipt_url == ""
    assert balance(account_a) == 10_000_000


# Signatures: bad, stale or missing -> 400 and nothing changes.


def signed_completion(fake_stripe, purchase) -> dict:
    return make_event(
        "checkout.session.completed", fake_stripe.complete(purchase.stripe_session_id)
    )


def assert_nothing_changed(account_a, purchase) -> None:
    assert balance(account_a) == 0
    assert not StripeEvent.objects.exists()
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.OPEN


def test_a_forged_signature_is_refused(client, account_a, purchase, fake_stripe):
    event = signed_completion(fake_stripe, purchase)

    response = deliver(client, event, secret="whsec_guessed")

    assert response.status_code == 400
    assert_nothing_changed(account_a, purchase)


def test_a_tampered_body_is_refused(client, account_a, purchase, fake_stripe):
    event = signed_completion(fake_stripe, purchase)
    from tests.fakes.stripe_server import event_body, sign

    header = sign(event_body(event))
    event["data"]["object"]["amount_total"] = 1

    response = deliver(client, event, header=header)

    assert response.status_code == 400
    assert_nothing_changed(account_a, purchase)


def test_a_stale_timestamp_is_refused(client, account_a, purchase, fake_stripe):
    event = signed_completion(fake_stripe, purchase)

    response = deliver(client, event, timestamp=int(time.time()) - 301)

    assert response.status_code == 400
    assert_nothing_changed(account_a, purchase)


@pytest.mark.parametrize("header", ["", "garbage", "t=notanumber,v1=abc", "t=1700000000"])
def test_a_missing_or_malformed_signature_is_refused(
    client, account_a, purchase, fake_stripe, header
):
    response = deliver(client, signed_completion(fake_stripe, purchase), header=header)

    assert response.status_code == 400
    assert_nothing_changed(account_a, purchase)


def test_without_a_webhook_secret_every_event_is_refused(
    client, account_a, purchase, fake_stripe, settings
):
    event = signed_completion(fake_stripe, purchase)
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = deliver(client, event, secret="")

    assert response.status_code == 400
    assert_nothing_changed(account_a, purchase)


def test_a_signed_body_that_is_not_an_event_is_refused(client, db, fake_stripe):
    from tests.fakes.stripe_server import sign

    response = client.post(
        WEBHOOK_URL,
        data="[1, 2]",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign("[1, 2]"),
    )

    assert response.status_code == 400


def test_the_webhook_rejects_get(client, db):
    assert client.get(WEBHOOK_URL).status_code == 405
