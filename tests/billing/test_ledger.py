from decimal import Decimal

import pytest

from billing.ledger import IdempotencyConflict, InsufficientBalance, LedgerError, post_entry
from billing.models import LedgerEntry

Kind = LedgerEntry.Kind


def test_post_entry_credits_and_records_balance_after(account_a):
    entry = post_entry(account_a, 5_000_000, Kind.PURCHASE, idempotency_key="k1", reference="cs_1")

    account_a.refresh_from_db()
    assert account_a.balance_micros == 5_000_000
    assert (entry.amount_micros, entry.balance_after_micros) == (5_000_000, 5_000_000)
    assert entry.reference == "cs_1"


def test_post_entry_updates_the_instance_passed_in(account_a):
    post_entry(account_a, 2_000_000, Kind.REDEMPTION, idempotency_key="k1")

    assert account_a.balance_micros == 2_000_000


def test_replaying_a_key_returns_the_same_entry_and_changes_nothing(account_a):
    first = post_entry(account_a, 1_500_000, Kind.PURCHASE, idempotency_key="same")
    again = post_entry(account_a, 1_500_000, Kind.PURCHASE, idempotency_key="same")

    account_a.refresh_from_db()
    assert again.pk == first.pk
    assert account_a.balance_micros == 1_500_000
    assert LedgerEntry.objects.count() == 1


def test_replaying_a_key_with_another_amount_is_refused(account_a):
    post_entry(account_a, 1_500_000, Kind.PURCHASE, idempotency_key="same")

    with pytest.raises(IdempotencyConflict, match="already posted purchase 1500000"):
        post_entry(account_a, 9_000_000, Kind.PURCHASE, idempotency_key="same")


def test_replaying_a_key_on_another_account_is_refused(account_a, account_b):
    post_entry(account_a, 1_500_000, Kind.PURCHASE, idempotency_key="same")

    with pytest.raises(IdempotencyConflict):
        post_entry(account_b, 1_500_000, Kind.PURCHASE, idempotency_key="same")
    assert account_b.balance_micros == 0


def test_a_100000_usd_purchase_fits(account_a):
    hundred_thousand_usd = 100_000 * 1_000_000

    post_entry(account_a, hundred_thousand_usd, Kind.PURCHASE, idempotency_key="big")
    post_entry(account_a, hundred_thousand_usd, Kind.PURCHASE, idempotency_key="big2")

    account_a.refresh_from_db()
    assert account_a.balance_micros == 200_000_000_000  # above 2**31 micro-USD many times over
    assert LedgerEntry.objects.get(idempotency_key="big2").balance_after_micros == 2 * 10**11


@pytest.mark.parametrize("amount", [1.5, Decimal("1.5"), True, "100"])
def test_amounts_that_are_not_int_are_refused(account_a, amount):
    with pytest.raises(TypeError, match="amount_micros must be an int"):
        post_entry(account_a, amount, Kind.ADJUSTMENT, idempotency_key="k")


@pytest.mark.parametrize(
    ("kind", "amount", "message"),
    [
        (Kind.PURCHASE, -1, "must be positive"),
        (Kind.REDEMPTION, 0, "must be positive"),
        (Kind.REFUND, 5, "must be negative"),
        (Kind.DISPUTE, 0, "must be negative"),
        (Kind.USAGE, 1, "usage entry cannot be positive"),
        (Kind.ADJUSTMENT, 0, "adjustment of zero"),
    ],
)
def test_wrong_signs_are_refused(account_a, kind, amount, message):
    with pytest.raises(ValueError, match=message):
        post_entry(account_a, amount, kind, idempotency_key="k")
    assert LedgerEntry.objects.count() == 0


def test_unknown_kinds_and_missing_keys_are_refused(account_a):
    with pytest.raises(ValueError):
        post_entry(account_a, 1, "gift", idempotency_key="k")
    with pytest.raises(ValueError, match="idempotency_key is required"):
        post_entry(account_a, 1, Kind.PURCHASE, idempotency_key="")


def test_a_free_usage_batch_posts_a_zero_entry(account_a):
    entry = post_entry(account_a, 0, Kind.USAGE, idempotency_key="usage:batch-1")

    assert entry.balance_after_micros == 0


def test_an_adjustment_may_not_go_below_zero(account_a):
    post_entry(account_a, 1_000_000, Kind.ADJUSTMENT, idempotency_key="k1")

    with pytest.raises(InsufficientBalance, match="would leave -1000000"):
        post_entry(account_a, -2_000_000, Kind.ADJUSTMENT, idempotency_key="k2")

    account_a.refresh_from_db()
    assert account_a.balance_micros == 1_000_000
    assert not LedgerEntry.objects.filter(idempotency_key="k2").exists()


def test_an_adjustment_may_go_below_zero_when_allowed(account_a):
    post_entry(account_a, -2_000_000, Kind.ADJUSTMENT, idempotency_key="k", allow_negative=True)

    account_a.refresh_from_db()
    assert account_a.balance_micros == -2_000_000


@pytest.mark.parametrize("kind", [Kind.USAGE, Kind.REFUND, Kind.DISPUTE])
def test_usage_refunds_and_disputes_may_leave_a_debt(account_a, kind):
    post_entry(account_a, 1_000_000, Kind.PURCHASE, idempotency_key="k1")

    post_entry(account_a, -3_000_000, kind, idempotency_key="k2")

    account_a.refresh_from_db()
    assert account_a.balance_micros == -2_000_000


def test_a_balance_beyond_64_bits_is_refused(account_a):
    post_entry(account_a, 2**62, Kind.ADJUSTMENT, idempotency_key="k1")

    with pytest.raises(LedgerError, match="64 bits"):
        post_entry(account_a, 2**62, Kind.ADJUSTMENT, idempotency_key="k2")


def test_entries_cannot_be_changed_or_deleted(account_a):
    entry = post_entry(account_a, 1_000_000, Kind.PURCHASE, idempotency_key="k1")

    entry.amount_micros = 5
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
