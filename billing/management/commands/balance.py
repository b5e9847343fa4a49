from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from billing.money import format_usd


class Command(BaseCommand):
    help = (
        "Prints the settled balance of the personal account of the user with EMAIL, in USD and "
        "micro-USD; the last line is the micro-USD amount alone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")

    def handle(self, *args, **options) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        account = getattr(user, "personal_account", None) if user else None
        if account is None:
            raise CommandError(f"No personal account for {options['email']}.")
        # TODO(issue 6): also print the available amount net of outstanding holds.
        micros = account.balance_micros
        self.stdout.write(f"{account.name}: balance {format_usd(micros, places=6)}")
        self.stdout.write(str(micros))
