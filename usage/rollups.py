"""Rollups: hourly and daily sums of the raw usage records, and the retention of those records.

Invariants:
- An hourly rollup row is the sum of the raw records of its UTC hour for one combination of
  account, token, model, provider and route; a daily row is the sum of the hourly rows of its UTC
  day. `rebuild()` recomputes a window from scratch (delete, then insert), so running it twice, or
  concurrently (runs take a lock on the RollupState row), gives the same rows.
- `RollupState.rolled_until`: every hour before it is rolled up. Pages read rollups before it and
  raw records after it, so they are exact even when the periodic task is late.
- Raw records are deleted only when settled, older than USAGE_RETENTION_DAYS, and after their
  hours were rebuilt. Hours before `RollupState.pruned_before` are never rebuilt again: their raw
  records may be gone, and rebuilding would lose them.

Records are expected within USAGE_ROLLUP_LOOKBACK_HOURS of their `created_at` (the proxy writes
them right after the response). A record replayed later is counted by the next retention run, or
at once by `manage.py rollup_usage --since`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from usage import periods
from usage.models import DailyRollup, HourlyRollup, RollupState, UsageRecord

log = logging.getLogger(__name__)

DIMENSIONS = ["account_id", "token_id", "model", "provider", "route_id"]
SUMS = [
    "requests",
    "errors",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cost_micros",
    "latency_ms_total",
]
DELETE_BATCH = 5_000


def raw_sums() -> dict:
    """Aggregates of raw records under the rollup column names."""
    return {
        "requests": Count("id"),
        "errors": Count("id", filter=Q(status_code__gte=400)),
        "input_tokens": Sum("input_tokens"),
        "output_tokens": Sum("output_tokens"),
        "cached_tokens": Sum("cached_tokens"),
        "reasoning_tokens": Sum("reasoning_tokens"),
        "cost_micros": Sum("cost_micros"),
        "latency_ms_total": Sum("latency_ms"),
    }


def rollup_sums() -> dict:
    return {name: Sum(name) for name in SUMS}


def locked_state() -> RollupState:
    """The state row, locked until the end of the caller's transaction."""
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


def current_state() -> RollupState:
    return RollupState.objects.filter(pk=1).first() or RollupState(pk=1)


@dataclass
class Rebuilt:
    start: datetime
    end: datetime
    hourly_rows: int = 0
    daily_rows: int = 0


def rebuild(start: datetime, end: datetime) -> Rebuilt:
    """Recompute the hourly rollups of [start, end) (widened to whole hours) and the daily
    rollups of the UTC days they touch, one UTC day per transaction. Idempotent.

    Hours before `pruned_before` are left alone (see the module docstring).
    """
    start, end = periods.floor_hour(start), periods.ceil_hour(end)
    pruned_before = current_state().pruned_before
    if pruned_before is not None:
        start = max(start, pruned_before)
    result = Rebuilt(start, max(start, end))
    chunk_start = start
    while chunk_start < end:
        chunk_end = min(periods.floor_day(chunk_start) + periods.DAY, end)
        with transaction.atomic():
            state = locked_state()
            if state.pruned_before is not None and chunk_start < state.pruned_before:
                # Retention ran meanwhile; its rebuild covered this chunk before deleting.
                chunk_start = chunk_end
                continue
            result.hourly_rows += _rebuild_hours(chunk_start, chunk_end)
            result.daily_rows += _rebuild_day(periods.floor_day(chunk_start))
        chunk_start = chunk_end
    return result


def _rebuild_hours(start: datetime, end: datetime) -> int:
    rows = (
        UsageRecord.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(bucket=TruncHour("created_at", tzinfo=UTC))
        .values("bucket", *DIMENSIONS)
        .annotate(**raw_sums())
        .order_by()
    )
    HourlyRollup.objects.filter(bucket__gte=start, bucket__lt=end).delete()
    created = HourlyRollup.objects.bulk_create(
        [HourlyRollup(**_zero_nulls(row)) for row in rows], batch_size=2_000
    )
    return len(created)


