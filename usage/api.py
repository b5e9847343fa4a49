"""The usage data as JSON under /api/usage/ (session auth; the current account only).

    GET /api/usage/                    the Usage page: totals, series, by model, by token
    GET /api/usage/summary/            the dashboard: balances, last 1/7/30 days, top models
    GET /api/usage/requests/           the request log, newest first (cursor pagination)
    GET /api/usage/requests/<id>/      one request

Times are in the user's time zone (their profile setting), money in integer micro-USD.
"""

from __future__ import annotations

from datetime import datetime

from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import access
from usage import balance, reports, requestlog
from usage.forms import PROTOCOLS, STATUSES, RequestLogFilterForm, UsageFilterForm
from usage.models import UsageRecord
from usage.preferences import time_zone_of


class TotalsSerializer(serializers.Serializer):
    requests = serializers.IntegerField()
    errors = serializers.IntegerField(help_text="Requests answered with status 400 or above.")
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    cached_tokens = serializers.IntegerField()
    reasoning_tokens = serializers.IntegerField()
    cost_micros = serializers.IntegerField(help_text="Micro-USD (1 USD = 1,000,000).")


class SeriesRowSerializer(TotalsSerializer):
    period = serializers.CharField(
        help_text="Start of the hour (ISO 8601 with offset) or the local day (YYYY-MM-DD)."
    )


class ModelRowSerializer(TotalsSerializer):
    model = serializers.CharField()


class TokenRowSerializer(TotalsSerializer):
    token_id = serializers.IntegerField(allow_null=True)
    token = serializers.CharField(help_text="Name and key prefix.")


class ReportSerializer(serializers.Serializer):
    first = serializers.DateField()
    last = serializers.DateField()
    time_zone = serializers.CharField()
    granularity = serializers.ChoiceField(choices=["hour", "day"])
    totals = TotalsSerializer()
    series = SeriesRowSerializer(many=True)
    by_model = ModelRowSerializer(many=True)
    by_token = TokenRowSerializer(many=True)


class SummarySerializer(serializers.Serializer):
    balance_micros = serializers.IntegerField(help_text="Settled balance.")
    available_micros = serializers.IntegerField(
        help_text="Balance less holds of requests in flight and usage not charged yet."
    )
    low_balance = serializers.BooleanField()
    time_zone = serializers.CharField()
    today = TotalsSerializer()
    last_7_days = TotalsSerializer()
    last_30_days = TotalsSerializer()
    top_models = ModelRowSerializer(many=True)


class RecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = UsageRecord
        fields = [
            "request_id",
            "created_at",
            "model",
            "token",
            "provider",
            "upstream_model",
            "route_id",
            "client_protocol",
            "endpoint",
            "stream",
            "status_code",
            "error_type",
            "latency_ms",
            "ttfb_ms",
            "input_tokens",
            "output_tokens",
            "cached_tokens",
            "reasoning_tokens",
            "usage_estimated",
            "units",
            "unit_kind",
            "cost_micros",
            "price_input_per_mtok_micros",
            "price_output_per_mtok_micros",
            "price_cached_input_per_mtok_micros",
            "upstream_request_id",
            "settled",
        ]


class RecordPageSerializer(serializers.Serializer):
    results = RecordSerializer(many=True)
    older = serializers.CharField(
        allow_null=True, help_text="Pass as `before` for the next page back in time."
    )
    newer = serializers.CharField(
        allow_null=True, help_text="Pass as `after` for the page before this one."
    )


REPORT_PARAMETERS = [
    OpenApiParameter(
        "first", OpenApiTypes.DATE, description="First local day (default: 6 days ago)."
    ),
    OpenApiParameter("last", OpenApiTypes.DATE, description="Last local day (default: today)."),
    OpenApiParameter("token", OpenApiTypes.INT, description="Only this token (an id)."),
    OpenApiParameter("model", OpenApiTypes.STR, description="Only this model id."),
]
LOG_PARAMETERS = [
    OpenApiParameter(
        "q", OpenApiTypes.STR, description="A request id: finds it, ignoring the other filters."
    ),
    OpenApiParameter("status", OpenApiTypes.STR, enum=[key for key, _ in STATUSES]),
    OpenApiParameter("model", OpenApiTypes.STR),
    OpenApiParameter("token", OpenApiTypes.INT),
    OpenApiParameter("protocol", OpenApiTypes.STR, enum=[key for key, _ in PROTOCOLS]),
    OpenApiParameter("estimated", OpenApiTypes.STR, enum=["yes", "no"]),
    OpenApiParameter(
        "before", OpenApiTypes.STR, description="Cursor: `older` of the previous page."
    ),
    OpenApiParameter(
        "after", OpenApiTypes.STR, description="Cursor: `newer` of the previous page."
    ),
]


