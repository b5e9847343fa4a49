from datetime import UTC, datetime, timedelta

from django.core.management import call_command

from tests.usage.conftest import make_record
from usage import rollups
from usage.models import DailyRollup, HourlyRollup, RollupState, UsageRecord

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def rows(model) -> list[tuple]:
    return sorted(
        model.objects.values_list(
            "bucket", "account_id", "token_id", "model", "requests", "errors", "cost_micros"
        )
    )


def test_rebuild_sums_raw_records_per_hour_and_day(account_a, alice_token):
    make_record(account_a, at=T0 + timedelta(minutes=5), cost_micros=100, token=alice_token)
    make_record(account_a, at=T0 + timedelta(minutes=59), cost_micros=200, token=alice_token)
    make_record(account_a, at=T0 + timedelta(hours=1), cost_micros=400, status_code=502)

    rollups.rebuild(T0, T0 + timedelta(hours=2))

    assert rows(HourlyRollup) == [
        (T0, account_a.id, alice_token.id, "gpt-test", 2, 0, 300),
        (T0 + timedelta(hours=1), account_a.id, None, "gpt-test", 1, 1, 400),
    ]
    day = T0.replace(hour=0)
    daily = DailyRollup.objects.order_by("requests").values_list(
        "bucket", "token_id", "requests", "errors"
    )
    assert list(daily) == [(day, None, 1, 1), (day, alice_token.id, 2, 0)]


def test_rebuild_is_idempotent(account_a):
    for minutes in range(0, 300, 17):
        make_record(account_a, at=T0 + timedelta(minutes=minutes), cost_micros=minutes)

    rollups.rebuild(T0, T0 + timedelta(hours=5))
    first = rows(HourlyRollup), rows(DailyRollup)
    rollups.rebuild(T0, T0 + timedelta(hours=5))
    rollups.rebuild(T0 + timedelta(hours=1), T0 + timedelta(hours=3))

    assert (rows(HourlyRollup), rows(DailyRollup)) == first


def test_rebuilding_part_of_a_day_keeps_the_daily_total(account_a):
    make_record(account_a, at=T0, cost_micros=100)
    make_record(account_a, at=T0 + timedelta(hours=3), cost_micros=10)
    rollups.rebuild(T0, T0 + timedelta(hours=4))
    make_record(account_a, at=T0 + timedelta(hours=3, minutes=1), cost_micros=1)

    rollups.rebuild(T0 + timedelta(hours=3), T0 + timedelta(hours=4))

    assert DailyRollup.objects.get().cost_micros == 111


def test_roll_up_catches_up_from_the_oldest_record_and_sets_the_watermark(account_a):
    make_record(account_a, at=T0 - timedelta(days=3), cost_micros=7)
    make_record(account_a, at=T0 + timedelta(minutes=30), cost_micros=5)

    rollups.roll_up(now=T0 + timedelta(minutes=40))

    assert RollupState.objects.get().rolled_until == T0
    assert sum(HourlyRollup.objects.values_list("cost_micros", flat=True)) == 12


def test_roll_up_rebuilds_the_lookback_for_late_records(account_a, settings):
    settings.USAGE_ROLLUP_LOOKBACK_HOURS = 2
    rollups.roll_up(now=T0)
    make_record(account_a, at=T0 - timedelta(minutes=90), cost_micros=3)  # written late

    rollups.roll_up(now=T0 + timedelta(minutes=5))

    assert HourlyRollup.objects.get().cost_micros == 3


def test_prune_deletes_only_settled_records_older_than_the_retention(account_a, settings):
    settings.USAGE_RETENTION_DAYS = 30
    now = T0
    old_settled = make_record(account_a, at=now - timedelta(days=31), cost_micros=1)
    old_unsettled = make_record(
        account_a, at=now - timedelta(days=31), cost_micros=2, settled=False
    )
    recent = make_record(account_a, at=now - timedelta(days=29), cost_micros=4)

    result = rollups.prune(now)

    assert result.deleted == 1
    assert result.kept_unsettled == 1
    assert set(UsageRecord.objects.values_list("id", flat=True)) == {old_unsettled.id, recent.id}
    assert not UsageRecord.objects.filter(id=old_settled.id).exists()
    # Rollups keep everything.
    assert sum(DailyRollup.objects.values_list("cost_micros", flat=True)) == 7
    assert RollupState.objects.get().pruned_before == now - timedelta(days=30)


def test_pruned_hours_are_never_rebuilt(account_a, settings):
    settings.USAGE_RETENTION_DAYS = 30
    at = T0 - timedelta(days=40)
    make_record(account_a, at=at, cost_micros=5)
    rollups.prune(T0)

    rollups.rebuild(at - timedelta(days=1), T0)  # raw records are gone: must not zero the hour

    assert HourlyRollup.objects.get(bucket=at).cost_micros == 5


def test_prune_counts_a_late_record_before_deleting_it(account_a, settings):
    settings.USAGE_RETENTION_DAYS = 30
    rollups.roll_up(T0)
    make_record(account_a, at=T0 - timedelta(days=35), cost_micros=9)  # replayed very late

    rollups.prune(T0)

    assert not UsageRecord.objects.exists()
    assert HourlyRollup.objects.get().cost_micros == 9


def test_the_tasks_call_rollups(account_a):
    from usage import tasks

    make_record(account_a)

    assert tasks.roll_up_usage.apply().get().startswith("Rolled up")
    assert tasks.prune_usage.apply().get().startswith("Deleted 0 usage records")
    assert HourlyRollup.objects.exists()


def test_rollup_usage_command_rebuilds_a_window(account_a, capsys):
    make_record(account_a, at=T0)

    call_command("rollup_usage", "--since", "2026-03-10", "--until", "2026-03-11")

    assert HourlyRollup.objects.get().requests == 1
    assert "Rebuilt 1 hourly and 1 daily rollup rows" in capsys.readouterr().out


def test_rollup_usage_command_without_a_window_rolls_up_to_now(account_a, capsys):
    make_record(account_a)

    call_command("rollup_usage")

    assert RollupState.objects.get().rolled_until is not None
    assert capsys.readouterr().out.startswith("Rebuilt")
