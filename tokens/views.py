"""The Tokens page: list, create, view, edit, rotate, revoke.

The key is rendered only in the response to the create or rotate POST, never redirected to, and
never put in the session or a message. Each form carries a one-time value, so resubmitting that
POST (a reload) creates or rotates nothing and shows no key.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import current_account, current_membership, scoped
from tokens import access, lifecycle
from tokens.forms import RotateForm, TokenForm
from tokens.models import ApiToken

_ONCE_SESSION_KEY = "tokens_form_once"
_ONCE_KEEP = 20


@login_required
@require_GET
def token_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    tokens = scoped(request, ApiToken).select_related("created_by")
    rows = [(token, access.may_manage(membership, token)) for token in tokens]
    return render(request, "tokens/list.html", {"rows": rows, "now": timezone.now()})


@login_required
@require_http_methods(["GET", "POST"])
def token_create(request: HttpRequest) -> HttpResponse:
    account = current_account(request)
    form = TokenForm(request.POST or None, model_choices=access.model_choices(account))
    if request.method == "POST" and form.is_valid():
        if not _consume_once(request):
            return _already_submitted(request)
        token, key = lifecycle.create_token(account, request.user, **form.token_settings())
        return _show_key(request, token, key, rotated=False)
    return render(request, "tokens/form.html", {"form": form, "once": _issue_once(request)})


@login_required
@require_GET
def token_detail(request: HttpRequest, pk: int) -> HttpResponse:
    token = access.get_token_or_404(request, pk)
    context = {
        "token": token,
        "may_manage": access.may_manage(current_membership(request), token),
        "now": timezone.now(),
    }
    return render(request, "tokens/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def token_edit(request: HttpRequest, pk: int) -> HttpResponse:
    token = access.get_manageable_token_or_404(request, pk)
    if token.is_revoked(timezone.now()):
        messages.error(request, "Revoked tokens cannot be changed.")
        return redirect("tokens-detail", pk=token.pk)
    choices = access.model_choices(token.account, keep=token.allowed_models)
    form = TokenForm(request.POST or None, model_choices=choices, token=token)
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.update_token(token, **form.token_settings())
        except lifecycle.TokenStateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Saved {form.cleaned_data['name']}.")
        return redirect("tokens-list")
    return render(request, "tokens/form.html", {"form": form, "token": token})


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = access.get_manageable_token_or_404(request, pk)
    if request.method == "POST":
        lifecycle.revoke_token(token)
        messages.success(request, f"Revoked {token.name}. Its key no longer works.")
        return redirect("tokens-list")
    return render(request, "tokens/revoke.html", {"token": token, "now": timezone.now()})


@login_required
@require_http_methods(["GET", "POST"])
def token_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    token = access.get_manageable_token_or_404(request, pk)
    form = RotateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _consume_once(request):
            return _already_submitted(request)
        grace_seconds = form.cleaned_data["grace_minutes"] * 60
        try:
            token, key = lifecycle.rotate_token(token, grace_seconds)
        except lifecycle.TokenStateError as exc:
            messages.error(request, str(exc))
            return redirect("tokens-detail", pk=token.pk)
        return _show_key(request, token, key, rotated=True)
    context = {"token": token, "form": form, "once": _issue_once(request), "now": timezone.now()}
    return render(request, "tokens/rotate.html", context)


def _show_key(request: HttpRequest, token: ApiToken, key: str, *, rotated: bool) -> HttpResponse:
    response = render(request, "tokens/key.html", {"token": token, "key": key, "rotated": rotated})
    add_never_cache_headers(response)
    return response


def _issue_once(request: HttpRequest) -> str:
    value = secrets.token_urlsafe(16)
    outstanding = request.session.get(_ONCE_SESSION_KEY, [])[-(_ONCE_KEEP - 1) :]
    request.session[_ONCE_SESSION_KEY] = [*outstanding, value]
    return value


def _consume_once(request: HttpRequest) -> bool:
    value = request.POST.get("once", "")
    outstanding = request.session.get(_ONCE_SESSION_KEY, [])
    if value not in outstanding:
        return False
    outstanding.remove(value)
    request.session[_ONCE_SESSION_KEY] = outstanding
    return True


def _already_submitted(request: HttpRequest) -> HttpResponse:
    messages.warning(
        request,
        "That form was already submitted, and a key is shown only once. "
        "If you did not copy it, rotate the token to get a new key.",
    )
    return redirect("tokens-list")
