from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from billing.money import format_usd
from usage.balance import available_micros, held_micros, unsettled_micros


class Command(BaseCommand):
    help = (
        "Prints the settled balance of the personal account of the user with EMAIL, and what "
        "it can still spend (less credit holds of requests in flight and usage not yet "
        "settled), in USD and micro-USD; the last line is the settled micro-USD amount alone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")

    def handle(self, *args, **options) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        account = getattr(user, "personal_account", None) if user else None
        if account is None:
            raise CommandError(f"No personal account for {options['email']}.")
        micros = account.balance_micros
        available = available_micros(account)
        self.stdout.write(f"{account.name}: balance {format_usd(micros, places=6)}")
        self.stdout.write(
            f"available {format_usd(available, places=6)} ({available} micro-USD; "
            f"held {held_micros(account.id)}, unsettled {unsettled_micros(account.id)})"
        )
        self.stdout.write(str(micros))
