"""Creating accounts and memberships."""

from __future__ import annotations

from django.conf import settings
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
    grant_welcome_credit(account)
    return account


def grant_welcome_credit(account: Account) -> None:
    """SIGNUP_CREDIT_USD for a new personal account (0 by default; `make run` gives $5 so the
    offline demo model can be tried at once). Posted once per account."""
    from billing.ledger import post_entry
    from billing.money import usd_to_micros

    micros = usd_to_micros(settings.SIGNUP_CREDIT_USD)
    if micros > 0:
        post_entry(
            account,
            micros,
            "adjustment",
            idempotency_key=f"welcome:{account.pk}",
            note="Welcome credit (SIGNUP_CREDIT_USD)",
        )
