"""Billing records: the ledger, credit packs, Stripe purchases and events, redemption codes.

Money is integer micro-USD in 64-bit columns (`*_micros`); prices charged through Stripe are
integers in the currency's smallest unit (`price_cents`). Only `billing.ledger.post_entry` writes
ledger entries and balances.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Account
from billing.money import format_price, format_usd


class LedgerEntry(models.Model):
    """One change of one account's balance. Append-only: never updated, never deleted."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        USAGE = "usage", "Usage"
        ADJUSTMENT = "adjustment", "Adjustment"
        REFUND = "refund", "Refund"
        DISPUTE = "dispute", "Dispute"
        REDEMPTION = "redemption", "Redemption"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount_micros = models.BigIntegerField(help_text="Signed: credits are positive.")
    balance_after_micros = models.BigIntegerField()
    idempotency_key = models.CharField(max_length=200, unique=True)
    reference = models.CharField(
        max_length=200, blank=True, help_text="Stripe ids, usage batch id, redemption code."
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The staff member who posted it, for adjustments.",
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["account", "-id"], name="ledger_account_recent")]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_usd(self.amount_micros, places=6)}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger entries are append-only.")


class CreditPack(models.Model):
    """What the Billing page sells: `credits_micros` for `price_cents` through Stripe Checkout."""

    name = models.CharField(max_length=100)
    price_cents = models.PositiveIntegerField(
        help_text="In the currency's smallest unit (cents for USD); what Stripe charges."
    )
    currency = models.CharField(max_length=3, default="usd", help_text="ISO code, e.g. usd.")
    credits_micros = models.BigIntegerField(help_text="Credits added, in micro-USD.")
    active = models.BooleanField(default=True)
    sort_order = models.IntegerField(default=0)
    stripe_price_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="Optional Stripe Price (its amount must equal this pack's price).",
    )

    class Meta:
        ordering = ["sort_order", "price_cents", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credits_micros__gt=0), name="creditpack_credits_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(price_cents__gt=0), name="creditpack_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.currency = self.currency.lower()
        super().save(*args, **kwargs)

    @property
    def price_display(self) -> str:
        return format_price(self.price_cents, self.currency)


class Purchase(models.Model):
    """One Stripe Checkout attempt for one pack; credited once, by the webhook."""

    class Status(models.TextChoices):
        CREATED = "created", "Created"
        OPEN = "open", "Awaiting payment"
        PROCESSING = "processing", "Processing"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"
        REFUNDED = "refunded", "Refunded"
        DISPUTED = "disputed", "Disputed"
        REVIEW = "review", "Needs review"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="purchases")
    pack = models.ForeignKey(CreditPack, on_delete=models.PROTECT, related_name="purchases")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Copied from the pack when the purchase starts: later pack edits do not change it.
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    credits_micros = models.BigIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    stripe_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True)
    receipt_url = models.URLField(max_length=2000, blank=True)
    refunded_micros = models.BigIntegerField(default=0)
    disputed_micros = models.BigIntegerField(default=0)
    note = models.TextField(blank=True, help_text="Why it needs review, what failed.")
    created = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"Purchase #{self.pk} ({self.pack})"

    @property
    def amount_display(self) -> str:
        return format_price(self.amount_cents, self.currency)

    @property
    def is_pending(self) -> bool:
        return self.status in {self.Status.CREATED, self.Status.OPEN, self.Status.PROCESSING}


class StripeEvent(models.Model):
    """Each Stripe event id, recorded once, in the same transaction as its effects."""

    class Outcome(models.TextChoices):
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        REJECTED = "rejected", "Rejected (needs review)"

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    note = models.TextField(blank=True)
    payload = models.JSONField()
    received = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id}"


def new_code() -> str:
    # No 0/O/1/I: codes are read from screens and typed by hand.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    groups = ("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


class RedemptionCode(models.Model):
    """A code staff hand out; each account can redeem it once, up to `max_redemptions` in all."""

    code = models.CharField(max_length=64, unique=True, default=new_code)
    value_micros = models.BigIntegerField(help_text="Credits per redemption, in micro-USD.")
    max_redemptions = models.PositiveIntegerField(default=1)
    expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value_micros__gt=0), name="redemptioncode_value_positive"
            )
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        self.code = normalize_code(self.code)
        super().save(*args, **kwargs)


def normalize_code(text: str) -> str:
    """Codes compare without case and surrounding blanks."""
    return text.strip().upper()


class Redemption(models.Model):
    code = models.ForeignKey(RedemptionCode, on_delete=models.PROTECT, related_name="redemptions")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["code", "account"], name="redemption_once_per_account")
        ]

    def __str__(self) -> str:
        return f"{self.code} for {self.account}"
