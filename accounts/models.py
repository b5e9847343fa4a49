from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with an e-mail address. Tenancy lives on Account, not here."""

    username = None
    email = models.EmailField("e-mail address", unique=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


class Account(models.Model):
    """The tenant: owns the balance, the API tokens and the usage of its members."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # Integer micro-USD (1 USD = 1,000,000). Only billing.ledger changes it, together with an entry.
    balance_micros = models.BigIntegerField(default=0, editable=False)
    personal_for = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="personal_account",
        help_text="The user whose personal account this is (created at sign-up).",
    )
    # A low-balance e-mail goes out each time the balance crosses below this (billing.alerts).
    rpm_limit = models.PositiveIntegerField(
        "requests per minute",
        null=True,
        blank=True,
        help_text="For the whole account, over all its keys. Empty: the default "
        "(ACCOUNT_RPM_DEFAULT); 0: unlimited.",
    )
    low_balance_threshold_micros = models.BigIntegerField(
        "low-balance threshold (micro-USD)",
        default=1_000_000,
        help_text="E-mail the owners and admins when the balance drops below this; 0 turns it off.",
    )
    low_balance_notified_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the balance last crossed below the threshold (cleared once above it).",
    )
    # Set by billing when something needs a human (a Stripe dispute); staff clear it in the admin.
    flagged_reason = models.TextField(blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_flagged(self) -> bool:
        return bool(self.flagged_reason)


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "account"], name="membership_unique_user_account"
            )
        ]
        ordering = ["account__name", "id"]

    def __str__(self) -> str:
        return f"{self.user} in {self.account} ({self.role})"

    @property
    def can_manage(self) -> bool:
        """Owners and admins manage everything in the account; members only their own things."""
        return self.role in {self.Role.OWNER, self.Role.ADMIN}
