import pytest

from accounts.models import Account
from billing.ledger import post_entry
from billing.models import LedgerEntry, Purchase, StripeEvent
from tests.billing.conftest import buy, deliver, pay
from tests.fakes.stripe_server import make_event


@pytest.fixture
def paid(client, alice, pack, fake_stripe) -> Purchase:
    purchase = buy(client, alice, pack)
    pay(client, fake_stripe, purchase)
    purchase.refresh_from_db()
    return purchase


def balance(account: Account) -> int:
    account.refresh_from_db()
    return account.balance_micros


def test_a_full_refund_debits_all_the_credits(client, account_a, paid, fake_stripe):
    charge = fake_stripe.refund(paid.stripe_session_id)

    response = deliver(client, make_event("charge.refunded", charge))

    assert response.status_code == 200
    assert balance(account_a) == 0
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_micros) == (Purchase.Status.REFUNDED, 10_000_000)
    assert paid.receipt_url == charge["receipt_url"]
    entry = LedgerEntry.objects.get(kind="refund")
    assert (entry.amount_micros, entry.reference) == (-10_000_000, charge["id"])


def test_partial_refunds_debit_their_share_once_each(client, account_a, paid, fake_stripe):
    first = make_event("charge.refunded", fake_stripe.refund(paid.stripe_session_id, 250))
    deliver(client, first)
    deliver(client, first)  # replayed
    assert balance(account_a) == 7_500_000

    deliver(client, make_event("charge.refunded", fake_stripe.refund(paid.stripe_session_id, 333)))
    assert balance(account_a) == 10_000_000 - 5_830_000

    deliver(client, make_event("charge.refunded", fake_stripe.refund(paid.stripe_session_id)))
    assert balance(account_a) == 0
    paid.refresh_from_db()
    assert paid.status == Purchase.Status.REFUNDED


def test_a_refund_may_leave_a_debt_when_credits_were_spent(client, account_a, paid, fake_stripe):
    post_entry(account_a, -6_000_000, "usage", idempotency_key="usage:1")

    deliver(client, make_event("charge.refunded", fake_stripe.refund(paid.stripe_session_id)))

    assert balance(account_a) == -6_000_000


def test_a_refund_of_an_uncredited_purchase_debits_nothing(
    client, alice, account_a, pack, fake_stripe
):
    purchase = buy(client, alice, pack)
    fake_stripe.complete(purchase.stripe_session_id)
    purchase.stripe_payment_intent_id = fake_stripe.sessions[purchase.stripe_session_id][
        "payment_intent"
    ]
    purchase.save()

    deliver(client, make_event("charge.refunded", fake_stripe.refund(purchase.stripe_session_id)))

    assert balance(account_a) == 0
    assert StripeEvent.objects.get().outcome == "rejected"


def test_a_refund_of_an_unknown_charge_is_ignored(client, account_a, paid):
    charge = {"id": "ch_other", "payment_intent": "pi_other", "amount_refunded": 500}

    deliver(client, make_event("charge.refunded", charge))

    assert balance(account_a) == 10_000_000
    assert StripeEvent.objects.latest("id").outcome == "ignored"


def test_a_dispute_debits_the_credits_and_flags_the_account(client, account_a, paid, fake_stripe):
    dispute = fake_stripe.dispute(paid.stripe_session_id, reason="fraudulent")

    deliver(client, make_event("charge.dispute.created", dispute))
    deliver(client, make_event("charge.dispute.created", dispute))  # another event, same dispute

    assert balance(account_a) == 0
    account_a.refresh_from_db()
    assert account_a.is_flagged
    assert f"Stripe dispute {dispute['id']} (fraudulent)" in account_a.flagged_reason
    assert account_a.flagged_at is not None
    paid.refresh_from_db()
    assert (paid.status, paid.disputed_micros) == (Purchase.Status.DISPUTED, 10_000_000)
    assert LedgerEntry.objects.filter(kind="dispute").count() == 1


def test_refund_and_dispute_together_never_take_back_more_than_was_credited(
    client, account_a, paid, fake_stripe
):
    deliver(client, make_event("charge.refunded", fake_stripe.refund(paid.stripe_session_id, 400)))

    deliver(
        client, make_event("charge.dispute.created", fake_stripe.dispute(paid.stripe_session_id))
    )

    assert balance(account_a) == 0
    assert (
        -sum(
            LedgerEntry.objects.filter(amount_micros__lt=0).values_list("amount_micros", flat=True)
        )
        == 10_000_000
    )
