"""The ledger: the only code that changes an account's balance.

Invariant: for every account, `Account.balance_micros` equals the sum of its entries'
`amount_micros`, and its newest entry's `balance_after_micros` equals the balance. `post_entry`
keeps it by changing both in one transaction while holding the account row's lock;
`find_violations` (and `manage.py verify_ledger`) checks it.

Signs and debt, by kind:

| kind | amount | may leave the balance below zero |
| --- | --- | --- |
| purchase, redemption | > 0 | (credits never lower it) |
| usage | <= 0 (0 settles a free batch) | yes: the tokens were already served; holds keep it rare |
| refund, dispute | < 0 | yes: Stripe already took the money back |
| adjustment | != 0 | only with `allow_negative=True` |

A debit that may not go below zero raises `InsufficientBalance` and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone

from accounts.models import Account
from billing.models import LedgerEntry

Kind = LedgerEntry.Kind

POSITIVE_KINDS = frozenset({Kind.PURCHASE, Kind.REDEMPTION})
NEGATIVE_KINDS = frozenset({Kind.REFUND, Kind.DISPUTE})
DEBT_KINDS = frozenset({Kind.USAGE, Kind.REFUND, Kind.DISPUTE})

# PostgreSQL bigint.
_MIN_MICROS, _MAX_MICROS = -(2**63), 2**63 - 1
_MAX_TEXT = 200


class LedgerError(Exception):
    """The entry was refused; nothing changed."""


class InsufficientBalance(LedgerError):
    """The debit would leave the balance below zero and its kind may not."""


class IdempotencyConflict(LedgerError):
    """The idempotency key is already used by an entry with another account, kind or amount."""


def post_entry(
    account: Account,
    amount_micros: int,
    kind: str,
    *,
    idempotency_key: str,
    reference: str = "",
    note: str = "",
    created_by=None,
    allow_negative: bool = False,
) -> LedgerEntry:
    """Append one entry and move the balance by `amount_micros`, exactly once per key.

    - Locks the account row (SELECT ... FOR UPDATE), inserts the entry and updates
      `Account.balance_micros` in one transaction (nested in the caller's, if any).
    - Replaying an `idempotency_key` returns the existing entry and changes nothing; the key
      must then name the same account, kind and amount, or `IdempotencyConflict` is raised.
    - Signs by kind are in the module docstring; a wrong sign raises ValueError.
      `InsufficientBalance` when a debit would go below zero and neither the kind nor
      `allow_negative` permits debt.
    - When the balance crosses below the account's low-balance threshold, one e-mail is queued
      after commit (billing.tasks.notify_low_balance).
    - `account.balance_micros` is refreshed on the instance passed in.
    """
    kind = Kind(kind)
    _check_amount(amount_micros, kind)
    _check_text("idempotency_key", idempotency_key, required=True)
    _check_text("reference", reference)

    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            _check_replay(existing, locked, amount_micros, kind)
            account.balance_micros = locked.balance_micros
            return existing

        before = locked.balance_micros
        after = before + amount_micros
        if not _MIN_MICROS <= after <= _MAX_MICROS:
            raise LedgerError("the balance would not fit in 64 bits")
        if after < 0 and amount_micros < 0 and kind not in DEBT_KINDS and not allow_negative:
            raise InsufficientBalance(
                f"the balance is {before} micro-USD; a debit of {-amount_micros} would leave "
                f"{after}"
            )

        entry = LedgerEntry.objects.create(
            account=locked,
            kind=kind,
            amount_micros=amount_micros,
            balance_after_micros=after,
            idempotency_key=idempotency_key,
            reference=reference,
            note=note,
            created_by=created_by,
        )
        changes = {"balance_micros": after, **_low_balance_changes(locked, before, after)}
        Account.objects.filter(pk=locked.pk).update(**changes)

    for field, value in changes.items():
        setattr(account, field, value)
    return entry


def _check_amount(amount_micros: int, kind: Kind) -> None:
    # bool is an int, and a float or Decimal here means money went through the wrong path.
    if isinstance(amount_micros, bool) or not isinstance(amount_micros, int):
        raise TypeError(f"amount_micros must be an int, not {type(amount_micros).__name__}")
    if kind in POSITIVE_KINDS and amount_micros <= 0:
        raise ValueError(f"a {kind} entry must be positive")
    if kind in NEGATIVE_KINDS and amount_micros >= 0:
        raise ValueError(f"a {kind} entry must be negative")
    if kind == Kind.USAGE and amount_micros > 0:
        raise ValueError("a usage entry cannot be positive")
    if kind == Kind.ADJUSTMENT and amount_micros == 0:
        raise ValueError("an adjustment of zero changes nothing")


def _check_text(name: str, value: str, *, required: bool = False) -> None:
    if required and not value:
        raise ValueError(f"{name} is required")
    if len(value) > _MAX_TEXT:
        raise ValueError(f"{name} is longer than {_MAX_TEXT} characters")


def _check_replay(existing: LedgerEntry, account: Account, amount: int, kind: Kind) -> None:
    if (existing.account_id, existing.kind, existing.amount_micros) != (account.pk, kind, amount):
        raise IdempotencyConflict(
            f"idempotency key {existing.idempotency_key!r} already posted {existing.kind} "
            f"{existing.amount_micros} on account {existing.account_id}"
        )


def _low_balance_changes(account: Account, before: int, after: int) -> dict:
    """Mark a crossing below the threshold (and queue its e-mail); clear it on the way back up."""
    threshold = account.low_balance_threshold_micros
    if threshold > 0 and after < threshold <= before:
        from billing.tasks import notify_low_balance

        transaction.on_commit(partial(notify_low_balance.delay, account.pk))
        return {"low_balance_notified_at": timezone.now()}
    if after >= threshold and account.low_balance_notified_at is not None:
        return {"low_balance_notified_at": None}
    return {}


@dataclass(frozen=True)
class Violation:
    """One account whose balance disagrees with its entries."""

    account_id: int
    account_name: str
    balance_micros: int
    entries_sum_micros: int
    last_balance_after_micros: int | None

    def __str__(self) -> str:
        return (
            f"account {self.account_id} ({self.account_name}): balance {self.balance_micros}, "
            f"sum of entries {self.entries_sum_micros}, "
            f"newest balance_after {self.last_balance_after_micros}"
        )


def find_violations() -> list[Violation]:
    """Every account whose balance differs from the sum of its entries, or from its newest
    entry's balance_after (or is non-zero without entries). An empty list: the ledger holds."""
    newest = LedgerEntry.objects.filter(account=OuterRef("pk")).order_by("-id")
    accounts = Account.objects.annotate(
        entries_sum=Sum("ledger_entries__amount_micros"),
        last_after=Subquery(newest.values("balance_after_micros")[:1]),
    ).order_by("pk")
    violations = []
    for account in accounts.iterator():
        total = int(account.entries_sum or 0)
        last = None if account.last_after is None else int(account.last_after)
        if account.balance_micros != total or account.balance_micros != (last or 0):
            violations.append(
                Violation(account.pk, account.name, account.balance_micros, total, last)
            )
    return violations
