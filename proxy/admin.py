from django.contrib import admin

from billing.money import format_usd
from proxy.forms import ProviderForm
from proxy.models import Model, Price, Provider, Route


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    form = ProviderForm
    list_display = ["name", "kind", "base_url", "has_key", "enabled", "updated"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "base_url"]

    @admin.display(boolean=True, description="API key set")
    def has_key(self, obj: Provider) -> bool:
        return bool(obj.api_key_encrypted)


class RouteInline(admin.TabularInline):
    model = Route
    extra = 0
    fields = ["provider", "upstream_model", "priority", "weight", "enabled"]


class PriceInline(admin.TabularInline):
    model = Price
    extra = 0
    fields = [
        "effective_from",
        "input_per_mtok_micros",
        "output_per_mtok_micros",
        "cached_input_per_mtok_micros",
        "cache_write_per_mtok_micros",
        "per_image_micros",
        "per_audio_minute_micros",
        "per_mchar_micros",
        "created_by",
    ]
    readonly_fields = ["created_by"]
    ordering = ["-effective_from"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # prices are history: add a new one instead of editing


@admin.register(Model)
class ModelAdmin(admin.ModelAdmin):
    list_display = ["public_id", "display_name", "enabled", "public", "price", "route_count"]
    list_filter = ["enabled", "public"]
    search_fields = ["public_id", "display_name"]
    filter_horizontal = ["granted_accounts"]
    inlines = [RouteInline, PriceInline]

    @admin.display(description="Price in / out per 1M")
    def price(self, obj: Model) -> str:
        current = obj.current_price()
        if current is None:
            return "—"
        return (
            f"{format_usd(current.input_per_mtok_micros, places=6)} / "
            f"{format_usd(current.output_per_mtok_micros, places=6)}"
        )

    @admin.display(description="Routes")
    def route_count(self, obj: Model) -> int:
        return obj.routes.count()

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, Price) and instance.created_by_id is None:
                instance.created_by = request.user
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ["model", "provider", "upstream_model", "priority", "weight", "enabled"]
    list_filter = ["provider", "enabled"]
    search_fields = ["model__public_id", "upstream_model"]
