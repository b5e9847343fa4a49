from billing.models import CreditPack, Purchase
from tests.billing.conftest import buy
from tests.conftest import login


def test_it_creates_a_checkout_session_and_redirects_to_it(
    client, alice, account_a, pack, fake_stripe
):
    response = login(client, alice).post("/billing/checkout/", {"pack": pack.pk})

    purchase = Purchase.objects.get()
    session = fake_stripe.sessions[purchase.stripe_session_id]
    assert response.status_code == 302
    assert response["Location"] == session["url"] == purchase.checkout_url
    assert purchase.status == Purchase.Status.OPEN
    assert (purchase.account, purchase.amount_cents, purchase.credits_micros) == (
        account_a,
        1000,
        10_000_000,
    )


def test_the_session_carries_the_purchase_account_and_pack(
    client, alice, account_a, pack, fake_stripe
):
    purchase = buy(client, alice, pack)

    sent = fake_stripe.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/v1/checkout/sessions")
    assert sent.headers["authorization"] == "Bearer sk_test_fake_tollgate"
    assert sent.params["mode"] == "payment"
    assert sent.params["metadata"] == {
        "purchase_id": str(purchase.pk),
        "account_id": str(account_a.pk),
        "pack_id": str(pack.pk),
    }
    assert sent.params["payment_intent_data"]["metadata"] == sent.params["metadata"]
    assert sent.params["line_items"][0]["price_data"] == {
        "currency": "usd",
        "unit_amount": "1000",
        "product_data": {"name": "Starter"},
    }
    assert sent.params["success_url"] == f"http://testserver/billing/purchases/{purchase.pk}/"
    assert sent.params["cancel_url"].endswith(f"/billing/purchases/{purchase.pk}/cancel/")
    assert sent.params["customer_email"] == "alice@example.com"
    assert sent.headers["idempotency-key"]  # retries cannot create a second session


def test_a_pack_with_a_stripe_price_uses_it(client, alice, fake_stripe):
    fake_stripe.prices["price_123"] = (2500, "usd")
    pack = CreditPack.objects.create(
        name="Pro", price_cents=2500, credits_micros=25_000_000, stripe_price_id="price_123"
    )

    buy(client, alice, pack)

    assert fake_stripe.requests[-1].params["line_items"] == [
        {"price": "price_123", "quantity": "1"}
    ]


def test_a_stripe_failure_shows_a_message_and_marks_the_purchase_failed(
    client, alice, pack, fake_stripe
):
    fake_stripe.fail_next(400, "Your account cannot currently make live charges.")

    response = login(client, alice).post("/billing/checkout/", {"pack": pack.pk}, follow=True)

    assert b"Nothing was charged; please try again." in response.content
    purchase = Purchase.objects.get()
    assert purchase.status == Purchase.Status.FAILED
    assert "cannot currently make live charges" in purchase.note


def test_an_inactive_or_unknown_pack_gets_a_message(client, alice, pack, fake_stripe):
    pack.active = False
    pack.save()

    for value, message in [(pack.pk, b"no longer on sale"), ("nope", b"no longer on sale")]:
        response = login(client, alice).post("/billing/checkout/", {"pack": value}, follow=True)
        assert message in response.content
    response = login(client, alice).post("/billing/checkout/", {}, follow=True)
    assert b"Choose a credit pack." in response.content
    assert not Purchase.objects.exists()
    assert fake_stripe.requests == []


def test_without_stripe_keys_purchases_are_disabled(client, alice, pack, settings):
    settings.STRIPE_SECRET_KEY = ""

    response = login(client, alice).post("/billing/checkout/", {"pack": pack.pk}, follow=True)

    assert b"Purchases are disabled on this server." in response.content
    assert not Purchase.objects.exists()


def test_a_member_cannot_buy(client, bob, account_a, pack, fake_stripe):
    response = login(client, bob, account_a).post("/billing/checkout/", {"pack": pack.pk})

    assert response.status_code == 403
    assert fake_stripe.requests == []


def test_it_buys_for_the_current_account(client, bob, account_a, pack, fake_stripe):
    login(client, bob).post("/billing/checkout/", {"pack": pack.pk})  # bob's personal account

    assert Purchase.objects.get().account == bob.personal_account


def test_it_rejects_get(client, alice, pack):
    assert login(client, alice).get("/billing/checkout/").status_code == 405


def test_it_requires_login(client, pack):
    response = client.post("/billing/checkout/", {"pack": pack.pk})

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
