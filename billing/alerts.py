"""E-mails about an account's money, sent to the people who manage it."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Account, Membership
from billing.money import format_usd


def managers_emails(account: Account) -> list[str]:
    """The e-mail addresses of the account's owners and admins."""
    roles = [Membership.Role.OWNER, Membership.Role.ADMIN]
    memberships = account.memberships.filter(role__in=roles, user__is_active=True)
    return sorted(memberships.values_list("user__email", flat=True))


def send_low_balance_email(account_id: int) -> int:
    """Tell the managers that the balance dropped below the threshold; returns the number of
    messages sent (0 when the account is gone or no longer low)."""
    account = Account.objects.filter(pk=account_id).first()
    if account is None or account.low_balance_notified_at is None:
        return 0  # the balance rose again before the task ran
    recipients = managers_emails(account)
    if not recipients:
        return 0
    context = {
        "account": account,
        "balance": format_usd(account.balance_micros),
        "threshold": format_usd(account.low_balance_threshold_micros),
        "billing_url": settings.PUBLIC_BASE_URL + reverse("billing-index"),
        "SITE_NAME": settings.SITE_NAME,
    }
    subject = render_to_string("emails/low-balance-subject.txt", context).strip()
    body = render_to_string("emails/low-balance-body.txt", context)
    return send_mail(subject, body, None, recipients)
