"""The Tokens page's forms. Limits come from tokens.limits, so the page, the API and the
`create_token` command refuse the same things with the same messages."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone

from billing.money import MICROS_PER_USD, usd_to_micros
from tokens import limits
from tokens.models import ApiToken

_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class TokenForm(forms.Form):
    """Create a token, or edit one (`token=`): name, note, expiry and limits."""

    name = forms.CharField(
        max_length=limits.NAME_MAX_LENGTH,
        error_messages={"required": "Give the token a name."},
        help_text="Where the key is used, e.g. “Laptop, Cursor” or “CI”.",
    )
    expires_at = forms.DateTimeField(
        label="Expires (UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_DATETIME_LOCAL),
        help_text="Empty: never.",
    )
    allowed_models = forms.MultipleChoiceField(
        label="Models",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every model enabled for the account.",
    )
    spend_limit_usd = forms.DecimalField(
        label="Spend limit (USD)",
        required=False,
        min_value=Decimal(limits.MIN_SPEND_LIMIT_MICROS) / MICROS_PER_USD,
        max_value=Decimal(limits.MAX_SPEND_LIMIT_MICROS) / MICROS_PER_USD,
        max_digits=13,
        decimal_places=6,
        help_text="Empty: no limit beyond the account's balance.",
    )
    rpm_limit = forms.IntegerField(
        label="Requests per minute",
        required=False,
        min_value=1,
        max_value=limits.MAX_RPM,
    )
    max_concurrency = forms.IntegerField(
        label="Concurrent requests",
        required=False,
        min_value=1,
        max_value=limits.MAX_CONCURRENCY,
    )
    allowed_ips = forms.CharField(
        label="Allowed IPs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "203.0.113.7\n10.0.0.0/8"}),
        help_text="IP addresses or CIDR ranges, one per line. Empty: any address.",
    )
    note = forms.CharField(
        required=False,
        max_length=limits.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, model_choices: list[tuple[str, str]], token=None, **kwargs):
        self.token = token
        if token is not None:
            kwargs.setdefault("initial", initial_from(token))
        super().__init__(*args, **kwargs)
        self.fields["allowed_models"].choices = model_choices

    def clean_name(self) -> str:
        return limits.clean_name(self.cleaned_data.get("name"))

    def clean_expires_at(self) -> datetime | None:
        value = self.cleaned_data.get("expires_at")
        current = self.token.expires_at if self.token is not None else None
        # Editing other fields of a token whose expiry passed keeps that expiry as it was (the
        # widget shows minutes only, so compare to the minute).
        if value is not None and current is not None and _minute(value) == _minute(current):
            return current
        return limits.clean_expiry(value, timezone.now())

    def clean_allowed_models(self) -> list[str]:
        available = [model_id for model_id, _ in self.fields["allowed_models"].choices]
        return limits.clean_models(self.cleaned_data.get("allowed_models") or [], available)

    def clean_allowed_ips(self) -> list[str]:
        return limits.clean_networks(
            limits.parse_network_list(self.cleaned_data.get("allowed_ips"))
        )

    def token_settings(self) -> dict:
        """The cleaned values as lifecycle.create_token/update_token take them."""
        data = self.cleaned_data
        spend_usd = data["spend_limit_usd"]
        return {
            "name": data["name"],
            "note": data["note"],
            "expires_at": data["expires_at"],
            "allowed_models": data["allowed_models"],
            "spend_limit_micros": usd_to_micros(spend_usd) if spend_usd is not None else None,
            "rpm_limit": data["rpm_limit"],
            "max_concurrency": data["max_concurrency"],
            "allowed_ips": data["allowed_ips"],
        }


class RotateForm(forms.Form):
    grace_minutes = forms.IntegerField(
        label="Keep the current key working for (minutes)",
        min_value=0,
        max_value=limits.MAX_GRACE_SECONDS // 60,
        initial=0,
        help_text="0 revokes it at once; up to 1440 (24 hours) lets running services switch.",
        error_messages={
            "min_value": "The grace period must be between 0 and 24 hours (0 to 1440 minutes).",
            "max_value": "The grace period must be between 0 and 24 hours (0 to 1440 minutes).",
        },
    )


def initial_from(token: ApiToken) -> dict:
    expires = token.expires_at
    return {
        "name": token.name,
        "note": token.note,
        "expires_at": timezone.localtime(expires) if expires else None,
        "allowed_models": list(token.allowed_models),
        "spend_limit_usd": (
            Decimal(token.spend_limit_micros) / MICROS_PER_USD
            if token.spend_limit_micros is not None
            else None
        ),
        "rpm_limit": token.rpm_limit,
        "max_concurrency": token.max_concurrency,
        "allowed_ips": "\n".join(token.allowed_ips),
    }


def _minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)
