"""Reports: usage sums for the pages, the CSV export and the API.

History comes from the rollups, and only the hours after `RollupState.rolled_until` (normally
the current hour) from the raw records, so a page costs the same with a thousand records or a
million. Whole UTC days inside a window are read from the daily rollups, the hours at its edges
from the hourly ones. Every figure has the same definition as usage.rollups.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from usage import periods, rollups
from usage.models import DailyRollup, HourlyRollup, UsageRecord

# Up to this many local days the chart has one point per hour, beyond it one per day.
HOURLY_UP_TO_DAYS = 2
MAX_DAYS = 366


@dataclass
class Totals:
    requests: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost_micros: int = 0
    latency_ms_total: int = 0

    def add(self, other: Totals | dict) -> Totals:
        for name in rollups.SUMS:
            value = other[name] if isinstance(other, dict) else getattr(other, name)
            setattr(self, name, getattr(self, name) + int(value or 0))
        return self

    @classmethod
    def sum(cls, items: Iterable[Totals]) -> Totals:
        total = cls()
        for item in items:
            total.add(item)
        return total

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def error_rate(self) -> float:
        """For display only (a percentage); never used for money."""
        return 100 * self.errors / self.requests if self.requests else 0.0

    @property
    def avg_latency_ms(self) -> int:
        return self.latency_ms_total // self.requests if self.requests else 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Selection:
    """Which usage: one account (None: every account, for staff), local days `first` to `last`
    in `zone`, optionally only some tokens or models."""

    account_id: int | None
    first: date
    last: date
    zone: tzinfo
    token_ids: tuple[int, ...] = ()
    models: tuple[str, ...] = ()

    @property
    def window(self) -> tuple[datetime, datetime]:
        return periods.day_window(self.first, self.last, self.zone)

    @property
    def granularity(self) -> str:
        return "hour" if (self.last - self.first).days < HOURLY_UP_TO_DAYS else "day"


@dataclass(frozen=True)
class Segment:
    source: str  # "daily", "hourly" or "raw"
    start: datetime
    end: datetime


def segments(
    start: datetime, end: datetime, rolled_until: datetime | None, *, use_daily: bool = True
) -> list[Segment]:
    """Where to read [start, end) from: rollups before `rolled_until` (daily ones for whole UTC
    days when `use_daily`), raw records after it."""
    cut = start if rolled_until is None else min(max(rolled_until, start), end)
    parts = []
    if start < cut:
        first_midnight, last_midnight = periods.ceil_day(start), periods.floor_day(cut)
        if use_daily and first_midnight < last_midnight:
            parts += [
                Segment("hourly", start, first_midnight),
                Segment("daily", first_midnight, last_midnight),
                Segment("hourly", last_midnight, cut),
            ]
        else:
            parts.append(Segment("hourly", start, cut))
    parts.append(Segment("raw", cut, end))
    return [part for part in parts if part.start < part.end]


def watermark(now: datetime) -> datetime | None:
    """Rollups are read for the hours before this; None: none are (no rollup has run yet)."""
    rolled_until = rollups.current_state().rolled_until
    if rolled_until is None:
        return None
    return min(rolled_until, periods.floor_hour(now))


def _source(segment: Segment, by: Sequence[str]) -> tuple[QuerySet, dict]:
    if segment.source == "raw":
        queryset = UsageRecord.objects.filter(
            created_at__gte=segment.start, created_at__lt=segment.end
        )
        times = {
            "hour": TruncHour("created_at", tzinfo=UTC),
            "day": TruncDay("created_at", tzinfo=UTC),
        }
        return queryset, {"sums": rollups.raw_sums(), "times": times}
    model = HourlyRollup if segment.source == "hourly" else DailyRollup
    queryset = model.objects.filter(bucket__gte=segment.start, bucket__lt=segment.end)
    if segment.source == "hourly":
        times = {"hour": F("bucket"), "day": TruncDay("bucket", tzinfo=UTC)}
    else:
        times = {"day": F("bucket")}
    return queryset, {"sums": rollups.rollup_sums(), "times": times}


class Report:
    """Sums for one Selection as of `now`; the rollup watermark is read once."""

    def __init__(self, selection: Selection, now: datetime | None = None):
        self.selection = selection
        self.now = now or timezone.now()
        self.rolled_until = watermark(self.now)

    def grouped(self, by: Sequence[str], *, use_daily: bool = True) -> dict[tuple, Totals]:
        """Totals per distinct value of the `by` columns ("hour", "day" (UTC), "model",
        "token_id", "provider", "route_id", "account_id")."""
        if not by:
            raise ValueError("Group by at least one column.")
        sel = self.selection
        start, end = sel.window
        result: dict[tuple, Totals] = {}
        use_daily = use_daily and "hour" not in by
        for segment in segments(start, end, self.rolled_until, use_daily=use_daily):
            queryset, parts = _source(segment, by)
            if sel.account_id is not None:
                queryset = queryset.filter(account_id=sel.account_id)
            if sel.token_ids:
                queryset = queryset.filter(token_id__in=sel.token_ids)
            if sel.models:
                queryset = queryset.filter(model__in=sel.models)
            times = {name: parts["times"][name] for name in by if name in ("hour", "day")}
            rows = (
                queryset.annotate(**times)
                .values(*by)
                .annotate(**parts["sums"])
                .order_by()  # no Meta ordering in the GROUP BY
            )
            for row in rows:
                key = tuple(row[name] for name in by)
                result.setdefault(key, Totals()).add(row)
        return result

    def series(self) -> Table:
        """One row per hour (up to two days) or per local day, up to now, zeros included."""
        sel = self.selection
        zone = sel.zone
        if sel.granularity == "hour":
            start, end = sel.window
            sums = {key[0]: totals for key, totals in self.grouped(("hour",)).items()}
            last_hour = min(end, periods.ceil_hour(self.now))
            rows = [
                Row(hour, f"{hour.astimezone(zone):%Y-%m-%d %H:%M}", sums.get(hour, Totals()))
                for hour in periods.hours(start, last_hour)
            ]
            return Table("series", "Hour", rows)
        last = min(sel.last, self.now.astimezone(zone).date())
        by_day: dict[date, Totals] = {}
        if periods.is_utc_aligned(zone, sel.first, sel.last):
            for (day,), totals in self.grouped(("day",)).items():
                by_day[day.date()] = totals
        else:
            for (hour,), totals in self.grouped(("hour",)).items():
                by_day.setdefault(periods.local_day(hour, zone), Totals()).add(totals)
        rows = [
            Row(day, day.isoformat(), by_day.get(day, Totals()))
            for day in periods.days(sel.first, last)
        ]
        return Table("series", "Day", rows)

    def by_model(self) -> Table:
        sums = self.grouped(("model",))
        rows = [Row(model, model or "(no model)", totals) for (model,), totals in sums.items()]
        return Table("models", "Model", _biggest_first(rows))

    def by_token(self, labels: dict[int, str]) -> Table:
        sums = self.grouped(("token_id",))
        rows = [
            Row(token_id, labels.get(token_id, "(no token)"), totals)
            for (token_id,), totals in sums.items()
        ]
        return Table("tokens", "Token", _biggest_first(rows))


@dataclass
class Row:
    key: Any
    label: str
    totals: Totals


@dataclass
class Table:
    """What a page shows as one table, and what the CSV export writes for it."""

    name: str
    heading: str
    rows: list[Row] = field(default_factory=list)

    @property
    def total(self) -> Totals:
        return Totals.sum(row.totals for row in self.rows)


def _biggest_first(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (-r.totals.cost_micros, -r.totals.requests, r.label))


@dataclass
class Summary:
    """The dashboard's figures: the last 1, 7 and 30 local days and the top models."""

    today: Totals
    week: Totals
    month: Totals
    days: Table
    top_models: list[Row]


