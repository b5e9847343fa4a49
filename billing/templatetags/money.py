from django import template

from billing.money import format_usd

register = template.Library()


@register.filter
def usd(micros: int | None, places: int = 2) -> str:
    """{{ amount_micros|usd }} -> "$12.35"; {{ amount_micros|usd:6 }} -> "$12.345678"."""
    if micros is None:
        return "—"
    return format_usd(int(micros), places=int(places))
