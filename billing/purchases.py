"""What happens to a Purchase when Stripe reports on it: credit, fail, refund, dispute.

Each function expects the purchase row locked by the caller (billing.webhooks runs them inside
the transaction that records the Stripe event) and posts at most one ledger entry, under an
idempotency key derived from Stripe's ids, so a replay changes nothing.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from billing.ledger import post_entry
from billing.models import LedgerEntry, Purchase

logger = logging.getLogger(__name__)

Status = Purchase.Status
PENDING = {Status.CREATED, Status.OPEN, Status.PROCESSING, Status.REVIEW}


def credit_key(purchase: Purchase) -> str:
    return f"purchase:{purchase.pk}"


def is_credited(purchase: Purchase) -> bool:
    return LedgerEntry.objects.filter(idempotency_key=credit_key(purchase)).exists()


def credit_purchase(purchase: Purchase, *, payment_intent_id: str, session_id: str) -> LedgerEntry:
    """Add the purchase's credits to its account, once, and mark it paid."""
    entry = post_entry(
        purchase.account,
        purchase.credits_micros,
        LedgerEntry.Kind.PURCHASE,
        idempotency_key=credit_key(purchase),
        reference=session_id,
        note=f"{purchase.pack.name} (purchase #{purchase.pk})",
    )
    if purchase.status in PENDING or purchase.status in {Status.FAILED, Status.EXPIRED}:
        purchase.status = Status.PAID
    purchase.paid_at = purchase.paid_at or timezone.now()
    purchase.stripe_payment_intent_id = payment_intent_id or purchase.stripe_payment_intent_id
    purchase.save(update_fields=["status", "paid_at", "stripe_payment_intent_id"])
    if purchase.stripe_payment_intent_id and not purchase.receipt_url:
        from billing.tasks import fetch_receipt

        pk = purchase.pk
        transaction.on_commit(lambda: fetch_receipt.delay(pk))
    return entry


def set_status(purchase: Purchase, status: Status, note: str = "") -> None:
    """Move a not-yet-credited purchase to `status` (processing, failed, expired, review)."""
    if purchase.status not in PENDING:
        return
    purchase.status = status
    if note:
        logger.warning("Purchase %s needs review: %s", purchase.pk, note)
        purchase.note = _append(purchase.note, note)
    purchase.save(update_fields=["status", "note"])


def refund_purchase(purchase: Purchase, *, charge_id: str, amount_refunded: int) -> int:
    """Debit the refunded share of the credits; `amount_refunded` is Stripe's cumulative total
    in the smallest currency unit. Returns the micro-USD debited now (0 on a replay)."""
    refunded_cents = min(max(amount_refunded, 0), purchase.amount_cents)
    target = purchase.credits_micros * refunded_cents // purchase.amount_cents
    debit = _cap(purchase, target - purchase.refunded_micros)
    if debit > 0:
        post_entry(
            purchase.account,
            -debit,
            LedgerEntry.Kind.REFUND,
            idempotency_key=f"stripe-refund:{charge_id}:{refunded_cents}",
            reference=charge_id,
            note=f"Refund of purchase #{purchase.pk}",
        )
        purchase.refunded_micros += debit
    if refunded_cents == purchase.amount_cents and purchase.status == Status.PAID:
        purchase.status = Status.REFUNDED
    purchase.save(update_fields=["refunded_micros", "status"])
    return debit


def dispute_purchase(purchase: Purchase, *, dispute_id: str, amount: int, reason: str) -> int:
    """Debit the disputed share of the credits and flag the account for staff. Returns the
    micro-USD debited."""
    disputed_cents = min(max(amount, 0), purchase.amount_cents)
    debit = _cap(purchase, purchase.credits_micros * disputed_cents // purchase.amount_cents)
    if debit > 0:
        post_entry(
            purchase.account,
            -debit,
            LedgerEntry.Kind.DISPUTE,
            idempotency_key=f"stripe-dispute:{dispute_id}",
            reference=dispute_id,
            note=f"Dispute ({reason or 'no reason given'}) of purchase #{purchase.pk}",
        )
        purchase.disputed_micros += debit
    purchase.status = Status.DISPUTED
    purchase.save(update_fields=["disputed_micros", "status"])
    flag_account(
        purchase.account, f"Stripe dispute {dispute_id} ({reason}) on purchase #{purchase.pk}"
    )
    return debit


def flag_account(account: Account, reason: str) -> None:
    """Put the account on the staff's list (Accounts admin, "flagged")."""
    locked = Account.objects.select_for_update().get(pk=account.pk)
    logger.warning("Account %s flagged: %s", account.pk, reason)
    Account.objects.filter(pk=locked.pk).update(
        flagged_reason=_append(locked.flagged_reason, reason), flagged_at=timezone.now()
    )


def _cap(purchase: Purchase, debit: int) -> int:
    # Refunds and disputes together never take back more than the purchase credited.
    remaining = purchase.credits_micros - purchase.refunded_micros - purchase.disputed_micros
    return max(0, min(debit, remaining))


def _append(text: str, line: str) -> str:
    return f"{text}\n{line}" if text else line
