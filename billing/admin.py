from __future__ import annotations

import uuid

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count
from django.template.response import TemplateResponse

from billing.forms import GrantCreditsForm, UsdAmountField
from billing.grants import grant_credits
from billing.ledger import LedgerError
from billing.models import (
    CreditPack,
    LedgerEntry,
    Purchase,
    Redemption,
    RedemptionCode,
    StripeEvent,
)
from billing.money import format_usd

# Field -> the smallest amount staff may enter, in micro-USD.
USD_FIELDS = {"credits_micros": 1, "value_micros": 1, "low_balance_threshold_micros": 0}


class UsdFieldsMixin:
    """Staff edit `*_micros` fields in dollars."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in USD_FIELDS:
            name = db_field.verbose_name.replace("(micro-USD)", "").replace(" micros", "").strip()
            return UsdAmountField(
                label=f"{name[:1].upper()}{name[1:]} (USD)",
                help_text=db_field.help_text,
                minimum_micros=USD_FIELDS[db_field.name],
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.action(description="Grant or deduct credits…", permissions=["change"])
def grant_credits_action(modeladmin, request, queryset):
    """Post one adjustment per selected account, with the staff member and the note on it."""
    if "apply" in request.POST:
        form = GrantCreditsForm(request.POST)
        if form.is_valid():
            _grant_to_each(modeladmin, request, queryset, form.cleaned_data)
            return None  # back to the change list
    else:
        form = GrantCreditsForm(initial={"grant_id": uuid.uuid4()})
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Grant or deduct credits",
        "form": form,
        "accounts": queryset,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "billing/admin_grant_credits.html", context)


def _grant_to_each(modeladmin, request, queryset, data: dict) -> None:
    done = 0
    for account in queryset:
        try:
            grant_credits(
                account,
                data["amount_usd"],
                note=data["note"],
                granted_by=request.user,
                reference="admin",
                idempotency_key=f"adjustment:{data['grant_id']}:{account.pk}",
            )
        except LedgerError as exc:
            modeladmin.message_user(request, f"{account}: not changed ({exc}).", messages.ERROR)
        else:
            done += 1
    amount = format_usd(data["amount_usd"], places=6)
    modeladmin.message_user(request, f"Posted {amount} to {done} account(s).", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    """Append-only: staff read entries here and post adjustments with the Accounts action."""

    list_display = [
        "created",
        "account",
        "kind",
        "amount",
        "balance_after",
        "reference",
        "created_by",
    ]
    list_filter = ["kind", "created"]
    search_fields = ["account__name", "idempotency_key", "reference", "note"]
    list_select_related = ["account", "created_by"]
    date_hierarchy = "created"

    @admin.display(description="Amount", ordering="amount_micros")
    def amount(self, obj: LedgerEntry) -> str:
        return format_usd(obj.amount_micros, places=6)

    @admin.display(description="Balance after", ordering="balance_after_micros")
    def balance_after(self, obj: LedgerEntry) -> str:
        return format_usd(obj.balance_after_micros, places=6)


@admin.register(CreditPack)
class CreditPackAdmin(UsdFieldsMixin, admin.ModelAdmin):
    list_display = ["name", "price_display", "credits", "active", "sort_order", "stripe_price_id"]
    list_editable = ["active", "sort_order"]
    list_filter = ["active"]

    @admin.display(description="Credits", ordering="credits_micros")
    def credits(self, obj: CreditPack) -> str:
        return format_usd(obj.credits_micros)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # purchases point at packs: deactivate instead


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    """Stripe webhooks drive a purchase; staff may only annotate it."""

    list_display = ["pk", "created", "account", "pack", "amount_display", "credits", "status"]
    list_filter = ["status", "created"]
    search_fields = ["account__name", "stripe_session_id", "stripe_payment_intent_id"]
    list_select_related = ["account", "pack"]
    readonly_fields = [f.name for f in Purchase._meta.fields if f.name != "note"]

    @admin.display(description="Credits", ordering="credits_micros")
    def credits(self, obj: Purchase) -> str:
        return format_usd(obj.credits_micros)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["received", "type", "stripe_id", "outcome", "note"]
    list_filter = ["outcome", "type"]
    search_fields = ["stripe_id", "note"]


class RedemptionInline(admin.TabularInline):
    model = Redemption
    extra = 0
    can_delete = False
    fields = readonly_fields = ["account", "user", "created"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RedemptionCode)
class RedemptionCodeAdmin(UsdFieldsMixin, admin.ModelAdmin):
    list_display = ["code", "value", "used", "max_redemptions", "expires_at", "active", "note"]
    list_filter = ["active"]
    search_fields = ["code", "note"]
    readonly_fields = ["created_by", "created"]
    inlines = [RedemptionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(used_count=Count("redemptions"))

    @admin.display(description="Value", ordering="value_micros")
    def value(self, obj: RedemptionCode) -> str:
        return format_usd(obj.value_micros)

    @admin.display(description="Used", ordering="used_count")
    def used(self, obj: RedemptionCode) -> int:
        return obj.used_count

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # redemptions point at codes: deactivate instead
