"""Settlement: charging unsettled usage records to the ledger, in batches per account.

Each batch is one transaction: lock a set of unsettled records (other workers skip them), post
one `usage` ledger entry for their total with an idempotency key derived from the records, mark
them settled with that entry, and add their cost to their tokens' `spent_micros`. A worker that
dies mid-batch rolls the whole batch back; running settlement twice, or concurrently, charges
every record exactly once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from accounts.models import Account
from billing.ledger import post_entry
from usage.models import UsageRecord

log = logging.getLogger(__name__)
BATCH_SIZE = 500


@dataclass
class SettlementSummary:
    batches: int = 0
    records: int = 0
    charged_micros: int = 0

    def __str__(self) -> str:
        return (
            f"Settled {self.records} usage records in {self.batches} batches "
            f"({self.charged_micros} micro-USD)."
        )


def settle_batch(account_id: int, batch_size: int = BATCH_SIZE) -> tuple[int, int]:
    """Settle up to `batch_size` of the account's oldest unsettled records, all or nothing.

    Returns (records settled, micro-USD charged); (0, 0) when nothing was left to settle.
    """
    from tokens.models import ApiToken

    with transaction.atomic():
        records = list(
            UsageRecord.objects.select_for_update(skip_locked=True)
            .filter(account_id=account_id, settled=False)
            .order_by("id")
            .values_list("id", "cost_micros", "token_id")[:batch_size]
        )
        if not records:
            return 0, 0
        ids = [record_id for record_id, _, _ in records]
        total = sum(cost for _, cost, _ in records)
        per_token: dict[int, int] = defaultdict(int)
        for _, cost, token_id in records:
            if token_id is not None and cost:
                per_token[token_id] += cost
        account = Account.objects.get(pk=account_id)
        entry = post_entry(
            account,
            -total,
            "usage",
            idempotency_key=f"usage:{account_id}:{ids[0]}-{ids[-1]}:{len(ids)}",
            reference=f"usage records {ids[0]}..{ids[-1]} ({len(ids)})",
        )
        updated = UsageRecord.objects.filter(id__in=ids, settled=False).update(
            settled=True, settlement_entry=entry
        )
        if updated != len(ids):
            # Another worker settled some of them between our lock and now: impossible with
            # row locks; refuse to continue rather than charge twice.
            raise RuntimeError(f"settlement race on account {account_id}: rolled back")
        for token_id, cost in per_token.items():
            ApiToken.objects.filter(pk=token_id).update(spent_micros=F("spent_micros") + cost)
    return len(ids), total


def settle_account(account_id: int, batch_size: int = BATCH_SIZE) -> SettlementSummary:
    """Settle everything the account has unsettled now, batch by batch."""
    summary = SettlementSummary()
    while True:
        count, charged = settle_batch(account_id, batch_size)
        if count == 0:
            return summary
        summary.batches += 1
        summary.records += count
        summary.charged_micros += charged


def settle_all(batch_size: int = BATCH_SIZE) -> SettlementSummary:
    """Settle every account that has unsettled usage."""
    summary = SettlementSummary()
    account_ids = (
        UsageRecord.objects.filter(settled=False).values_list("account_id", flat=True).distinct()
    )
    for account_id in list(account_ids):
        part = settle_account(account_id, batch_size)
        summary.batches += part.batches
        summary.records += part.records
        summary.charged_micros += part.charged_micros
    return summary
