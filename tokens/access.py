"""Who may do what with tokens, on top of accounts.access (which answers 404 across accounts).

Every member of an account sees all its tokens; owners and admins manage all of them, members
only the ones they created.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied

from accounts.access import current_membership, get_scoped_or_404
from accounts.models import Account, Membership
from proxy.models import Model
from tokens.models import ApiToken


def may_manage(membership: Membership | None, token: ApiToken) -> bool:
    """Whether `membership` may edit, rotate or revoke `token`."""
    if membership is None or membership.account_id != token.account_id:
        return False
    return membership.can_manage or token.created_by_id == membership.user_id


def get_token_or_404(request, pk) -> ApiToken:
    """A token of the current account (any member may look at it); 404 otherwise."""
    return get_scoped_or_404(request, ApiToken.objects.select_related("created_by"), pk=pk)


def get_manageable_token_or_404(request, pk) -> ApiToken:
    """A token of the current account that the user may change: 404 for another account's
    token, PermissionDenied (403) for a member's attempt on someone else's token."""
    token = get_token_or_404(request, pk)
    if not may_manage(current_membership(request), token):
        raise PermissionDenied("Only owners and admins can change tokens created by someone else.")
    return token


def model_choices(account: Account, keep: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(model id, label) for the allowlist: the account's enabled models, plus any in `keep`
    (a token's current allowlist) that are no longer enabled, so that editing a token never
    silently drops them and widens what it may call."""
    choices = [
        (m.public_id, m.display_name or m.public_id)
        for m in Model.objects.for_account(account.pk).order_by("public_id")
    ]
    known = {model_id for model_id, _ in choices}
    choices += [
        (model_id, f"{model_id} (unavailable)") for model_id in keep if model_id not in known
    ]
    return choices
