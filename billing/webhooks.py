"""Stripe webhooks: verify the signature, record each event id once, apply it in that transaction.

Exactly once: the StripeEvent row (unique on Stripe's event id) is inserted in the same
transaction as the event's effects. A concurrent duplicate waits on the unique index and then
finds the row, so it changes nothing; if applying fails, the whole transaction rolls back, the
view answers 500 and Stripe delivers again later. Ledger entries carry keys derived from Stripe's
ids as a second guard (two different events about one payment credit once).

Handled: checkout.session.completed, .async_payment_succeeded, .async_payment_failed, .expired,
charge.refunded and charge.dispute.created. Other types are recorded as ignored.
https://docs.stripe.com/webhooks#verify-events
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import stripe
from django.conf import settings
from django.db import transaction

from billing import purchases
from billing.models import Purchase, StripeEvent

logger = logging.getLogger(__name__)

Outcome = StripeEvent.Outcome
Result = tuple[str, str]  # (outcome, note)


class InvalidEvent(Exception):
    """Bad or missing signature, stale timestamp, or not an event: answer 400, change nothing."""


def verify_event(payload: bytes, signature_header: str | None) -> dict:
    """The event in `payload` if `Stripe-Signature` proves it came from Stripe, recently."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise InvalidEvent("STRIPE_WEBHOOK_SECRET is not set; no event can be verified")
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature_header, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_S
        )
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise InvalidEvent(str(exc)) from None
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    ):
        raise InvalidEvent("not a Stripe event")
    return event


def process_event(event: dict) -> tuple[StripeEvent, bool]:
    """Record and apply a verified event once. Returns (record, False) for a duplicate."""
    with transaction.atomic():
        record, created = StripeEvent.objects.get_or_create(
            stripe_id=event["id"],
            defaults={"type": event["type"], "payload": event, "outcome": Outcome.IGNORED},
        )
        if not created:
            return record, False
        handler = HANDLERS.get(event["type"])
        if handler is None:
            outcome, note = Outcome.IGNORED, "event type not handled"
        else:
            outcome, note = handler(event["data"]["object"])
        if outcome == Outcome.REJECTED:
            logger.warning("Stripe event %s rejected: %s", event["id"], note)
        record.outcome, record.note = outcome, note
        record.save(update_fields=["outcome", "note"])
    return record, True


def on_session_completed(session: dict) -> Result:
    purchase, problem = _purchase_for_session(session)
    if purchase is None:
        return problem
    status = session.get("payment_status")
    if status == "paid":
        return _credit(purchase, session)
    if status == "unpaid":  # a delayed method (bank debit): async_payment_* follows
        purchases.set_status(purchase, Purchase.Status.PROCESSING)
        return Outcome.PROCESSED, "awaiting asynchronous payment"
    note = f"session completed with payment_status {status!r}; not credited"
    purchases.set_status(purchase, Purchase.Status.REVIEW, note)
    return Outcome.REJECTED, note


def on_async_payment_succeeded(session: dict) -> Result:
    purchase, problem = _purchase_for_session(session)
    if purchase is None:
        return problem
    if session.get("payment_status") != "paid":
        note = f"payment_status is {session.get('payment_status')!r}; not credited"
        purchases.set_status(purchase, Purchase.Status.REVIEW, note)
        return Outcome.REJECTED, note
    return _credit(purchase, session)


def on_async_payment_failed(session: dict) -> Result:
    purchase, problem = _purchase_for_session(session)
    if purchase is None:
        return problem
    purchases.set_status(purchase, Purchase.Status.FAILED)
    return Outcome.PROCESSED, "payment failed"


def on_session_expired(session: dict) -> Result:
    purchase, problem = _purchase_for_session(session)
    if purchase is None:
        return problem
    purchases.set_status(purchase, Purchase.Status.EXPIRED)
    return Outcome.PROCESSED, "checkout expired"


def on_charge_refunded(charge: dict) -> Result:
    purchase = _purchase_for_charge(charge.get("payment_intent"), charge.get("id"))
    if purchase is None:
        return Outcome.IGNORED, "no purchase for this charge"
    _remember_charge(purchase, charge)
    if not purchases.is_credited(purchase):
        note = "refund of a purchase that was never credited"
        purchases.set_status(purchase, Purchase.Status.REVIEW, note)
        return Outcome.REJECTED, note
    amount = _int(charge.get("amount_refunded"))
    charge_id = str(charge.get("id") or "")
    debit = purchases.refund_purchase(purchase, charge_id=charge_id, amount_refunded=amount)
    return Outcome.PROCESSED, f"refund: debited {debit} micro-USD"


