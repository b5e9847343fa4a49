from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts import access
from billing import redemption, stripe_checkout, webhooks
from billing.forms import CheckoutForm, RedeemForm
from billing.models import CreditPack, LedgerEntry, Purchase
from billing.money import format_usd

logger = logging.getLogger(__name__)


def _render_index(request: HttpRequest, redeem_form: RedeemForm, status: int = 200):
    context = {
        "membership": access.current_membership(request),
        "account": access.current_account(request),
        "packs": CreditPack.objects.filter(active=True),
        "purchases_enabled": stripe_checkout.purchases_enabled(),
        "redeem_form": redeem_form,
        "entries": access.scoped(request, LedgerEntry)[:20],
    }
    return render(request, "billing/index.html", context, status=status)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _render_index(request, RedeemForm())


@login_required
@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    membership = access.require_manager(request)
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["pack"]))
        return redirect("billing-index")
    try:
        purchase = stripe_checkout.start_checkout(
            membership.account,
            form.cleaned_data["pack"],
            user=request.user,
            site_url=request.build_absolute_uri("/"),
        )
    except stripe_checkout.CheckoutError as exc:
        messages.error(request, str(exc))
        return redirect("billing-index")
    return redirect(purchase.checkout_url)


@login_required
@require_POST
def redeem(request: HttpRequest) -> HttpResponse:
    form = RedeemForm(request.POST)
    if form.is_valid():
        account = access.current_account(request)
        try:
            done = redemption.redeem_code(account, request.user, form.cleaned_data["code"])
        except redemption.RedemptionError as exc:
            form.add_error("code", str(exc))
        else:
            messages.success(
                request, f"Code redeemed: {format_usd(done.entry.amount_micros)} added."
            )
            return redirect("billing-index")
    return _render_index(request, form, status=400)


@login_required
@require_GET
def purchases(request: HttpRequest) -> HttpResponse:
    access.require_manager(request)
    queryset = access.scoped(request, Purchase).select_related("pack")
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(request, "billing/purchases.html", {"page": page})


@login_required
@require_GET
def purchase(request: HttpRequest, purchase_id: int) -> HttpResponse:
    """Where Checkout returns to: "processing" until the webhook has credited."""
    access.require_manager(request)
    item = access.get_scoped_or_404(
        request, Purchase.objects.select_related("pack"), pk=purchase_id
    )
    context = {"purchase": item, "account": access.current_account(request)}
    return render(request, "billing/purchase.html", context)


@login_required
@require_GET
def purchase_cancel(request: HttpRequest, purchase_id: int) -> HttpResponse:
    access.require_manager(request)
    item = access.get_scoped_or_404(
        request, Purchase.objects.select_related("pack"), pk=purchase_id
    )
    return render(request, "billing/cancel.html", {"purchase": item})


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = webhooks.verify_event(request.body, request.headers.get("Stripe-Signature"))
    except webhooks.InvalidEvent as exc:
        logger.warning("Stripe webhook refused: %s", exc)
        return HttpResponseBadRequest("Invalid Stripe event or signature.")
    record, created = webhooks.process_event(event)
    return JsonResponse({"received": True, "duplicate": not created, "outcome": record.outcome})
