from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from usage import periods
from usage.reports import segments


def test_a_local_day_is_23_hours_when_the_clocks_go_forward():
    start, end = periods.day_window(
        date(2026, 3, 8), date(2026, 3, 8), ZoneInfo("America/New_York")
    )

    assert start == datetime(2026, 3, 8, 5, tzinfo=UTC)
    assert end == datetime(2026, 3, 9, 4, tzinfo=UTC)


def test_half_hour_zones_cut_days_at_the_next_whole_utc_hour():
    start, end = periods.day_window(date(2026, 3, 8), date(2026, 3, 8), ZoneInfo("Asia/Kolkata"))

    # Local midnight is 18:30 UTC; the hour 18:00-19:00 UTC starts on the previous local day.
    assert start == datetime(2026, 3, 7, 19, tzinfo=UTC)
    assert end == datetime(2026, 3, 8, 19, tzinfo=UTC)
    assert periods.local_day(
        datetime(2026, 3, 7, 18, tzinfo=UTC), ZoneInfo("Asia/Kolkata")
    ) == date(2026, 3, 7)


def test_only_utc_offset_zero_is_aligned():
    assert periods.is_utc_aligned(ZoneInfo("UTC"), date(2026, 3, 1), date(2026, 3, 31))
    assert periods.is_utc_aligned(ZoneInfo("Europe/London"), date(2026, 3, 1), date(2026, 3, 28))
    assert not periods.is_utc_aligned(
        ZoneInfo("Europe/London"), date(2026, 3, 1), date(2026, 3, 31)
    )


def test_segments_read_daily_rollups_for_whole_days_and_raw_after_the_watermark():
    start = datetime(2026, 3, 1, 5, tzinfo=UTC)
    end = datetime(2026, 3, 5, 5, tzinfo=UTC)
    watermark = datetime(2026, 3, 4, 13, tzinfo=UTC)

    parts = [
        (s.source, s.start.day, s.start.hour, s.end.day, s.end.hour)
        for s in segments(start, end, watermark)
    ]

    assert parts == [
        ("hourly", 1, 5, 2, 0),
        ("daily", 2, 0, 4, 0),
        ("hourly", 4, 0, 4, 13),
        ("raw", 4, 13, 5, 5),
    ]


def test_without_rollups_everything_is_raw():
    start = datetime(2026, 3, 1, tzinfo=UTC)
    end = datetime(2026, 3, 3, tzinfo=UTC)

    assert [s.source for s in segments(start, end, None)] == ["raw"]
    assert [s.source for s in segments(start, end, end)] == ["daily"]
