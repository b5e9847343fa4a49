"""Loading the catalog from YAML (catalog.example.yaml shows the shape), idempotently.

Providers are matched by name and models by id; routes by (model, provider, upstream model).
Prices are history: a new price row is added only when the numbers differ from the current one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction

from proxy.models import Model, Price, Provider, Route


class CatalogError(ValueError):
    """The file does not describe a valid catalog; the message says where."""


@dataclass
class LoadSummary:
    providers: int = 0
    models: int = 0
    routes: int = 0
    prices_added: int = 0

    def __str__(self) -> str:
        return (
            f"{self.providers} providers, {self.models} models, {self.routes} routes, "
            f"{self.prices_added} new prices"
        )


def per_mtok_micros(value, where: str) -> int:
    """USD per 1M tokens (e.g. 0.15) -> integer micro-USD per 1M tokens (150000)."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise CatalogError(f"{where}: not a number: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise CatalogError(f"{where}: must be a positive number, not {value!r}")
    micros = amount * 1_000_000
    if micros != micros.to_integral_value():
        raise CatalogError(f"{where}: more precise than one micro-USD per 1M tokens")
    return int(micros)


def _require(mapping: dict, key: str, where: str):
    if not isinstance(mapping, dict) or key not in mapping or mapping[key] in (None, ""):
        raise CatalogError(f"{where}: '{key}' is required")
    return mapping[key]


@transaction.atomic
def load(data: dict, environ: dict | None = None) -> LoadSummary:
    """Upsert providers, models, routes and prices from `data`; all or nothing."""
    environ = os.environ if environ is None else environ
    if not isinstance(data, dict):
        raise CatalogError("the file must be a mapping with 'providers' and 'models'")
    summary = LoadSummary()
    providers: dict[str, Provider] = {p.name: p for p in Provider.objects.all()}
    for index, entry in enumerate(data.get("providers") or []):
        where = f"providers[{index}]"
        name = _require(entry, "name", where)
        kind = _require(entry, "kind", where)
        if kind not in Provider.Kind.values:
            raise CatalogError(
                f"{where}: unknown kind {kind!r} ({', '.join(Provider.Kind.values)})"
            )
        provider = providers.get(name) or Provider(name=name)
        provider.kind = kind
        provider.base_url = entry.get("base_url", provider.base_url or "")
        if "api_key_env" in entry:
            variable = entry["api_key_env"]
            if not environ.get(variable):
                raise CatalogError(f"{where}: environment variable {variable} is not set")
            provider.set_api_key(environ[variable])
        elif "api_key" in entry:
            provider.set_api_key(str(entry["api_key"]))
        provider.extra_headers = entry.get("extra_headers", provider.extra_headers or {})
        for field in ("connect_timeout_s", "first_byte_timeout_s", "read_timeout_s"):
            if field in entry:
                setattr(provider, field, float(entry[field]))
        provider.enabled = bool(entry.get("enabled", True))
        provider.full_clean(exclude=["api_key_encrypted"])
        provider.save()
        providers[name] = provider
        summary.providers += 1

    for index, entry in enumerate(data.get("models") or []):
        where = f"models[{index}]"
        model_id = _require(entry, "id", where)
        model, _ = Model.objects.get_or_create(
            public_id=model_id, defaults={"display_name": entry.get("display_name", model_id)}
        )
        model.display_name = entry.get("display_name", model.display_name)
        model.description = entry.get("description", model.description)
        model.context_window = entry.get("context_window", model.context_window)
        model.max_output_tokens = entry.get("max_output_tokens", model.max_output_tokens)
        model.enabled = bool(entry.get("enabled", True))
        model.public = bool(entry.get("public", True))
        model.save()
        summary.models += 1
        prices = entry.get("prices")
        if prices is not None:
            summary.prices_added += _upsert_price(model, prices, f"{where}.prices")
        for route_index, route_entry in enumerate(entry.get("routes") or []):
            route_where = f"{where}.routes[{route_index}]"
            provider_name = _require(route_entry, "provider", route_where)
            if provider_name not in providers:
                raise CatalogError(f"{route_where}: unknown provider {provider_name!r}")
            route, _ = Route.objects.get_or_create(
                model=model,
                provider=providers[provider_name],
                upstream_model=route_entry.get("upstream_model", model_id),
            )
            route.priority = int(route_entry.get("priority", 1))
            route.weight = int(route_entry.get("weight", 1))
            route.enabled = bool(route_entry.get("enabled", True))
            route.save()
            summary.routes += 1
    return summary


