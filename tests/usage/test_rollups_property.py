"""Rollups equal raw sums for random records, across hour and day boundaries, daylight saving
time changes and time zones with half-hour offsets, wherever the rollup watermark stands."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from usage import periods, rollups
from usage.models import DailyRollup, HourlyRollup, RollupState, UsageRecord
from usage.reports import Report, Selection

# Each start is a day or two before a daylight saving change somewhere below.
STARTS = [
    datetime(2026, 3, 7, tzinfo=UTC),  # America/New_York springs forward on March 8
    datetime(2026, 3, 28, tzinfo=UTC),  # Europe/London on March 29
    datetime(2026, 4, 4, tzinfo=UTC),  # Australia/Lord_Howe falls back half an hour on April 5
    datetime(2026, 10, 31, tzinfo=UTC),  # America/New_York falls back on November 1
]
ZONES = ["UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe"]
SPAN_MINUTES = 4 * 24 * 60
WHOLE_HOUR_ZONES = {"UTC", "America/New_York", "Europe/London"}

# Minutes next to whole and half hours, where hours and local days begin and end.
edge_minutes = st.builds(
    lambda day, hour, minute: day * 24 * 60 + hour * 60 + minute,
    st.integers(0, 3),
    st.integers(0, 23),
    st.sampled_from([0, 29, 30, 59]),
)
records_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "minute": st.one_of(st.integers(0, SPAN_MINUTES - 1), edge_minutes),
            "second": st.sampled_from([0, 1, 30, 59]),
            "other_account": st.booleans(),
            "with_token": st.booleans(),
            "model": st.sampled_from(["alpha", "beta"]),
            "status_code": st.sampled_from([200, 200, 429, 502]),
            "input_tokens": st.integers(0, 10_000),
            "output_tokens": st.integers(0, 5_000),
            "cached_tokens": st.integers(0, 100),
            "reasoning_tokens": st.integers(0, 100),
            "cost_micros": st.integers(0, 50_000_000),
        }
    ),
    max_size=40,
)


SUM_NAMES = [
    "requests",
    "errors",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cost_micros",
]


def fields_of(record: UsageRecord) -> dict:
    return {
        "requests": 1,
        "errors": int(record.status_code >= 400),
        "input_tokens": record.input_tokens,
        "output_tokens": record.output_tokens,
        "cached_tokens": record.cached_tokens,
        "reasoning_tokens": record.reasoning_tokens,
        "cost_micros": record.cost_micros,
    }


def add(into: dict, key, record: UsageRecord) -> None:
    sums = into.setdefault(key, defaultdict(int))
    for name, value in fields_of(record).items():
        sums[name] += value


def as_plain(sums: dict) -> dict:
    return {key: dict(value) for key, value in sums.items()}


def totals_dict(totals) -> dict:
    return {name: getattr(totals, name) for name in SUM_NAMES}


def insert(drawn: list[dict], start: datetime, accounts, token) -> list[UsageRecord]:
    UsageRecord.objects.all().delete()
    HourlyRollup.objects.all().delete()
    DailyRollup.objects.all().delete()
    RollupState.objects.all().delete()
    records = [
        UsageRecord(
            request_id=f"prop_{index}",
            account=accounts[1] if item["other_account"] else accounts[0],
            token=token if item["with_token"] and not item["other_account"] else None,
            model=item["model"],
            provider="fake",
            client_protocol="openai",
            endpoint="chat",
            status_code=item["status_code"],
            input_tokens=item["input_tokens"],
            output_tokens=item["output_tokens"],
            cached_tokens=item["cached_tokens"],
            reasoning_tokens=item["reasoning_tokens"],
            cost_micros=item["cost_micros"],
            created_at=start + timedelta(minutes=item["minute"], seconds=item["second"]),
            settled=True,
        )
        for index, item in enumerate(drawn)
    ]
    return UsageRecord.objects.bulk_create(records)


@pytest.fixture
def cast(account_a, account_b, alice_token):
    return (account_a, account_b), alice_token


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=records_strategy, start=st.sampled_from(STARTS), cut_hours=st.integers(0, 4 * 24))
def test_rollups_equal_raw_sums(cast, drawn, start, cut_hours):
    accounts, token = cast
    records = insert(drawn, start, accounts, token)

    rollups.rebuild(start, start + timedelta(days=4))
    rollups.rebuild(start + timedelta(hours=cut_hours), start + timedelta(days=2))  # again

    hourly, daily = {}, {}
    for record in records:
        hour = periods.floor_hour(record.created_at)
        add(hourly, (record.account_id, hour), record)
        add(daily, (record.account_id, hour.replace(hour=0)), record)
    assert rollup_sums(HourlyRollup) == as_plain(hourly)
    assert rollup_sums(DailyRollup) == as_plain(daily)


def rollup_sums(model) -> dict:
    result: dict = {}
    for row in model.objects.all():
        sums = result.setdefault((row.account_id, row.bucket), defaultdict(int))
        for name in SUM_NAMES:
            sums[name] += getattr(row, name)
    return as_plain(result)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    drawn=records_strategy,
    start=st.sampled_from(STARTS),
    zone_name=st.sampled_from(ZONES),
    first_offset=st.integers(0, 3),
    length=st.integers(0, 3),
    cut_hours=st.integers(0, 5 * 24),
    only_model=st.sampled_from([None, "alpha"]),
    only_token=st.booleans(),
    data=st.data(),
)
def test_reports_equal_raw_sums_in_any_time_zone(
    cast, drawn, start, zone_name, first_offset, length, cut_hours, only_model, only_token, data
):
    accounts, token = cast
    zone = ZoneInfo(zone_name)
    # Also records within minutes of this zone's local midnights.
    midnights = [
        periods.local_midnight(start.date() + timedelta(days=n), zone) for n in range(-1, 5)
    ]
    near_midnight = data.draw(
        st.lists(
            st.builds(
                lambda midnight, minutes, item: {
                    **item,
                    "minute": (midnight - start) // timedelta(minutes=1) + minutes,
                },
                st.sampled_from(midnights),
                st.integers(-61, 61),
                records_strategy.filter(bool).map(lambda items: items[0]),
            ),
            max_size=8,
        )
    )
    records = insert(drawn + near_midnight, start, accounts, token)
    # Rollups up to the watermark, raw records after it, as the pages read them.
    cut = start + timedelta(hours=cut_hours)
    rollups.rebuild(start - timedelta(days=1), cut)
    RollupState.objects.update_or_create(pk=1, defaults={"rolled_until": cut})

    first = start.date() + timedelta(days=first_offset)
    last = first + timedelta(days=length)
    selection = Selection(
        accounts[0].id,
        first,
        last,
        zone,
        token_ids=(token.id,) if only_token else (),
        models=(only_model,) if only_model else (),
    )
    report = Report(selection, now=start + timedelta(days=10))

    expected_days: dict = {}
    expected_hours: dict = {}
    expected_models: dict = {}
    for record in records:
        if record.account_id != accounts[0].id:
            continue
        if only_token and record.token_id != token.id:
            continue
        if only_model and record.model != only_model:
            continue
        day = local_day(record.created_at, zone_name)
        if not first <= day <= last:
            continue
        add(expected_days, day, record)
        add(expected_hours, periods.floor_hour(record.created_at), record)
        add(expected_models, record.model, record)

    series = report.series()
    got = {row.key: totals_dict(row.totals) for row in series.rows if row.totals.requests}
    if selection.granularity == "hour":
        assert got == as_plain(expected_hours)
    else:
        assert got == as_plain(expected_days)
    models = {row.key: totals_dict(row.totals) for row in report.by_model().rows}
    assert models == as_plain(expected_models)
    assert totals_dict(report.by_token({}).total) == totals_dict(report.by_model().total)


def local_day(moment: datetime, zone_name: str) -> date:
    """The natural local day in whole-hour zones; in the others, the local day of the UTC hour
    the record falls in (documented in usage.periods)."""
    zone = ZoneInfo(zone_name)
    if zone_name in WHOLE_HOUR_ZONES:
        return moment.astimezone(zone).date()
    return periods.floor_hour(moment).astimezone(zone).date()
