"""Creating accounts and memberships."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Account, Membership, User


@transaction.atomic
def create_personal_account(user: User) -> Account:
    """Create `user`'s personal account with them as owner; idempotent."""
    existing = Account.objects.filter(personal_for=user).first()
    if existing:
        return existing
    account = Account.objects.create(name=user.email, personal_for=user)
    Membership.objects.create(user=user, account=account, role=Membership.Role.OWNER)
    return account
