"""Staff adjustments: credits granted or deducted by hand, with who and why on the entry."""

from __future__ import annotations

import uuid

from accounts.models import Account
from billing.ledger import post_entry
from billing.models import LedgerEntry


def grant_credits(
    account: Account,
    amount_micros: int,
    *,
    note: str,
    granted_by=None,
    reference: str = "",
    idempotency_key: str = "",
) -> LedgerEntry:
    """Post an adjustment of `amount_micros` (negative deducts) on `account`.

    `note` (why) is required; `granted_by` is the staff user, when there is one. A deduction may
    not take the balance below zero (billing.ledger.InsufficientBalance). Without an
    `idempotency_key` every call is a new grant.
    """
    if not note.strip():
        raise ValueError("a note saying why is required")
    return post_entry(
        account,
        amount_micros,
        LedgerEntry.Kind.ADJUSTMENT,
        idempotency_key=idempotency_key or f"adjustment:{uuid.uuid4()}",
        reference=reference,
        note=note.strip(),
        created_by=granted_by,
    )