def on_dispute_created(dispute: dict) -> Result:
    purchase = _purchase_for_charge(dispute.get("payment_intent"), dispute.get("charge"))
    if purchase is None:
        return Outcome.IGNORED, "no purchase for this charge"
    if not purchases.is_credited(purchase):
        purchases.flag_account(purchase.account, f"Stripe dispute {dispute.get('id')} (uncredited)")
        return Outcome.PROCESSED, "dispute of an uncredited purchase: account flagged"
    debit = purchases.dispute_purchase(
        purchase,
        dispute_id=str(dispute.get("id")),
        amount=_int(dispute.get("amount")),
        reason=str(dispute.get("reason") or ""),
    )
    return Outcome.PROCESSED, f"dispute: debited {debit} micro-USD, account flagged"


HANDLERS: dict[str, Callable[[dict], Result]] = {
    "checkout.session.completed": on_session_completed,
    "checkout.session.async_payment_succeeded": on_async_payment_succeeded,
    "checkout.session.async_payment_failed": on_async_payment_failed,
    "checkout.session.expired": on_session_expired,
    "charge.refunded": on_charge_refunded,
    "charge.dispute.created": on_dispute_created,
}


def _purchase_for_session(session: dict) -> tuple[Purchase | None, Result]:
    """The locked purchase this session was created for, or None and why not.

    Credited only if the session is the one created for that purchase, for that account, in
    payment mode, for the purchase's amount and currency.
    """
    metadata = session.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    try:
        purchase_id = int(metadata.get("purchase_id", ""))
    except (TypeError, ValueError):
        return None, (Outcome.IGNORED, "not a Tollgate checkout session")
    qs = Purchase.objects.select_for_update().select_related("account", "pack")
    purchase = qs.filter(pk=purchase_id).first()
    if purchase is None:
        return None, (Outcome.REJECTED, f"unknown purchase {purchase_id}")
    if session.get("id") != purchase.stripe_session_id:
        return None, (Outcome.REJECTED, f"session is not the one created for #{purchase_id}")
    problem = _mismatch(purchase, session, metadata)
    if problem:
        purchases.set_status(purchase, Purchase.Status.REVIEW, problem)
        return None, (Outcome.REJECTED, problem)
    return purchase, (Outcome.PROCESSED, "")


def _mismatch(purchase: Purchase, session: dict, metadata: dict) -> str:
    if str(metadata.get("account_id")) != str(purchase.account_id):
        return f"account {metadata.get('account_id')!r} is not the purchase's"
    if session.get("mode") not in (None, "payment"):
        return f"mode {session.get('mode')!r} is not payment"
    if session.get("amount_total") != purchase.amount_cents:
        return f"amount_total {session.get('amount_total')!r} != {purchase.amount_cents}"
    if str(session.get("currency", "")).lower() != purchase.currency:
        return f"currency {session.get('currency')!r} != {purchase.currency!r}"
    return ""


def _credit(purchase: Purchase, session: dict) -> Result:
    entry = purchases.credit_purchase(
        purchase,
        payment_intent_id=_stripe_id(session.get("payment_intent")),
        session_id=session["id"],
    )
    return Outcome.PROCESSED, f"credited {entry.amount_micros} micro-USD (entry {entry.pk})"


def _purchase_for_charge(payment_intent, charge_id) -> Purchase | None:
    qs = Purchase.objects.select_for_update().select_related("account", "pack")
    intent_id = _stripe_id(payment_intent)
    purchase = qs.filter(stripe_payment_intent_id=intent_id).first() if intent_id else None
    if purchase is None and isinstance(charge_id, str) and charge_id:
        purchase = qs.filter(stripe_charge_id=charge_id).first()
    return purchase


def _remember_charge(purchase: Purchase, charge: dict) -> None:
    purchase.stripe_charge_id = purchase.stripe_charge_id or str(charge.get("id") or "")
    purchase.receipt_url = purchase.receipt_url or str(charge.get("receipt_url") or "")
    purchase.save(update_fields=["stripe_charge_id", "receipt_url"])


def _stripe_id(value) -> str:
    """An id from a field that may be expanded into an object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _int(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
