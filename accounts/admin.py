from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import Account, Membership, User
from billing.admin import UsdFieldsMixin, grant_credits_action
from billing.money import format_usd


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "account"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class FlaggedFilter(admin.SimpleListFilter):
    title = "flagged for staff"
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", "Flagged"), ("no", "Not flagged")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(flagged_reason="")
        if self.value() == "no":
            return queryset.filter(flagged_reason="")
        return queryset


@admin.register(Account)
class AccountAdmin(UsdFieldsMixin, admin.ModelAdmin):
    list_display = ["name", "status", "balance_usd", "flagged", "personal_for", "created"]
    list_filter = ["status", FlaggedFilter, "created"]
    search_fields = ["name", "personal_for__email", "memberships__user__email"]
    readonly_fields = ["balance_micros", "low_balance_notified_at", "created"]
    autocomplete_fields = ["personal_for"]
    inlines = [MembershipInline]
    actions = [grant_credits_action]

    @admin.display(description="Flagged", boolean=True, ordering="flagged_at")
    def flagged(self, obj: Account) -> bool:
        return obj.is_flagged

    @admin.display(description="Balance (USD)", ordering="balance_micros")
    def balance_usd(self, obj: Account) -> str:
        return format_usd(obj.balance_micros, places=6)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "role", "created"]
    list_filter = ["role"]
    search_fields = ["user__email", "account__name"]
    autocomplete_fields = ["user", "account"]
