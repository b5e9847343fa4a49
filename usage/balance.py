"""What an account can still spend: its settled balance less what is already committed.

available = balance - outstanding holds - charged-but-unsettled usage. Holds live where the
proxy keeps them (proxy/admission.py): Redis in the full stack, this process otherwise.
"""

from __future__ import annotations

from django.db.models import Sum

from usage.models import UsageRecord


def unsettled_micros(account_id: int) -> int:
    """The cost of this account's usage records that settlement has not charged yet."""
    total = (
        UsageRecord.objects.filter(account_id=account_id, settled=False)
        .aggregate(total=Sum("cost_micros"))
        .get("total")
    )
    return int(total or 0)


def held_micros(account_id: int) -> int:
    """Credit reserved by requests in flight (0 when none, or when Redis cannot be reached)."""
    from proxy import admission

    return admission.held_micros(account_id)


def available_micros(account) -> int:
    """The balance the account can still spend now (may be negative only through debt)."""
    return account.balance_micros - held_micros(account.id) - unsettled_micros(account.id)