TOTALS = list(TotalsSerializer().fields)


def _totals(totals: reports.Totals) -> dict:
    return {name: getattr(totals, name) for name in TOTALS}


def _period(row: reports.Row) -> str:
    """An hour as an instant with the user's offset; a local day as a plain date."""
    if isinstance(row.key, datetime):
        return timezone.localtime(row.key).isoformat()
    return row.key.isoformat()


class UsageReport(APIView):
    @extend_schema(
        operation_id="usage_report", parameters=REPORT_PARAMETERS, responses=ReportSerializer
    )
    def get(self, request):
        account = access.current_account(request)
        zone = time_zone_of(request.user)
        choices = reports.account_choices(account.id)
        form = UsageFilterForm(
            request.query_params,
            today=reports.today_in(zone),
            tokens=choices.tokens,
            models=choices.models,
        )
        if not form.is_valid():
            raise ValidationError(form.errors.get_json_data())
        report = reports.Report(form.selection(account.id, zone))
        series, by_model = report.series(), report.by_model()
        by_token = report.by_token(choices.token_labels)
        with timezone.override(zone):
            body = {
                "first": report.selection.first,
                "last": report.selection.last,
                "time_zone": str(zone),
                "granularity": report.selection.granularity,
                "totals": _totals(by_model.total),
                "series": [{"period": _period(r), **_totals(r.totals)} for r in series.rows],
                "by_model": [{"model": r.key, **_totals(r.totals)} for r in by_model.rows],
                "by_token": [
                    {"token_id": r.key, "token": r.label, **_totals(r.totals)}
                    for r in by_token.rows
                ],
            }
        return Response(ReportSerializer(body).data)


class UsageSummary(APIView):
    @extend_schema(operation_id="usage_summary", responses=SummarySerializer)
    def get(self, request):
        account = access.current_account(request)
        zone = time_zone_of(request.user)
        summary = reports.summarize(account.id, zone)
        available = balance.available_micros(account)
        body = {
            "balance_micros": account.balance_micros,
            "available_micros": available,
            "low_balance": reports.is_low_balance(account, available),
            "time_zone": str(zone),
            "today": _totals(summary.today),
            "last_7_days": _totals(summary.week),
            "last_30_days": _totals(summary.month),
            "top_models": [{"model": r.key, **_totals(r.totals)} for r in summary.top_models],
        }
        return Response(SummarySerializer(body).data)


class RequestList(APIView):
    @extend_schema(
        operation_id="usage_requests_list",
        parameters=LOG_PARAMETERS,
        responses=RecordPageSerializer,
    )
    def get(self, request):
        account = access.current_account(request)
        choices = reports.account_choices(account.id)
        form = RequestLogFilterForm(
            request.query_params, tokens=choices.tokens, models=choices.models
        )
        if not form.is_valid():
            raise ValidationError(form.errors.get_json_data())
        page = requestlog.page_of(
            form.apply(access.scoped(request, UsageRecord)),
            before=requestlog.parse_cursor(request.query_params.get("before")),
            after=requestlog.parse_cursor(request.query_params.get("after")),
        )
        with timezone.override(time_zone_of(request.user)):
            body = {
                "results": RecordSerializer(page.records, many=True).data,
                "older": page.older,
                "newer": page.newer,
            }
        return Response(body)


class RequestDetail(APIView):
    @extend_schema(operation_id="usage_request_retrieve", responses=RecordSerializer)
    def get(self, request, request_id: str):
        record = access.get_scoped_or_404(request, UsageRecord, request_id=request_id)
        with timezone.override(time_zone_of(request.user)):
            return Response(RecordSerializer(record).data)


urlpatterns = [
    path("", UsageReport.as_view(), name="usage-api-report"),
    path("summary/", UsageSummary.as_view(), name="usage-api-summary"),
    path("requests/", RequestList.as_view(), name="usage-api-requests"),
    path("requests/<str:request_id>/", RequestDetail.as_view(), name="usage-api-request"),
]
