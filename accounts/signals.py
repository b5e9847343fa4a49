"""Every new user gets a personal account that they own, however the user was created."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.tenancy import create_personal_account


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts-personal-account")
def on_user_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        create_personal_account(instance)
