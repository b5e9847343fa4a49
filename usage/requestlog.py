"""The request log's pages: newest first, keyset-paginated on (created_at, id).

No page numbers and no COUNT: going to the next page costs the same on page 1 and page 10,000
of an account with millions of records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q, QuerySet

from usage.models import UsageRecord

PAGE_SIZE = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def cursor_of(record: UsageRecord) -> str:
    """ "<microseconds since the epoch>-<id>": where a page starts or ends."""
    return f"{(record.created_at - _EPOCH) // _MICROSECOND}-{record.id}"


def parse_cursor(text: str | None) -> tuple[datetime, int] | None:
    """The (created_at, id) of a cursor; None when missing or malformed."""
    if not text:
        return None
    stamp, _, record_id = text.partition("-")
    try:
        return _EPOCH + int(stamp) * _MICROSECOND, int(record_id)
    except (ValueError, OverflowError):
        return None


@dataclass
class LogPage:
    records: list[UsageRecord]
    older: str | None  # cursor of the next page back in time
    newer: str | None  # cursor of the page before this one


def page_of(
    records: QuerySet,
    *,
    before: tuple[datetime, int] | None = None,
    after: tuple[datetime, int] | None = None,
    size: int = PAGE_SIZE,
) -> LogPage:
    """The `size` newest records older than `before`, or, with `after`, the `size` records just
    newer than `after` (for going back towards the newest)."""
    if after is not None:
        moment, record_id = after
        rows = list(
            records.filter(Q(created_at__gt=moment) | Q(created_at=moment, id__gt=record_id))
            .filter(created_at__gte=moment)
            .order_by("created_at", "id")[: size + 1]
        )
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return LogPage(
            rows,
            older=cursor_of(rows[-1]) if rows else None,
            newer=cursor_of(rows[0]) if rows and more_newer else None,
        )
    if before is not None:
        moment, record_id = before
        records = records.filter(
            Q(created_at__lt=moment) | Q(created_at=moment, id__lt=record_id)
        ).filter(created_at__lte=moment)  # lets the (account, -created_at) index bound the scan
    rows = list(records.order_by("-created_at", "-id")[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return LogPage(
        rows,
        older=cursor_of(rows[-1]) if rows and more_older else None,
        newer=cursor_of(rows[0]) if rows and before is not None else None,
    )