def _zero_nulls(row: dict) -> dict:
    # Sum() over rows that are all NULL gives NULL; the columns are NOT NULL counters.
    return {key: (value or 0) if key in SUMS else value for key, value in row.items()}


def _rebuild_day(day: datetime) -> int:
    rows = (
        HourlyRollup.objects.filter(bucket__gte=day, bucket__lt=day + periods.DAY)
        .annotate(day=TruncDay("bucket", tzinfo=UTC))
        .values("day", *DIMENSIONS)
        .annotate(**rollup_sums())
        .order_by()
    )
    DailyRollup.objects.filter(bucket=day).delete()
    created = DailyRollup.objects.bulk_create(
        [DailyRollup(bucket=row.pop("day"), **row) for row in rows], batch_size=2_000
    )
    return len(created)


def roll_up(now: datetime | None = None) -> Rebuilt:
    """The periodic task: rebuild from the last run (less the lookback, for records written a
    little after their hour) up to now, then move `rolled_until` to the current hour.

    After downtime it catches up from where the previous run stopped; on the first run, from the
    oldest record.
    """
    now = now or timezone.now()
    this_hour = periods.floor_hour(now)
    lookback = timedelta(hours=settings.USAGE_ROLLUP_LOOKBACK_HOURS)
    state = current_state()
    start = this_hour - lookback
    if state.rolled_until is None:
        oldest = UsageRecord.objects.aggregate(oldest=Min("created_at"))["oldest"]
        start = min(start, periods.floor_hour(oldest)) if oldest else start
    else:
        start = min(start, state.rolled_until - lookback)
    result = rebuild(start, this_hour + periods.HOUR)
    with transaction.atomic():
        state = locked_state()
        if state.rolled_until is None or state.rolled_until < this_hour:
            state.rolled_until = this_hour
            state.save(update_fields=["rolled_until", "updated_at"])
    return result


@dataclass
class Pruned:
    cutoff: datetime
    deleted: int
    kept_unsettled: int


def prune(now: datetime | None = None) -> Pruned:
    """Delete settled raw records older than USAGE_RETENTION_DAYS (whole hours), after making
    sure they are rolled up. Unsettled ones stay until settlement has charged them; rollups
    and the ledger stay forever."""
    now = now or timezone.now()
    cutoff = periods.floor_hour(now - timedelta(days=settings.USAGE_RETENTION_DAYS))
    roll_up(now)
    state = current_state()
    oldest = UsageRecord.objects.filter(created_at__lt=cutoff).aggregate(
        oldest=Min("created_at"), last_id=Max("id")
    )
    if oldest["oldest"] is not None:
        # Counts records that arrived after their hour was rolled up (never before pruned_before).
        rebuild(state.pruned_before or oldest["oldest"], cutoff)
    with transaction.atomic():
        # First, so that no rebuild of these hours can start once records begin to go.
        state = locked_state()
        if state.pruned_before is None or state.pruned_before < cutoff:
            state.pruned_before = cutoff
            state.save(update_fields=["pruned_before", "updated_at"])
    deleted = 0
    if oldest["last_id"] is not None:
        deleted = _delete_settled(cutoff, oldest["last_id"])
    kept = UsageRecord.objects.filter(created_at__lt=cutoff, settled=False).count()
    if kept:
        log.warning("usage retention: %d unsettled records older than %s kept", kept, cutoff)
    return Pruned(cutoff=cutoff, deleted=deleted, kept_unsettled=kept)


def _delete_settled(cutoff: datetime, last_id: int) -> int:
    # Only records that existed when the rebuild above read them (id <= last_id).
    old = UsageRecord.objects.filter(created_at__lt=cutoff, settled=True, id__lte=last_id)
    deleted = 0
    while True:
        ids = list(old.order_by().values_list("id", flat=True)[:DELETE_BATCH])
        if not ids:
            return deleted
        _, by_model = UsageRecord.objects.filter(id__in=ids).delete()
        deleted += by_model.get(UsageRecord._meta.label, 0)
