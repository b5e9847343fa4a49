import pytest

from accounts.models import Account
from billing.ledger import post_entry
from billing.models import CreditPack, RedemptionCode
from tests.conftest import login


@pytest.fixture
def entry(account_a):
    return post_entry(account_a, 1_000_000, "adjustment", idempotency_key="k", note="hello")


@pytest.mark.parametrize(
    "path",
    [
        "/admin/billing/ledgerentry/",
        "/admin/billing/creditpack/",
        "/admin/billing/purchase/",
        "/admin/billing/stripeevent/",
        "/admin/billing/redemptioncode/",
        "/admin/billing/creditpack/add/",
        "/admin/billing/redemptioncode/add/",
        "/admin/accounts/account/?flagged=yes",
    ],
)
def test_billing_admin_pages_render(client, staff, entry, path):
    assert login(client, staff).get(path).status_code == 200


def test_ledger_entries_are_read_only_in_the_admin(client, staff, entry):
    login(client, staff)

    assert client.get("/admin/billing/ledgerentry/add/").status_code == 403
    page = client.get(f"/admin/billing/ledgerentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert b'name="amount_micros"' not in page.content
    assert client.post(f"/admin/billing/ledgerentry/{entry.pk}/change/", {}).status_code == 403
    assert (
        client.post(f"/admin/billing/ledgerentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


def test_staff_create_packs_and_codes_in_dollars(client, staff):
    login(client, staff)

    client.post(
        "/admin/billing/creditpack/add/",
        {
            "name": "Big",
            "price_cents": "10000000",
            "currency": "USD",
            "credits_micros": "100000",
            "active": "on",
            "sort_order": "0",
        },
    )
    client.post(
        "/admin/billing/redemptioncode/add/",
        {
            "code": "hello",
            "value_micros": "2.5",
            "max_redemptions": "3",
            "active": "on",
            "redemptions-TOTAL_FORMS": "0",
            "redemptions-INITIAL_FORMS": "0",
        },
    )

    pack = CreditPack.objects.get()
    assert (pack.credits_micros, pack.currency) == (100_000 * 1_000_000, "usd")
    code = RedemptionCode.objects.get()
    assert (code.code, code.value_micros, code.created_by) == ("HELLO", 2_500_000, staff)


@pytest.mark.parametrize("value", ["0", "-1", "lots"])
def test_a_pack_needs_positive_credits(client, staff, value):
    response = login(client, staff).post(
        "/admin/billing/creditpack/add/",
        {
            "name": "Bad",
            "price_cents": "100",
            "currency": "usd",
            "credits_micros": value,
            "sort_order": "0",
        },
    )

    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not CreditPack.objects.exists()


def test_flagged_accounts_are_listed_for_staff(client, staff, account_a, account_b):
    Account.objects.filter(pk=account_b.pk).update(flagged_reason="Stripe dispute dp_1")

    page = login(client, staff).get("/admin/accounts/account/?flagged=yes")

    assert b"charlie@example.com" in page.content
    assert b"alice@example.com</a>" not in page.content


def test_staff_edit_the_low_balance_threshold_in_dollars(client, staff, account_a):
    page = login(client, staff).get(f"/admin/accounts/account/{account_a.pk}/change/")

    assert b'name="low_balance_threshold_micros"' in page.content
    assert b'value="1"' in page.content
