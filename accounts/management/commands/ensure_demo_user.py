import secrets

from django.core.management.base import BaseCommand

from accounts.models import User


class Command(BaseCommand):
    help = (
        "Creates a demo superuser (admin@example.com with a random password) when the database "
        "has no user at all, and prints the credentials once. Does nothing otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", default="admin@example.com")

    def handle(self, *args, email: str, **options):
        if User.objects.exists():
            self.stdout.write("Users exist already; no demo user created.")
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(email=email, password=password)
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        self.stdout.write(self.style.SUCCESS("Created a demo superuser for this local install:"))
        self.stdout.write(f"  e-mail:   {email}")
        self.stdout.write(f"  password: {password}")
