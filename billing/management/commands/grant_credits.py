import getpass

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from billing.grants import grant_credits
from billing.ledger import LedgerError
from billing.money import format_usd, usd_to_micros


class Command(BaseCommand):
    help = (
        "Posts an adjustment of AMOUNT_USD (negative deducts) on the personal account of the user "
        "with EMAIL, with --note saying why. The operator's login is kept as the reference; "
        "--by names the staff user. --key makes a retry post the grant only once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("amount_usd", help="e.g. 25, 0.50 or -3")
        parser.add_argument("--note", required=True, help="Why (kept on the ledger entry).")
        parser.add_argument("--by", default="", help="E-mail of the staff user granting it.")
        parser.add_argument("--key", default="", help="An idempotency key for this grant.")

    def handle(self, *args, **options) -> None:
        user = _user(options["email"])
        granted_by = _user(options["by"]) if options["by"] else None
        account = getattr(user, "personal_account", None)
        if account is None:
            raise CommandError(f"{user.email} has no personal account.")
        try:
            amount = usd_to_micros(options["amount_usd"])
            entry = grant_credits(
                account,
                amount,
                note=options["note"],
                granted_by=granted_by,
                reference=f"manage.py grant_credits by {getpass.getuser()}"[:200],
                idempotency_key=f"adjustment:cli:{options['key']}" if options["key"] else "",
            )
        except (ValueError, LedgerError) as exc:
            raise CommandError(f"Nothing posted: {exc}") from None
        self.stdout.write(
            f"Posted {format_usd(entry.amount_micros, places=6)} on {account.name}; "
            f"balance {format_usd(entry.balance_after_micros, places=6)} (entry {entry.pk})."
        )


def _user(email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"No user with e-mail {email}.")
    return user
