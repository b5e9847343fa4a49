from django.core.management.base import BaseCommand, CommandError

from billing.ledger import find_violations


class Command(BaseCommand):
    help = (
        "Checks, for every account, that the balance equals the sum of its ledger entries and "
        "the newest entry's balance_after. Prints each violation and exits 1 if there is any."
    )

    def handle(self, *args, **options) -> None:
        violations = find_violations()
        for violation in violations:
            self.stdout.write(f"VIOLATION {violation}")
        if violations:
            raise CommandError(f"{len(violations)} account(s) violate the ledger invariant.")
        self.stdout.write("Ledger OK: every balance equals the sum of its entries.")
