"""The model catalog: providers (upstreams), public models, routes between them, and prices."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from proxy.secrets import decrypt, encrypt


class Provider(models.Model):
    """An upstream API: where to send requests, how to authenticate, how long to wait."""

    class Kind(models.TextChoices):
        OPENAI = "openai", "OpenAI"
        OPENAI_COMPATIBLE = "openai_compatible", "OpenAI-compatible"
        ANTHROPIC = "anthropic", "Anthropic"
        GEMINI = "gemini", "Google Gemini"
        AZURE_OPENAI = "azure_openai", "Azure OpenAI"
        BEDROCK = "bedrock", "AWS Bedrock"
        DEMO = "demo", "Demo (offline)"

    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    base_url = models.URLField(max_length=500, blank=True)
    api_key_encrypted = models.TextField(blank=True, editable=False)
    extra_headers = models.JSONField(default=dict, blank=True)
    connect_timeout_s = models.FloatField(default=10.0, validators=[MinValueValidator(0.1)])
    first_byte_timeout_s = models.FloatField(default=120.0, validators=[MinValueValidator(0.1)])
    read_timeout_s = models.FloatField(
        default=120.0,
        validators=[MinValueValidator(0.1)],
        help_text="Longest wait between two chunks of a response.",
    )
    enabled = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def api_key(self) -> str:
        return decrypt(self.api_key_encrypted)

    def set_api_key(self, plaintext: str) -> None:
        self.api_key_encrypted = encrypt(plaintext) if plaintext else ""


class ModelQuerySet(models.QuerySet):
    def for_account(self, account_id: int) -> ModelQuerySet:
        """Enabled models that the account may use: public ones and those granted to it."""
        return (
            self.filter(enabled=True)
            .filter(models.Q(public=True) | models.Q(granted_accounts__id=account_id))
            .distinct()
        )


class Model(models.Model):
    """A model as clients name it (`model` in the request body)."""

    public_id = models.CharField("model id", max_length=200, unique=True)
    display_name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    context_window = models.PositiveIntegerField(null=True, blank=True)
    max_output_tokens = models.PositiveIntegerField(default=4096)
    enabled = models.BooleanField(default=True)
    public = models.BooleanField(
        default=True, help_text="Every account may use it; otherwise only the granted accounts."
    )
    granted_accounts = models.ManyToManyField(
        "accounts.Account", blank=True, related_name="granted_models"
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    objects = ModelQuerySet.as_manager()

    class Meta:
        ordering = ["public_id"]

    def __str__(self) -> str:
        return self.public_id

    def current_price(self, at=None) -> Price | None:
        at = at or timezone.now()
        return self.prices.filter(effective_from__lte=at).order_by("-effective_from").first()


class Route(models.Model):
    """One way to serve a model: a provider and the model's name there."""

    model = models.ForeignKey(Model, on_delete=models.CASCADE, related_name="routes")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="routes")
    upstream_model = models.CharField(max_length=200)
    priority = models.PositiveIntegerField(default=1, help_text="Lower is tried first.")
    weight = models.PositiveIntegerField(
        default=1, help_text="Share of traffic among routes of equal priority."
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["model", "priority", "-weight", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "provider", "upstream_model"], name="route_unique_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.model} -> {self.provider}:{self.upstream_model}"


class Price(models.Model):
    """Prices of a model in integer micro-USD per 1M tokens (and per image, audio minute or 1M
    characters for media models), from a moment on (history kept)."""

    model = models.ForeignKey(Model, on_delete=models.CASCADE, related_name="prices")
    input_per_mtok_micros = models.BigIntegerField(validators=[MinValueValidator(0)])
    output_per_mtok_micros = models.BigIntegerField(validators=[MinValueValidator(0)])
    cached_input_per_mtok_micros = models.BigIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Empty: cached input tokens cost the input price.",
    )
    cache_write_per_mtok_micros = models.BigIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Cache writes (Anthropic's cache creation). Empty: the input price.",
    )
    # Media endpoints are priced per unit; empty: that unit costs nothing (token prices apply).
    per_image_micros = models.BigIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Micro-USD per generated image (/v1/images/generations).",
    )
    per_audio_minute_micros = models.BigIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Micro-USD per minute of transcribed audio, charged by the millisecond.",
    )
    per_mchar_micros = models.BigIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Micro-USD per 1M input characters of speech (/v1/audio/speech).",
    )
    effective_from = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["model", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["model", "effective_from"], name="price_unique_start")
        ]

    def __str__(self) -> str:
        return f"{self.model} from {self.effective_from:%Y-%m-%d %H:%M}"
