from __future__ import annotations

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
    # The unit prices used (micro-USD per 1M tokens): later price edits never change history.
    price_input_per_mtok_micros = models.BigIntegerField(null=True, blank=True)
    price_output_per_mtok_micros = models.BigIntegerField(null=True, blank=True)
    price_cached_input_per_mtok_micros = models.BigIntegerField(null=True, blank=True)
    upstream_request_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)
    settled = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="usage_account_time"),
            models.Index(
                fields=["account", "settled"],
                name="usage_unsettled",
                condition=models.Q(settled=False),
            ),
        ]

    def __str__(self) -> str:
        return self.request_id
