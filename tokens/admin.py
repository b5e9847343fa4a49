from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.money import format_usd
from tokens import lifecycle, limits
from tokens.models import ApiToken


class ApiTokenAdminForm(forms.ModelForm):
    """The same checks as the Tokens page for what staff may edit here."""

    class Meta:
        model = ApiToken
        fields = [
            "name",
            "note",
            "expires_at",
            "allowed_models",
            "spend_limit_micros",
            "rpm_limit",
            "max_concurrency",
            "allowed_ips",
        ]

    def clean_name(self) -> str:
        return limits.clean_name(self.cleaned_data.get("name"))

    def clean_allowed_ips(self) -> list[str]:
        return limits.clean_networks(_string_list(self.cleaned_data.get("allowed_ips")))

    def clean_allowed_models(self) -> list[str]:
        values = _string_list(self.cleaned_data.get("allowed_models"))
        return limits.clean_models(values, available=values)


def _string_list(value) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError('Enter a JSON list of strings, e.g. ["10.0.0.0/8"].')
    return value


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created on the Tokens page or with `create_token`; the admin never sees a
    key and never shows the hashes."""

    list_display = ["name", "prefix", "account", "status", "created_at", "last_used_at", "spend"]
    list_filter = ["created_at", "revoked_at"]
    search_fields = ["name", "prefix", "account__name", "created_by__email"]
    list_select_related = ["account"]
    form = ApiTokenAdminForm
    fields = [
        "account",
        "name",
        "note",
        "prefix",
        "created_by",
        "created_at",
        "rotated_at",
        "previous_prefix",
        "previous_valid_until",
        "last_used_at",
        "revoked_at",
        "expires_at",
        "allowed_models",
        "spend_limit_micros",
        "spent_micros",
        "rpm_limit",
        "max_concurrency",
        "allowed_ips",
    ]
    readonly_fields = [
        "account",
        "prefix",
        "created_by",
        "created_at",
        "rotated_at",
        "previous_prefix",
        "previous_valid_until",
        "last_used_at",
        "revoked_at",
        "spent_micros",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="Status")
    def status(self, token: ApiToken) -> str:
        return token.status_at(timezone.now()).label

    @admin.display(description="Spent / limit")
    def spend(self, token: ApiToken) -> str:
        limit = format_usd(token.spend_limit_micros) if token.spend_limit_micros else "no limit"
        return f"{format_usd(token.spent_micros)} / {limit}"

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        for token in queryset:
            lifecycle.revoke_token(token)
        messages.success(request, f"Revoked {queryset.count()} token(s).")
