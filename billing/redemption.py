"""Redeeming codes: each code credits an account at most once, within its limits."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from billing.ledger import post_entry
from billing.models import LedgerEntry, Redemption, RedemptionCode, normalize_code

# Per user, counting every attempt: enough for honest typos, too few to guess codes.
ATTEMPTS_PER_WINDOW = 10
WINDOW_S = 15 * 60


class RedemptionError(Exception):
    """The code was not redeemed; the message is fit for the user."""


def redeem_code(account: Account, user, text: str) -> Redemption:
    """Credit `account` with the value of the code in `text`, on behalf of `user`.

    Raises RedemptionError for an unknown, inactive, expired, used-up or already-redeemed code,
    and when `user` has made too many attempts lately. The code row is locked, so concurrent
    redemptions cannot exceed `max_redemptions`.
    """
    _count_attempt(user)
    code_text = normalize_code(text)
    if not code_text:
        raise RedemptionError("Enter a code.")
    with transaction.atomic():
        code = RedemptionCode.objects.select_for_update().filter(code=code_text).first()
        if code is None or not code.active:
            raise RedemptionError("That code is not valid.")
        if code.expires_at is not None and code.expires_at <= timezone.now():
            raise RedemptionError("That code has expired.")
        if code.redemptions.filter(account=account).exists():
            raise RedemptionError("This account has already redeemed that code.")
        if code.redemptions.count() >= code.max_redemptions:
            raise RedemptionError("That code has been used up.")
        entry = post_entry(
            account,
            code.value_micros,
            LedgerEntry.Kind.REDEMPTION,
            idempotency_key=f"redemption:{code.pk}:{account.pk}",
            reference=code.code,
            note=f"Code redeemed by {user.email}",
        )
        return Redemption.objects.create(code=code, account=account, user=user, entry=entry)


def _count_attempt(user) -> None:
    key = f"billing:redeem-attempts:{user.pk}"
    cache.add(key, 0, timeout=WINDOW_S)
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_S)
        attempts = 1
    if attempts > ATTEMPTS_PER_WINDOW:
        raise RedemptionError("Too many attempts. Please wait a few minutes and try again.")
