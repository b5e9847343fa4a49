from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.core.management.base import BaseCommand, CommandError

from usage import periods, rollups


class Command(BaseCommand):
    help = (
        "Rebuild the hourly and daily usage rollups from the raw usage records. Without "
        "--since, does what the periodic task does (from the last run up to now). With "
        "--since/--until (UTC dates, --until exclusive, default: now), rebuilds that window, "
        "e.g. after replaying records written late. Idempotent; hours whose raw records were "
        "already deleted by the retention are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=date.fromisoformat, help="first UTC day, YYYY-MM-DD")
        parser.add_argument("--until", type=date.fromisoformat, help="UTC day after the last one")

    def handle(self, *args, since=None, until=None, **options):
        if since is None:
            if until is not None:
                raise CommandError("--until needs --since")
            result = rollups.roll_up()
        else:
            start = datetime.combine(since, time(), tzinfo=UTC)
            end = datetime.combine(until, time(), tzinfo=UTC) if until else datetime.now(UTC)
            if end <= start:
                raise CommandError("--until must be after --since")
            result = rollups.rebuild(start, periods.ceil_hour(end))
        self.stdout.write(
            f"Rebuilt {result.hourly_rows} hourly and {result.daily_rows} daily rollup rows "
            f"for {result.start:%Y-%m-%d %H:00} to {result.end:%Y-%m-%d %H:00} UTC."
        )
