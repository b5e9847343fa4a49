from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from accounts.access import current_membership, memberships_of

# The navigation; pages of later features appear as soon as their URL exists.
NAV = [
    ("Dashboard", "dashboard"),
    ("Tokens", "tokens-list"),
    ("Billing", "billing-index"),
    ("Usage", "usage-index"),
    ("Models", "models-pricing"),
    ("Docs", "docs-index"),
]


def navigation(request: HttpRequest) -> list[dict]:
    items = []
    for label, name in NAV:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return items


def site(request: HttpRequest) -> dict:
    context = {"SITE_NAME": settings.SITE_NAME, "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["nav_items"] = navigation(request)
        context["current_membership"] = current_membership(request)
        context["all_memberships"] = list(memberships_of(user))
    else:
        context["nav_items"] = [i for i in navigation(request) if i["label"] in ("Models", "Docs")]
    return context
