from billing.ledger import post_entry
from billing.models import CreditPack
from tests.conftest import login


def test_it_shows_the_balance_packs_and_activity(client, alice, account_a, pack, fake_stripe):
    CreditPack.objects.create(name="Hidden", price_cents=1, credits_micros=1, active=False)
    post_entry(account_a, 1_234_567, "adjustment", idempotency_key="k", note="welcome")

    response = login(client, alice).get("/billing/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="value" data-testid="balance">$1.23</div>' in html
    assert "Buy Starter" in html
    assert "$10.00 in credits" in html
    assert "Hidden" not in html
    assert "$1.234567" in html  # the activity table shows exact amounts
    assert "Purchase history" in html


def test_billing_is_in_the_navigation(client, alice):
    assert b'href="/billing/"' in login(client, alice).get("/dashboard/").content


def test_a_member_sees_packs_but_cannot_buy(client, bob, account_a, pack, fake_stripe):
    response = login(client, bob, account_a).get("/billing/")

    assert response.status_code == 200
    assert b"Only owners and admins" in response.content
    assert b"Buy Starter" not in response.content
    assert b"Purchase history" not in response.content


def test_it_shows_only_the_current_accounts_activity(client, charlie, account_a, account_b):
    post_entry(account_a, 9_000_000, "adjustment", idempotency_key="k")

    response = login(client, charlie).get("/billing/")

    assert b"$9.00" not in response.content
    assert b"No credits have been added or used yet." in response.content


def test_without_stripe_keys_it_says_purchases_are_disabled(client, alice, pack, settings):
    settings.STRIPE_SECRET_KEY = ""

    response = login(client, alice).get("/billing/")

    assert b"Purchases are disabled on this server" in response.content
    assert b"Buy Starter" not in response.content
    assert b"Redeem" in response.content


def test_it_requires_login(client, db):
    response = client.get("/billing/")

    assert response.status_code == 302


def test_it_rejects_post(client, alice):
    assert login(client, alice).post("/billing/").status_code == 405
