from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Account, User
from tokens import access, lifecycle
from tokens.forms import TokenForm


class Command(BaseCommand):
    help = (
        "Creates an API token on the personal account of the user with EMAIL and prints the key "
        "alone on the last line (it is not shown anywhere else). Limits are checked as on the "
        "Tokens page."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", required=True)
        parser.add_argument("--models", default="", help="Comma-separated model ids (default all)")
        parser.add_argument("--expires-days", type=int, help="Expire after N days (default never)")
        parser.add_argument("--rpm", type=int, help="Requests per minute")
        parser.add_argument("--max-concurrency", type=int, help="Concurrent requests")
        parser.add_argument("--spend-limit-usd", help="Spend limit in USD, e.g. 25.00")

    def handle(self, *args, email: str, name: str, **options) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the e-mail address {email}.")
        account = Account.objects.filter(personal_for=user).first()
        if account is None:
            raise CommandError(f"{user.email} has no personal account.")

        days = options["expires_days"]
        data = {
            "name": name,
            "allowed_models": [m.strip() for m in options["models"].split(",") if m.strip()],
            "expires_at": timezone.now() + timedelta(days=days) if days is not None else None,
            "rpm_limit": options["rpm"],
            "max_concurrency": options["max_concurrency"],
            "spend_limit_usd": options["spend_limit_usd"],
        }
        form = TokenForm(
            {k: v for k, v in data.items() if v is not None},
            model_choices=access.model_choices(account),
        )
        if not form.is_valid():
            problems = "; ".join(
                f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()
            )
            raise CommandError(f"Cannot create the token: {problems}")

        token, key = lifecycle.create_token(account, user, **form.token_settings())
        self.stdout.write(f"Created token {token.name!r} ({token.prefix}…) on {account.name}.")
        self.stdout.write(key)
