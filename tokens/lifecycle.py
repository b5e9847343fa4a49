"""Creating, changing, rotating and revoking tokens: the only code that writes ApiToken rows
(besides usage settlement adding to `spent_micros` and lookups stamping `last_used_at`).

Callers pass values already checked by tokens.limits (through the form, the API serializer or
the command). Each function owns its transaction, and the post_save signal invalidates the
token's cache entries (tokens/signals.py), so a change reaches /v1 within seconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, User
from tokens import keys
from tokens.lookup import invalidate_hashes
from tokens.models import ApiToken

EDITABLE_FIELDS = (
    "name",
    "note",
    "expires_at",
    "allowed_models",
    "spend_limit_micros",
    "rpm_limit",
    "max_concurrency",
    "allowed_ips",
)


class TokenStateError(Exception):
    """The token cannot do that in its current state (revoked, expired)."""


def create_token(
    account: Account,
    created_by: User | None,
    *,
    name: str,
    note: str = "",
    expires_at: datetime | None = None,
    allowed_models: list[str] | None = None,
    spend_limit_micros: int | None = None,
    rpm_limit: int | None = None,
    max_concurrency: int | None = None,
    allowed_ips: list[str] | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its key. The key is returned here and nowhere else, ever."""
    key = keys.generate_key()
    token = ApiToken.objects.create(
        account=account,
        created_by=created_by,
        name=name,
        note=note,
        prefix=keys.display_prefix(key),
        secret_hash=keys.hash_key(key),
        expires_at=expires_at,
        allowed_models=list(allowed_models or []),
        spend_limit_micros=spend_limit_micros,
        rpm_limit=rpm_limit,
        max_concurrency=max_concurrency,
        allowed_ips=list(allowed_ips or []),
    )
    return token, key


@transaction.atomic
def update_token(token: ApiToken, **changes) -> ApiToken:
    """Change a token's name, note, expiry or limits. Revoked tokens stay as they were."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    token = _locked(token)
    if token.is_revoked(timezone.now()):
        raise TokenStateError("This token is revoked; revoked tokens cannot be changed.")
    for field, value in changes.items():
        setattr(token, field, value)
    token.save(update_fields=list(changes) or None)
    return token


@transaction.atomic
def revoke_token(token: ApiToken) -> ApiToken:
    """Revoke the token and any previous key still in its grace period; idempotent."""
    token = _locked(token)
    now = timezone.now()
    if token.is_revoked(now):
        return token
    token.revoked_at = now
    if token.previous_valid_until is not None and token.previous_valid_until > now:
        token.previous_valid_until = now
    token.save(update_fields=["revoked_at", "previous_valid_until"])
    return token


@transaction.atomic
def rotate_token(token: ApiToken, grace_seconds: int = 0) -> tuple[ApiToken, str]:
    """Give the token a new key, same settings. The current key stops working at once, or
    after `grace_seconds` (at most a day) so running services can switch; a key still in the
    grace period of an earlier rotation stops at once. Returns the token and the new key."""
    token = _locked(token)
    now = timezone.now()
    if not token.is_usable(now):
        state = token.status_at(now).label.lower()
        raise TokenStateError(f"This token is {state}; only active tokens can be rotated.")
    replaced = token.known_hashes()
    key = keys.generate_key()
    if grace_seconds > 0:
        token.previous_prefix = token.prefix
        token.previous_secret_hash = token.secret_hash
        token.previous_valid_until = now + timedelta(seconds=grace_seconds)
    else:
        token.previous_prefix = ""
        token.previous_secret_hash = None
        token.previous_valid_until = None
    token.prefix = keys.display_prefix(key)
    token.secret_hash = keys.hash_key(key)
    token.rotated_at = now
    token.save(
        update_fields=[
            "prefix",
            "secret_hash",
            "previous_prefix",
            "previous_secret_hash",
            "previous_valid_until",
            "rotated_at",
        ]
    )
    invalidate_hashes(replaced)
    return token, key


def _locked(token: ApiToken) -> ApiToken:
    """The token's row, locked for this transaction and freshly read."""
    return ApiToken.objects.select_for_update().select_related("account").get(pk=token.pk)
