from django.contrib import admin

from billing.money import format_usd
from usage.models import UsageRecord


@admin.register(UsageRecord)
class UsageRecordAdmin(admin.ModelAdmin):
    """Usage records are facts about requests: staff read them, nobody edits them."""

    list_display = [
        "request_id",
        "created_at",
        "account",
        "model",
        "provider",
        "status_code",
        "input_tokens",
        "output_tokens",
        "cost",
        "usage_estimated",
        "settled",
    ]
    list_filter = [
        "status_code",
        "client_protocol",
        "endpoint",
        "stream",
        "usage_estimated",
        "settled",
        "provider",
    ]
    search_fields = ["request_id", "upstream_request_id", "model", "account__name"]
    date_hierarchy = "created_at"
    list_select_related = ["account"]

    @admin.display(description="Cost", ordering="cost_micros")
    def cost(self, obj: UsageRecord) -> str:
        return format_usd(obj.cost_micros, places=6)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
