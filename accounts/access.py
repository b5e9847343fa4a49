"""The only way to tenant data: the request's current account and querysets scoped by it.

Views never filter by account by hand. They call `scoped()` or `get_scoped_or_404()`, so an
object of another account is simply not found (404), never forbidden (403), which would confirm
that it exists.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from accounts.models import Account, Membership

SESSION_KEY = "tollgate_account_id"
_CACHE_ATTR = "_tollgate_membership"

M = TypeVar("M", bound=Model)


def _http_request(request) -> HttpRequest:
    # DRF wraps the HttpRequest; cache on the underlying one so both views share it.
    return getattr(request, "_request", request)


def memberships_of(user) -> QuerySet[Membership]:
    """Every membership of `user`, with the account, personal account first."""
    return (
        Membership.objects.filter(user=user)
        .select_related("account")
        .order_by("-account__personal_for", "account__name", "id")
    )


def current_membership(request) -> Membership | None:
    """The membership of the signed-in user in the account they are working in.

    The account chosen with `switch_account()` is kept in the session; without a choice (or when
    the chosen membership no longer exists) it is the user's personal account.
    """
    http = _http_request(request)
    if hasattr(http, _CACHE_ATTR):
        return getattr(http, _CACHE_ATTR)
    membership = None
    user = getattr(http, "user", None)
    if user is not None and user.is_authenticated:
        memberships = memberships_of(user)
        chosen = http.session.get(SESSION_KEY)
        if chosen is not None:
            membership = memberships.filter(account_id=chosen).first()
        if membership is None:
            membership = memberships.first()
    setattr(http, _CACHE_ATTR, membership)
    return membership


def current_account(request) -> Account:
    """The account the request works in; 404 when the user belongs to none."""
    membership = current_membership(request)
    if membership is None:
        raise Http404("You are not a member of any account.")
    return membership.account


def switch_account(request, account_id: int) -> Membership:
    """Make `account_id` the current account, if the user is a member of it (404 otherwise)."""
    http = _http_request(request)
    membership = memberships_of(http.user).filter(account_id=account_id).first()
    if membership is None:
        raise Http404("No such account.")
    http.session[SESSION_KEY] = membership.account_id
    setattr(http, _CACHE_ATTR, membership)
    return membership


def scoped(request, source: type[M] | QuerySet[M]) -> QuerySet[M]:
    """`source` (a model or queryset with an `account` field) limited to the current account."""
    queryset = source._default_manager.all() if isinstance(source, type) else source
    return queryset.filter(account=current_account(request))


def get_scoped_or_404(request, source: type[M] | QuerySet[M], **lookup) -> M:
    """One object of the current account, or 404 (also for objects of other accounts)."""
    try:
        return scoped(request, source).get(**lookup)
    except (scoped(request, source).model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found.") from None


def require_manager(request) -> Membership:
    """The current membership if it is an owner or admin; PermissionDenied otherwise."""
    membership = current_membership(request)
    if membership is None or not membership.can_manage:
        raise PermissionDenied("Only owners and admins of this account can do that.")
    return membership


class AccountScopedMixin:
    """For DRF views: the queryset is the view's `queryset` limited to the current account, and
    new objects are created in the current account."""

    queryset: QuerySet

    def get_queryset(self):
        return scoped(self.request, self.queryset)

    def perform_create(self, serializer) -> None:
        serializer.save(account=current_account(self.request))
