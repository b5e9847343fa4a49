"""Cache invalidation on every change that affects what a key may do."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Account
from tokens.lookup import invalidate, invalidate_account
from tokens.models import ApiToken


@receiver(post_save, sender=ApiToken, dispatch_uid="tokens-invalidate-on-save")
@receiver(post_delete, sender=ApiToken, dispatch_uid="tokens-invalidate-on-delete")
def on_token_changed(
    sender, instance: ApiToken, created: bool = False, raw: bool = False, **kwargs
) -> None:
    # A new key cannot be in any cache yet: nobody knew it before this response.
    if not created and not raw:
        invalidate(instance)


@receiver(post_save, sender=Account, dispatch_uid="tokens-invalidate-on-account-save")
def on_account_saved(
    sender, instance: Account, created: bool, raw: bool = False, update_fields=None, **kwargs
) -> None:
    """A suspended (or reactivated) account's keys must change state on /v1 within seconds.
    Saves that name their fields and leave out `status` (balance updates) are skipped."""
    if created or raw:
        return
    if update_fields is not None and "status" not in update_fields:
        return
    invalidate_account(instance.pk)
