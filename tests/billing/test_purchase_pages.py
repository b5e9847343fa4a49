import pytest

from billing.models import Purchase
from tests.billing.conftest import buy, pay
from tests.conftest import login


@pytest.fixture
def purchase(client, alice, pack, fake_stripe) -> Purchase:
    return buy(client, alice, pack)


def test_the_success_page_says_processing_until_the_webhook_credits(
    client, alice, purchase, fake_stripe
):
    page = login(client, alice).get(f"/billing/purchases/{purchase.pk}/")

    assert page.status_code == 200
    assert b"Processing your payment" in page.content
    assert b'<meta http-equiv="refresh"' in page.content

    pay(client, fake_stripe, purchase)
    page = client.get(f"/billing/purchases/{purchase.pk}/")

    assert b"$10.00 in credits were added" in page.content
    assert b'data-testid="balance">$10.00' in page.content
    assert b'http-equiv="refresh"' not in page.content


def test_the_cancel_page_says_nothing_was_charged(client, alice, purchase):
    page = login(client, alice).get(f"/billing/purchases/{purchase.pk}/cancel/")

    assert b"Nothing was charged." in page.content


def test_history_lists_purchases_with_receipts(client, alice, purchase, fake_stripe):
    pay(client, fake_stripe, purchase)
    Purchase.objects.filter(pk=purchase.pk).update(receipt_url="https://pay.example/r/1")

    page = login(client, alice).get("/billing/purchases/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Starter" in html and "$10.00" in html and "Paid" in html
    assert 'href="https://pay.example/r/1"' in html


def test_history_shows_partial_refunds(client, alice, purchase):
    Purchase.objects.filter(pk=purchase.pk).update(status="paid", refunded_micros=2_500_000)

    page = login(client, alice).get("/billing/purchases/")

    assert b"($2.50 refunded)" in page.content


@pytest.mark.parametrize("path", ["/billing/purchases/{}/", "/billing/purchases/{}/cancel/"])
def test_another_accounts_purchase_is_not_found(client, charlie, purchase, path):
    assert login(client, charlie).get(path.format(purchase.pk)).status_code == 404


@pytest.mark.parametrize(
    "path", ["/billing/purchases/", "/billing/purchases/{}/", "/billing/purchases/{}/cancel/"]
)
def test_members_cannot_see_purchases(client, bob, account_a, purchase, path):
    assert login(client, bob, account_a).get(path.format(purchase.pk)).status_code == 403


def test_history_shows_only_the_current_account(client, charlie, purchase):
    page = login(client, charlie).get("/billing/purchases/")

    assert b"No purchases yet." in page.content


def test_history_rejects_post(client, alice):
    assert login(client, alice).post("/billing/purchases/").status_code == 405
