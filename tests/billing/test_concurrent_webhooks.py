"""Duplicates delivered at the same moment, from threads, each with its own database connection."""

import threading

import pytest
from django.db import connection
from django.test import Client

from billing.ledger import post_entry
from billing.models import LedgerEntry, Purchase, StripeEvent
from tests.billing.conftest import deliver
from tests.fakes.stripe_server import make_event
from tests.services import require_postgres

pytestmark = pytest.mark.needs_postgres


def run_in_threads(count: int, work) -> list:
    """Start `count` threads that call `work()` together; return what each returned or raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except Exception as exc:  # reported to the test below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_the_same_event_five_times_at_once_credits_once(transactional_db, alice, pack, fake_stripe):
    require_postgres()
    from tests.billing.conftest import buy

    purchase = buy(Client(), alice, pack)
    event = make_event(
        "checkout.session.completed", fake_stripe.complete(purchase.stripe_session_id)
    )

    responses = run_in_threads(5, lambda: deliver(Client(), event))

    assert [getattr(r, "status_code", r) for r in responses] == [200] * 5
    assert sorted(r.json()["duplicate"] for r in responses) == [False, True, True, True, True]
    alice.personal_account.refresh_from_db()
    assert alice.personal_account.balance_micros == 10_000_000
    assert StripeEvent.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert Purchase.objects.get().status == Purchase.Status.PAID


def test_concurrent_entries_on_one_account_all_count(transactional_db, account_a):
    require_postgres()
    keys = iter(range(1000))
    lock = threading.Lock()

    def credit():
        with lock:
            key = next(keys)
        return post_entry(account_a, 1_000_000, "adjustment", idempotency_key=f"k{key}")

    results = run_in_threads(8, credit)

    assert all(isinstance(r, LedgerEntry) for r in results), results
    account_a.refresh_from_db()
    assert account_a.balance_micros == 8_000_000
    afters = sorted(LedgerEntry.objects.values_list("balance_after_micros", flat=True))
    assert afters == [i * 1_000_000 for i in range(1, 9)]
