"""Hours, UTC days and the user's local days: the time arithmetic behind rollups and reports.

Rollups are kept per UTC hour. A local day is made of the UTC hours that start on it, so in the
few zones whose offset is not a whole hour (India, Nepal, Newfoundland...) a day's edge falls on
the nearest full UTC hour after local midnight; everywhere else it is exact, daylight saving time
included (a local day then has 23 or 25 hours).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floor = floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def floor_day(moment: datetime) -> datetime:
    """The UTC midnight at or before `moment`."""
    return floor_hour(moment).replace(hour=0)


def ceil_day(moment: datetime) -> datetime:
    floor = floor_day(moment)
    return floor if floor == moment else floor + DAY


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The UTC instant at which `day` starts in `zone`."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def day_window(first: date, last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC, on whole hours, covering the local days `first` to `last` inclusive."""
    start = ceil_hour(local_midnight(first, zone))
    end = ceil_hour(local_midnight(last + DAY, zone))
    return start, end


def local_day(hour: datetime, zone: tzinfo) -> date:
    """The local day that the UTC hour starting at `hour` belongs to."""
    return hour.astimezone(zone).date()


def hours(start: datetime, end: datetime) -> Iterator[datetime]:
    moment = start
    while moment < end:
        yield moment
        moment += HOUR


def days(first: date, last: date) -> Iterator[date]:
    """Every date from `first` to `last` inclusive."""
    day = first
    while day <= last:
        yield day
        day += DAY


def is_utc_aligned(zone: tzinfo, first: date, last: date) -> bool:
    """Whether every local day from `first` to `last` is exactly a UTC day (offset 0 throughout),
    so that daily rollups can stand for local days."""
    return all(
        datetime.combine(day, time(), tzinfo=zone).utcoffset() == timedelta(0)
        and datetime.combine(day, time(23, 59), tzinfo=zone).utcoffset() == timedelta(0)
        for day in days(first, last)
    )
