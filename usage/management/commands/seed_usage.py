from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Account
from usage import rollups, seeding


class Command(BaseCommand):
    help = (
        "Insert synthetic usage records into one account (given by id or by its owner's "
        "e-mail, which picks their personal account), spread over the last --days, then bring "
        "the rollups up to date. For benchmarks and demos: the records are marked settled and "
        "never touch the ledger. Refused when DEBUG is off unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("account", help="account id, or the e-mail of its owner")
        parser.add_argument("--records", type=int, default=1_000_000)
        parser.add_argument("--days", type=int, default=60)
        parser.add_argument("--tokens", type=int, default=5, help="tokens to spread usage over")
        parser.add_argument("--seed", type=int, default=0, help="random seed (repeatable data)")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args, account, records, days, tokens, seed, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this looks like production (use --force).")
        if records < 1 or days < 1:
            raise CommandError("--records and --days must be at least 1")
        target = self._account(account)
        now = timezone.now()
        done = seeding.seed_records(
            target, count=records, days=days, now=now, tokens=tokens, seed=seed
        )
        # The first run rolls up everything; later ones only recent hours, so rebuild the rest.
        first_run = rollups.current_state().rolled_until is None
        rolled = rollups.roll_up(now)
        if not first_run:
            rolled = rollups.rebuild(done.first, now)
        self.stdout.write(
            f"Inserted {done.records} usage records into {target.name} (account {target.id}) "
            f"over {days} days across {done.tokens} tokens; rolled up "
            f"{rolled.hourly_rows} hourly and {rolled.daily_rows} daily rows."
        )

    def _account(self, text: str) -> Account:
        if text.isdigit():
            account = Account.objects.filter(pk=int(text)).first()
        else:
            account = Account.objects.filter(personal_for__email=text.lower()).first()
        if account is None:
            raise CommandError(f"No account {text!r}.")
        return account
