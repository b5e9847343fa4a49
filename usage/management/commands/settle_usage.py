from django.core.management.base import BaseCommand

from usage.settlement import settle_all


class Command(BaseCommand):
    help = (
        "Charges every unsettled usage record to its account's ledger now, in batches (one "
        "usage entry per batch). Safe to run at any time, also beside the Celery worker."
    )

    def handle(self, *args, **options):
        self.stdout.write(str(settle_all()))
