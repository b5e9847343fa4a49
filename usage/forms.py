"""Filters of the usage pages and API (read from the query string) and the time-zone form."""

from __future__ import annotations

import zoneinfo
from datetime import date, tzinfo

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet

from usage import periods
from usage.models import UserPreference
from usage.reports import MAX_DAYS, Selection

PROTOCOLS = [
    ("openai", "OpenAI"),
    ("anthropic", "Anthropic"),
    ("responses", "OpenAI Responses"),
    ("gemini", "Gemini"),
]
STATUSES = [
    ("ok", "Succeeded (below 400)"),
    ("error", "Failed (400 and above)"),
    ("4xx", "Client errors (4xx)"),
    ("5xx", "Server errors (5xx)"),
]
DEFAULT_DAYS = 7


class ScopedChoicesMixin:
    """Token and model choices are the current account's only: another account's token id is an
    invalid choice, never a way to read its usage."""

    def set_choices(self, tokens: list[tuple[int, str]], models: list[str]) -> None:
        self.fields["token"].choices = [("", "All tokens"), *tokens]
        self.fields["model"].choices = [("", "All models"), *((m, m) for m in models)]

    def token_ids(self) -> tuple[int, ...]:
        token = self.cleaned_data.get("token")
        return (int(token),) if token else ()

    def model_names(self) -> tuple[str, ...]:
        model = self.cleaned_data.get("model")
        return (model,) if model else ()


class UsageFilterForm(ScopedChoicesMixin, forms.Form):
    """Date range (local days, both included), token and model. Missing dates get defaults: the
    last seven days up to today."""

    first = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    token = forms.ChoiceField(required=False)
    model = forms.ChoiceField(required=False)

    def __init__(self, query, *, today: date, tokens, models, **kwargs):
        data = {
            "first": (today - periods.DAY * (DEFAULT_DAYS - 1)).isoformat(),
            "last": today.isoformat(),
        }
        for key in ("first", "last", "token", "model"):
            if query.get(key):
                data[key] = query.get(key)
        super().__init__(data, **kwargs)
        self.today = today
        self.set_choices(tokens, models)

    def clean(self) -> dict:
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        if first and last:
            if first > last:
                raise forms.ValidationError("The start date is after the end date.")
            if (last - first).days >= MAX_DAYS:
                raise forms.ValidationError(f"Choose at most {MAX_DAYS} days.")
        return cleaned

    def selection(self, account_id: int | None, zone: tzinfo) -> Selection:
        """The filters as a Selection; the defaults when the form is invalid."""
        if self.is_valid():
            first, last = self.cleaned_data["first"], self.cleaned_data["last"]
            return Selection(account_id, first, last, zone, self.token_ids(), self.model_names())
        first = self.today - periods.DAY * (DEFAULT_DAYS - 1)
        return Selection(account_id, first, self.today, zone)


class RequestLogFilterForm(ScopedChoicesMixin, forms.Form):
    """The request log's filters. A request id search finds that request whatever the other
    filters say."""

    q = forms.CharField(label="Request id", required=False, max_length=64, strip=True)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *STATUSES])
    model = forms.ChoiceField(required=False)
    token = forms.ChoiceField(required=False)
    protocol = forms.ChoiceField(required=False, choices=[("", "Any protocol"), *PROTOCOLS])
    estimated = forms.ChoiceField(
        label="Usage",
        required=False,
        choices=[("", "Reported or estimated"), ("yes", "Estimated"), ("no", "Reported")],
    )

    def __init__(self, query, *, tokens, models, **kwargs):
        super().__init__(query, **kwargs)
        self.set_choices(tokens, models)

    def apply(self, records: QuerySet) -> QuerySet:
        """`records` narrowed by the valid filters (all of them must hold)."""
        if not self.is_valid():
            return records.none()
        data = self.cleaned_data
        if data["q"]:
            return records.filter(request_id=data["q"])
        if data["status"]:
            records = records.filter(_STATUS_FILTERS[data["status"]])
        if data["model"]:
            records = records.filter(model=data["model"])
        if data["token"]:
            records = records.filter(token_id=int(data["token"]))
        if data["protocol"]:
            records = records.filter(client_protocol=data["protocol"])
        if data["estimated"]:
            records = records.filter(usage_estimated=data["estimated"] == "yes")
        return records

    @property
    def is_filtered(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())


_STATUS_FILTERS = {
    "ok": Q(status_code__lt=400),
    "error": Q(status_code__gte=400),
    "4xx": Q(status_code__gte=400, status_code__lt=500),
    "5xx": Q(status_code__gte=500),
}


def time_zone_choices() -> list[tuple[str, str]]:
    return [("", f"Site default ({settings.TIME_ZONE})")] + [
        (name, name) for name in sorted(zoneinfo.available_timezones())
    ]


class TimeZoneForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label="Time zone", required=False)

    class Meta:
        model = UserPreference
        fields = ["time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()
        self.fields[
            "time_zone"
        ].help_text = (
            "Dashboards, charts, the request log and CSV exports use it for times and days."
        )