# Media prices in the file (USD per unit) -> Price fields (micro-USD per unit).
MEDIA_PRICES = {
    "image": "per_image_micros",
    "audio_minute": "per_audio_minute_micros",
    "mchar": "per_mchar_micros",
}


def _optional_micros(prices: dict, key: str, where: str) -> int | None:
    value = prices.get(key)
    return None if value is None else per_mtok_micros(value, f"{where}.{key}")


def _upsert_price(model: Model, prices: dict, where: str) -> int:
    if not isinstance(prices, dict):
        raise CatalogError(f"{where}: must be a mapping with input and output")
    media = {field: _optional_micros(prices, key, where) for key, field in MEDIA_PRICES.items()}
    if any(value is not None for value in media.values()):
        # A media model may be priced by its unit alone: tokens then cost nothing.
        prices = {"input": 0, "output": 0, **prices}
    input_micros = per_mtok_micros(_require(prices, "input", where), f"{where}.input")
    output_micros = per_mtok_micros(_require(prices, "output", where), f"{where}.output")
    cached_micros = _optional_micros(prices, "cached_input", where)
    write_micros = _optional_micros(prices, "cache_write", where)
    numbers = {
        "input_per_mtok_micros": input_micros,
        "output_per_mtok_micros": output_micros,
        "cached_input_per_mtok_micros": cached_micros,
        "cache_write_per_mtok_micros": write_micros,
        **media,
    }
    current = model.current_price()
    if current and all(getattr(current, name) == value for name, value in numbers.items()):
        return 0
    Price.objects.create(model=model, **numbers)
    return 1


DEMO_CATALOG = {
    "providers": [{"name": "demo", "kind": "demo"}],
    "models": [
        {
            "id": "demo",
            "display_name": "Demo (offline)",
            "description": "A built-in demo model that quotes your message back. No real LLM.",
            "context_window": 8192,
            "max_output_tokens": 1024,
            "prices": {"input": 1, "output": 2, "cached_input": 0.5},
            "routes": [{"provider": "demo", "upstream_model": "demo"}],
            "public": True,
        },
        {
            "id": "demo-embedding",
            "display_name": "Demo embeddings (offline)",
            "description": "Deterministic 64-dimension vectors derived from a hash. No real model.",
            "max_output_tokens": 1,
            "prices": {"input": 0.02, "output": 0},
            "routes": [{"provider": "demo", "upstream_model": "demo-embedding"}],
            "public": True,
        },
    ],
}

OPENAI_CATALOG = {
    "providers": [
        {
            "name": "openai",
            "kind": "openai",
            "base_url": "https://api.openai.com/v1",
            "api_key_env": "OPENAI_API_KEY",
        }
    ],
    "models": [
        {
            "id": "gpt-4o-mini",
            "display_name": "GPT-4o mini",
            "context_window": 128000,
            "max_output_tokens": 16384,
            "prices": {"input": 0.15, "output": 0.60, "cached_input": 0.075},
            "routes": [{"provider": "openai", "upstream_model": "gpt-4o-mini"}],
        },
        {
            "id": "gpt-4o",
            "display_name": "GPT-4o",
            "context_window": 128000,
            "max_output_tokens": 16384,
            "prices": {"input": 2.50, "output": 10.00, "cached_input": 1.25},
            "routes": [{"provider": "openai", "upstream_model": "gpt-4o"}],
        },
        {
            "id": "text-embedding-3-small",
            "display_name": "text-embedding-3-small",
            "max_output_tokens": 1,
            "prices": {"input": 0.02, "output": 0},
            "routes": [{"provider": "openai", "upstream_model": "text-embedding-3-small"}],
        },
    ],
}


def bootstrap(environ: dict | None = None) -> str:
    """On an empty catalog: register the providers whose keys are in the environment, or the
    offline demo. Does nothing when any provider exists."""
    environ = os.environ if environ is None else environ
    if Provider.objects.exists():
        return "The catalog already has providers; nothing loaded."
    if environ.get("OPENAI_API_KEY"):
        return f"Loaded OpenAI from OPENAI_API_KEY: {load(OPENAI_CATALOG, environ)}."
    return f"Loaded the offline demo model: {load(DEMO_CATALOG, environ)}."