def summarize(account_id: int, zone: tzinfo, now: datetime | None = None) -> Summary:
    now = now or timezone.now()
    today = now.astimezone(zone).date()
    selection = Selection(account_id, today - periods.DAY * 29, today, zone)
    report = Report(selection, now)
    days = report.series()
    return Summary(
        today=Totals.sum(row.totals for row in days.rows[-1:]),
        week=Totals.sum(row.totals for row in days.rows[-7:]),
        month=days.total,
        days=days,
        top_models=report.by_model().rows[:5],
    )


def today_in(zone: tzinfo, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zone).date()


@dataclass
class AccountChoices:
    """What the filters offer: the account's tokens (revoked ones too) and the models it used."""

    tokens: list[tuple[int, str]]
    models: list[str]

    @property
    def token_labels(self) -> dict[int, str]:
        return dict(self.tokens)


def account_choices(account_id: int, now: datetime | None = None) -> AccountChoices:
    from tokens.models import ApiToken

    tokens = [
        (token.id, f"{token.name} ({token.prefix}…)")
        for token in ApiToken.objects.filter(account_id=account_id).order_by("name", "id")
    ]
    models = set(
        DailyRollup.objects.filter(account_id=account_id)
        .order_by("model")
        .values_list("model", flat=True)
        .distinct()
    )
    recent = UsageRecord.objects.filter(account_id=account_id)
    rolled_until = watermark(now or timezone.now())
    if rolled_until is not None:
        recent = recent.filter(created_at__gte=rolled_until)
    models.update(recent.order_by("model").values_list("model", flat=True).distinct())
    return AccountChoices(tokens=tokens, models=sorted(m for m in models if m))


def has_usage(account_id: int) -> bool:
    """Whether the account ever made a request (raw records may be gone, rollups stay)."""
    return (
        DailyRollup.objects.filter(account_id=account_id).exists()
        or UsageRecord.objects.filter(account_id=account_id).exists()
    )


def is_low_balance(account, available_micros: int) -> bool:
    """Whether the dashboard warns: nothing left to spend, or less than the account's low-balance
    threshold (the one billing e-mails about; 0 turns the warning off above zero)."""
    return available_micros <= 0 or available_micros < account.low_balance_threshold_micros
