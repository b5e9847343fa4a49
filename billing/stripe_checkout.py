"""Stripe Checkout: starting a purchase and reading back its receipt.

The SDK is used only here and in billing/webhooks.py. Settings are read when called:
`STRIPE_SECRET_KEY` (empty: purchases are disabled), `STRIPE_API_BASE` (empty: Stripe itself;
tests point it at tests/fakes/stripe_server.py, operators may use stripe-mock).
Crediting happens only in the webhook, never on the way back from Checkout.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin

import stripe
from django.conf import settings
from django.urls import reverse

from accounts.models import Account
from billing.models import CreditPack, Purchase

logger = logging.getLogger(__name__)


class CheckoutError(Exception):
    """The purchase could not start; the message is fit for the user. Nothing was charged."""


def purchases_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE.rstrip("/")
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        # Retried POSTs carry the same SDK-generated idempotency key: no duplicate sessions.
        max_network_retries=2,
    )


def start_checkout(account: Account, pack: CreditPack, *, user, site_url: str) -> Purchase:
    """Create a local Purchase and its Stripe Checkout Session (mode payment).

    The session's metadata names the purchase, account and pack; the webhook credits only a
    session that matches them. Returns the purchase with `checkout_url` set, or raises
    CheckoutError (the purchase is then marked failed).
    """
    if not purchases_enabled():
        raise CheckoutError("Purchases are disabled on this server.")
    if not pack.active:
        raise CheckoutError("That credit pack is no longer on sale.")
    purchase = Purchase.objects.create(
        account=account,
        pack=pack,
        created_by=user,
        amount_cents=pack.price_cents,
        currency=pack.currency,
        credits_micros=pack.credits_micros,
    )
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params=_session_params(purchase, user, site_url)
        )
    except stripe.StripeError as exc:
        logger.warning("Stripe refused checkout for purchase %s: %s", purchase.pk, exc)
        purchase.status = Purchase.Status.FAILED
        purchase.note = f"Checkout session not created: {exc}"
        purchase.save(update_fields=["status", "note"])
        raise CheckoutError(
            "The payment provider could not be reached. Nothing was charged; please try again."
        ) from exc
    purchase.stripe_session_id = session.id
    purchase.checkout_url = session.url or ""
    purchase.status = Purchase.Status.OPEN
    purchase.save(update_fields=["stripe_session_id", "checkout_url", "status"])
    return purchase


def _session_params(purchase: Purchase, user, site_url: str) -> dict:
    pack = purchase.pack
    metadata = {
        "purchase_id": str(purchase.pk),
        "account_id": str(purchase.account_id),
        "pack_id": str(pack.pk),
    }
    if pack.stripe_price_id:
        line_item = {"price": pack.stripe_price_id, "quantity": 1}
    else:
        line_item = {
            "price_data": {
                "currency": purchase.currency,
                "unit_amount": purchase.amount_cents,
                "product_data": {"name": pack.name},
            },
            "quantity": 1,
        }
    page = urljoin(site_url, reverse("billing-purchase", args=[purchase.pk]))
    params = {
        "mode": "payment",
        "line_items": [line_item],
        "client_reference_id": str(purchase.pk),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": page,
        "cancel_url": urljoin(site_url, reverse("billing-purchase-cancel", args=[purchase.pk])),
    }
    if user is not None and user.email:
        params["customer_email"] = user.email
    return params


def fetch_receipt(purchase_id: int) -> bool:
    """Record the charge id and receipt URL of a paid purchase (best effort: False on failure).

    Runs after the webhook's transaction has committed, so no lock is held while Stripe answers.
    """
    purchase = Purchase.objects.filter(pk=purchase_id).first()
    if purchase is None or not purchase.stripe_payment_intent_id or not purchases_enabled():
        return False
    try:
        intent = stripe_client().v1.payment_intents.retrieve(
            purchase.stripe_payment_intent_id, params={"expand": ["latest_charge"]}
        )
    except stripe.StripeError as exc:
        logger.warning("No receipt for purchase %s: %s", purchase.pk, exc)
        return False
    charge = getattr(intent, "latest_charge", None)
    if not isinstance(charge, stripe.StripeObject):
        return False
    Purchase.objects.filter(pk=purchase.pk).update(
        stripe_charge_id=getattr(charge, "id", None) or "",
        receipt_url=getattr(charge, "receipt_url", None) or "",
    )
    return True
