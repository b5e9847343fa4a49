from __future__ import annotations

from django.conf import settings
from django.db import models


class UsageRecord(models.Model):
    """One /v1 request: who, which model and route, how it went, the tokens and what it cost.

    Written after the response's last byte; it is the durable outbox from which settlement
    charges the ledger. No prompt or completion content is ever stored here.
    """

    request_id = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="usage_records"
    )
    token = models.ForeignKey(
        "tokens.ApiToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="usage_records",
    )
    model = models.CharField(max_length=200, blank=True, help_text="The model id the client sent.")
    route_id = models.BigIntegerField(null=True, blank=True)
    provider = models.CharField(max_length=100, blank=True)
    upstream_model = models.CharField(max_length=200, blank=True)
    client_protocol = models.CharField(max_length=20)
    endpoint = models.CharField(max_length=40)
    stream = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField()
    error_type = models.CharField(max_length=60, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    ttfb_ms = models.PositiveIntegerField(null=True, blank=True)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cached_tokens = models.BigIntegerField(default=0)
    reasoning_tokens = models.BigIntegerField(default=0)
    usage_estimated = models.BooleanField(default=False)
    cost_micros = models.BigIntegerField(default=0)
    # Media endpoints: what the unit price applied to (images, audio milliseconds, characters).
    # db_default: the raw INSERT of usage.recording may leave them out (token-priced calls).
    units = models.BigIntegerField(default=0, db_default=0)
    unit_kind = models.CharField(
        max_length=20, blank=True, default="", db_default="", help_text="image, audio_ms or char."
    )
    # The unit prices used (micro-USD per 1M tokens): later price edits never change history.
    price_input_per_mtok_micros = models.BigIntegerField(null=True, blank=True)
    price_output_per_mtok_micros = models.BigIntegerField(null=True, blank=True)
    price_cached_input_per_mtok_micros = models.BigIntegerField(null=True, blank=True)
    upstream_request_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)
    settled = models.BooleanField(default=False)
    settlement_entry = models.ForeignKey(
        "billing.LedgerEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="usage_records",
        help_text="The usage ledger entry (batch) that charged this record.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="usage_account_time"),
            models.Index(
                fields=["account", "settled"],
                name="usage_unsettled",
                condition=models.Q(settled=False),
            ),
            # Settlement and token spend limits sum a token's unsettled records.
            models.Index(
                fields=["token", "settled"],
                name="usage_token_unsettled",
                condition=models.Q(settled=False),
            ),
            # The request log's filters, newest first, without scanning the whole account.
            models.Index(
                fields=["account", "token", "-created_at"], name="usage_account_token_time"
            ),
            models.Index(
                fields=["account", "model", "-created_at"], name="usage_account_model_time"
            ),
            models.Index(
                fields=["account", "-created_at"],
                name="usage_account_errors",
                condition=models.Q(status_code__gte=400),
            ),
        ]

    def __str__(self) -> str:
        return self.request_id


class UsageRollup(models.Model):
    """Sums of the usage records of one bucket for one account, token, model and route.

    Rebuilt from the raw records by usage.rollups (never edited by hand), so a bucket can be
    recomputed any number of times with the same result. Rows exist only where there was usage.
    """

    bucket = models.DateTimeField(help_text="Start of the hour or UTC day.")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey(
        "tokens.ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model = models.CharField(max_length=200, blank=True)
    provider = models.CharField(max_length=100, blank=True)
    route_id = models.BigIntegerField(null=True, blank=True)
    requests = models.BigIntegerField(default=0)
    errors = models.BigIntegerField(default=0, help_text="Requests answered with 400 or above.")
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cached_tokens = models.BigIntegerField(default=0)
    reasoning_tokens = models.BigIntegerField(default=0)
    cost_micros = models.BigIntegerField(default=0)
    latency_ms_total = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class HourlyRollup(UsageRollup):
    class Meta:
        ordering = ["bucket", "id"]
        indexes = [
            models.Index(fields=["account", "bucket"], name="usage_hourly_account_bucket"),
            models.Index(fields=["bucket"], name="usage_hourly_bucket"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.bucket:%Y-%m-%d %H:00} {self.model}"


class DailyRollup(UsageRollup):
    """The same sums per UTC day, built from the hourly rollups."""

    class Meta:
        ordering = ["bucket", "id"]
        indexes = [
            models.Index(fields=["account", "bucket"], name="usage_daily_account_bucket"),
            models.Index(fields=["bucket"], name="usage_daily_bucket"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.bucket:%Y-%m-%d} {self.model}"


class RollupState(models.Model):
    """The one row that says how far the rollups go; rollup runs lock it to run one at a time."""

    rolled_until = models.DateTimeField(
        null=True, blank=True, help_text="Rollups are complete for every hour before this."
    )
    pruned_before = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Settled raw records before this are deleted: hours before it are never rebuilt.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"rolled until {self.rolled_until}, pruned before {self.pruned_before}"


class UserPreference(models.Model):
    """Per-person display settings (kept here rather than on User, which other apps own)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="usage_preference"
    )
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="IANA name, e.g. Europe/Paris; empty: the site's."
    )

    def __str__(self) -> str:
        return f"{self.user}: {self.time_zone or 'site time zone'}"
