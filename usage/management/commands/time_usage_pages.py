from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from usage import benchmarks


class Command(BaseCommand):
    help = (
        "Request the dashboard, Usage, export, request log and API pages of one account (by id) "
        "as its owner through Django's test client, --repeat times each after a warm-up, and "
        "print the median and slowest server time per page, in --time-zone (empty: the site's; "
        "the owner's own setting is restored afterwards)."
    )

    def add_arguments(self, parser):
        parser.add_argument("account_id", type=int)
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--time-zone", default="")

    def handle(self, *args, account_id, repeat, time_zone, **options):
        account = Account.objects.filter(pk=account_id).first()
        if account is None:
            raise CommandError(f"No account {account_id}.")
        timings = benchmarks.time_pages(account, repeat=repeat, time_zone=time_zone)
        for timing in timings:
            self.stdout.write(
                f"{timing.median_ms:8.1f} ms median {timing.max_ms:8.1f} ms max  "
                f"[{timing.status}] {timing.path}"
            )
        slowest = max(timings, key=lambda t: t.median_ms)
        self.stdout.write(f"Slowest median: {slowest.median_ms:.1f} ms ({slowest.path})")
