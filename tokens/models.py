"""API tokens: a show-once key stored as a SHA-256 hash, with per-token limits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tokens import limits


class ApiTokenQuerySet(models.QuerySet):
    def matching_hash(self, secret_hash: str) -> ApiTokenQuerySet:
        """The token whose current key, or whose previous key during a rotation, has this hash."""
        return self.filter(Q(secret_hash=secret_hash) | Q(previous_secret_hash=secret_hash))

    def live(self, now: datetime) -> ApiTokenQuerySet:
        """Tokens not revoked yet (expired ones included: their expiry may still be edited)."""
        return self.filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=now))

    def record_use(self, token_ids: Iterable[int], at: datetime) -> int:
        """Set `last_used_at` to `at` where it is older than a minute; the number of rows changed.

        The condition keeps the write at most once a minute per token even when several
        processes report the same token.
        """
        return self.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=at - timedelta(minutes=1)),
            id__in=list(token_ids),
        ).update(last_used_at=at)


class ApiToken(models.Model):
    """A key that client apps send to /v1, belonging to an account."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=limits.NAME_MAX_LENGTH)
    note = models.TextField(max_length=limits.NOTE_MAX_LENGTH, blank=True)
    prefix = models.CharField(
        max_length=20, editable=False, help_text="The key's first characters."
    )
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    # During a rotation with a grace period the previous key keeps working until
    # previous_valid_until, so running services can switch without downtime.
    previous_prefix = models.CharField(max_length=20, blank=True, editable=False)
    previous_secret_hash = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    previous_valid_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_tokens",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Public model ids (proxy.Model.public_id); empty: every model enabled for the account.
    allowed_models = models.JSONField(default=list, blank=True)
    # Integer micro-USD. Usage settlement adds to spent_micros.
    spend_limit_micros = models.BigIntegerField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(limits.MIN_SPEND_LIMIT_MICROS),
            MaxValueValidator(limits.MAX_SPEND_LIMIT_MICROS),
        ],
    )
    spent_micros = models.BigIntegerField(default=0, editable=False)
    rpm_limit = models.PositiveIntegerField(
        "requests per minute",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(limits.MAX_RPM)],
    )
    max_concurrency = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(limits.MAX_CONCURRENCY)],
    )
    # Normalized IPs/CIDRs (limits.clean_networks); empty: any address.
    allowed_ips = models.JSONField(default=list, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        indexes = [models.Index(fields=["account", "-created_at"], name="apitoken_account_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def status_at(self, now: datetime) -> ApiToken.Status:
        if self.revoked_at is not None and self.revoked_at <= now:
            return self.Status.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    @property
    def status(self) -> ApiToken.Status:
        return self.status_at(timezone.now())

    @property
    def previous_key_active(self) -> bool:
        return self.previous_key_valid(timezone.now())

    def is_usable(self, now: datetime) -> bool:
        return self.status_at(now) == self.Status.ACTIVE

    def is_revoked(self, now: datetime) -> bool:
        return self.status_at(now) == self.Status.REVOKED

    def previous_key_valid(self, now: datetime) -> bool:
        """Whether the key replaced by the last rotation still works (its grace period)."""
        return (
            self.previous_secret_hash is not None
            and self.previous_valid_until is not None
            and self.previous_valid_until > now
        )

    def known_hashes(self) -> set[str]:
        """Every key hash this row answers to now or did when it was loaded (for invalidation)."""
        hashes = {self.secret_hash, self.previous_secret_hash, *getattr(self, "_loaded_hashes", ())}
        return {h for h in hashes if h}

    @classmethod
    def from_db(cls, db, field_names, values):
        token = super().from_db(db, field_names, values)
        # Remember the hashes as loaded: a rotation replaces them, and the cache entries of the
        # replaced keys must go too.
        token._loaded_hashes = (
            token.__dict__.get("secret_hash"),
            token.__dict__.get("previous_secret_hash"),
        )
        return token
