from django.utils import timezone

from accounts.models import Account
from billing.models import CreditPack, LedgerEntry, Purchase
from tests.conftest import login
from tests.usage.conftest import make_record


def test_it_works(client, staff, account_a, account_b):
    make_record(account_a, model="gpt-a", provider="openai", cost_micros=3_000_000)
    make_record(account_b, model="gpt-a", provider="azure", cost_micros=1_000_000, status_code=502)
    pack = CreditPack.objects.create(name="Ten", price_cents=1000, credits_micros=10_000_000)
    Purchase.objects.create(
        account=account_a,
        pack=pack,
        amount_cents=1000,
        currency="usd",
        credits_micros=10_000_000,
        status=Purchase.Status.PAID,
        paid_at=timezone.now(),
    )
    LedgerEntry.objects.create(
        account=account_a,
        kind="purchase",
        amount_micros=10_000_000,
        balance_after_micros=10_000_000,
        idempotency_key="k1",
    )
    Account.objects.filter(pk=account_b.pk).update(
        flagged_reason="Stripe dispute dp_1", flagged_at=timezone.now()
    )

    response = login(client, staff).get("/usage/staff/")

    assert response.status_code == 200
    overview = response.context["overview"]
    assert overview.total.cost_micros == 4_000_000
    assert [row.label for row in overview.by_model] == ["gpt-a · openai", "gpt-a · azure"]
    assert [row.label for row in overview.top_accounts] == [account_a.name, account_b.name]
    assert [(r.totals.requests, r.totals.errors) for r in overview.by_route] == [(1, 0), (1, 1)]
    assert [r.amount_display for r in overview.revenue] == ["$10.00"]
    assert [(r["kind"], r["amount_micros"]) for r in overview.ledger] == [("purchase", 10_000_000)]
    assert [a.id for a in overview.flagged] == [account_b.id]
    page = response.content.decode()
    assert "Stripe dispute dp_1" in page
    assert 'data-testid="staff-spend">$4.00<' in page
    assert "the rollup task has not run" in page


def test_members_and_owners_who_are_not_staff_get_404(client, alice, bob, account_a):
    assert login(client, alice).get("/usage/staff/").status_code == 404
    assert login(client, bob, account_a).get("/usage/staff/").status_code == 404


def test_it_rejects_post(client, staff):
    assert login(client, staff).post("/usage/staff/").status_code == 405


def test_the_range_can_change(client, staff):
    response = login(client, staff).get("/usage/staff/", {"days": "7"})

    assert response.context["days"] == 7
    assert (
        response.context["overview"].selection.last - response.context["overview"].selection.first
    ).days == 6
