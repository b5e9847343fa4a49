"""The dashboard home, the Usage page and its CSV export, the request log and the profile.

Every view reads through accounts.access (the current account only) and renders in the user's
time zone. Any member may look; only owners and admins are offered to buy credits.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from accounts import access
from proxy.models import Model
from usage import balance, exports, overview, periods, reports, requestlog
from usage.forms import RequestLogFilterForm, TimeZoneForm, UsageFilterForm
from usage.models import UsageRecord, UserPreference
from usage.preferences import in_user_time_zone


@login_required
@require_GET
@in_user_time_zone
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = access.current_membership(request)
    account = access.current_account(request)
    available = balance.available_micros(account)
    summary = reports.summarize(account.id, request.time_zone)
    context = {
        "membership": membership,
        "account": account,
        "summary": summary,
        "periods": [
            ("Spend today", summary.today, "spend-today"),
            ("Last 7 days", summary.week, "spend-week"),
            ("Last 30 days", summary.month, "spend-month"),
        ],
        "available_micros": available,
        "low_balance": reports.is_low_balance(account, available),
        "buy_url": _url_or_none("billing-index") if membership.can_manage else None,
        "new_account": not reports.has_usage(account.id),
        "tokens_url": _url_or_none("tokens-create") or _url_or_none("tokens-list"),
        "first_model": _first_model(account.id),
    }
    return render(request, "accounts/dashboard.html", context)


@login_required
@require_GET
@in_user_time_zone
def usage_index(request: HttpRequest) -> HttpResponse:
    account = access.current_account(request)
    form, report, choices = _filtered_report(request, account)
    series = report.series()
    tables = [series, report.by_model(), report.by_token(choices.token_labels)]
    context = {
        "form": form,
        "selection": report.selection,
        "tables": tables,
        "total": tables[1].total,
        "chart": exports.chart_data(series),
        "export_query": _export_query(report.selection),
        "presets": _presets(form.today, report.selection),
    }
    return render(request, "usage/index.html", context)


@login_required
@require_GET
@in_user_time_zone
def usage_export(request: HttpRequest) -> HttpResponse:
    """The CSV of one table of the Usage page, with the same filters."""
    account = access.current_account(request)
    form, report, choices = _filtered_report(request, account)
    if not form.is_valid():
        return HttpResponse(
            "Invalid filters.", status=400, content_type="text/plain; charset=utf-8"
        )
    builders = {
        "series": report.series,
        "models": report.by_model,
        "tokens": lambda: report.by_token(choices.token_labels),
    }
    name = request.GET.get("table", "series")
    if name not in builders:
        raise Http404("No such table.")
    selection = report.selection
    filename = f"usage-{name}-{selection.first}-{selection.last}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    exports.write_csv(response, builders[name]())
    return response


@login_required
@require_GET
@in_user_time_zone
def request_log(request: HttpRequest) -> HttpResponse:
    account = access.current_account(request)
    choices = reports.account_choices(account.id)
    form = RequestLogFilterForm(request.GET, tokens=choices.tokens, models=choices.models)
    records = form.apply(access.scoped(request, UsageRecord))
    page = requestlog.page_of(
        records,
        before=requestlog.parse_cursor(request.GET.get("before")),
        after=requestlog.parse_cursor(request.GET.get("after")),
    )
    filters = {k: v for k, v in request.GET.items() if k not in {"before", "after"} and v}
    context = {
        "form": form,
        "page": page,
        "rows": [(r, choices.token_labels.get(r.token_id)) for r in page.records],
        "older_query": urlencode({**filters, "before": page.older}) if page.older else None,
        "newer_query": urlencode({**filters, "after": page.newer}) if page.newer else None,
    }
    return render(request, "usage/requests.html", context)


@login_required
@require_GET
@in_user_time_zone
def request_detail(request: HttpRequest, request_id: str) -> HttpResponse:
    record = access.get_scoped_or_404(
        request, UsageRecord.objects.select_related("token"), request_id=request_id
    )
    return render(request, "usage/request.html", {"record": record})


@login_required
@require_http_methods(["GET", "POST"])
@in_user_time_zone
def profile(request: HttpRequest) -> HttpResponse:
    preference = UserPreference.objects.filter(user=request.user).first()
    preference = preference or UserPreference(user=request.user)
    form = TimeZoneForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved your time zone.")
        return redirect("usage-profile")
    return render(request, "usage/profile.html", {"form": form})


STAFF_SPANS = (1, 7, 30, 90)


@login_required
@require_GET
@in_user_time_zone
def staff_overview(request: HttpRequest) -> HttpResponse:
    """Every account's figures: staff only (404 for anyone else, like any unknown page)."""
    if not request.user.is_staff:
        raise Http404("Not found.")
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    days = days if days in STAFF_SPANS else 30
    today = reports.today_in(request.time_zone)
    selection = reports.Selection(None, today - periods.DAY * (days - 1), today, request.time_zone)
    context = {"overview": overview.build_overview(selection), "days": days, "spans": STAFF_SPANS}
    return render(request, "usage/staff.html", context)


def _filtered_report(request: HttpRequest, account):
    choices = reports.account_choices(account.id)
    today = reports.today_in(request.time_zone)
    form = UsageFilterForm(request.GET, today=today, tokens=choices.tokens, models=choices.models)
    report = reports.Report(form.selection(account.id, request.time_zone))
    return form, report, choices


def _export_query(selection: reports.Selection) -> str:
    """The filters in effect (not the raw query string), so the CSV is what the page shows."""
    return urlencode(_query(selection, selection.first, selection.last))


def _presets(today, selection: reports.Selection) -> list[tuple[str, str]]:
    """Quick ranges for the filter bar, keeping the token and model: (label, query string)."""
    spans = [("Today", 1), ("2 days", 2), ("7 days", 7), ("30 days", 30), ("90 days", 90)]
    return [
        (label, urlencode(_query(selection, today - periods.DAY * (n - 1), today)))
        for label, n in spans
    ]


def _query(selection: reports.Selection, first, last) -> dict:
    query = {"first": first.isoformat(), "last": last.isoformat()}
    if selection.token_ids:
        query["token"] = selection.token_ids[0]
    if selection.models:
        query["model"] = selection.models[0]
    return query


def _first_model(account_id: int) -> str:
    model = Model.objects.for_account(account_id).order_by("public_id").first()
    return model.public_id if model else "MODEL"


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None
