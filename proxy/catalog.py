"""The catalog in memory: model -> routes -> prices, and who may use what.

The /v1 path never queries the database for the catalog. A snapshot is built from the database
on first use and rebuilt when staff change a provider, model, route or price: every such change
bumps a version number in the shared cache (Redis in the full stack), and each process checks that
number at most once per `CHECK_INTERVAL_S`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime

from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.utils import timezone

VERSION_KEY = "catalog:version"
CHECK_INTERVAL_S = 1.0


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    id: int
    name: str
    kind: str
    base_url: str
    api_key: str = field(repr=False)
    extra_headers: tuple[tuple[str, str], ...]
    connect_timeout_s: float
    first_byte_timeout_s: float
    read_timeout_s: float


@dataclass(frozen=True, slots=True)
class RoutePlan:
    id: int
    provider: ProviderConfig
    upstream_model: str
    priority: int
    weight: int


@dataclass(frozen=True, slots=True)
class PriceSnapshot:
    """Micro-USD per 1M tokens (and per media unit). Copied into every usage record, so history
    never changes."""

    id: int
    input_per_mtok_micros: int
    output_per_mtok_micros: int
    cached_input_per_mtok_micros: int
    effective_from: datetime
    cache_write_per_mtok_micros: int = 0
    # Media models: micro-USD per image, per audio minute, per 1M input characters (None: none)
    per_image_micros: int | None = None
    per_audio_minute_micros: int | None = None
    per_mchar_micros: int | None = None


@dataclass(frozen=True, slots=True)
class CatalogModel:
    id: str
    display_name: str
    description: str
    context_window: int | None
    max_output_tokens: int
    public: bool
    granted_account_ids: frozenset[int]
    created: int
    routes: tuple[RoutePlan, ...]
    prices: tuple[PriceSnapshot, ...]  # newest first

    def usable_by(self, account_id: int) -> bool:
        return self.public or account_id in self.granted_account_ids

    def price_at(self, moment: datetime) -> PriceSnapshot | None:
        for price in self.prices:
            if price.effective_from <= moment:
                return price
        return None


@dataclass(frozen=True, slots=True)
class Snapshot:
    version: int
    models: dict[str, CatalogModel]


def build_snapshot(version: int) -> Snapshot:
    """Read every enabled model with its enabled routes (to enabled providers) and prices."""
    from proxy.models import Model

    models: dict[str, CatalogModel] = {}
    queryset = Model.objects.filter(enabled=True).prefetch_related(
        "routes__provider", "prices", "granted_accounts"
    )
    for model in queryset:
        routes = tuple(
            RoutePlan(
                id=route.id,
                provider=provider_config(route.provider),
                upstream_model=route.upstream_model,
                priority=route.priority,
                weight=route.weight,
            )
            for route in sorted(model.routes.all(), key=lambda r: (r.priority, r.id))
            if route.enabled and route.provider.enabled
        )
        prices = tuple(
            PriceSnapshot(
                id=price.id,
                input_per_mtok_micros=price.input_per_mtok_micros,
                output_per_mtok_micros=price.output_per_mtok_micros,
                cached_input_per_mtok_micros=(
                    price.input_per_mtok_micros
                    if price.cached_input_per_mtok_micros is None
                    else price.cached_input_per_mtok_micros
                ),
                effective_from=price.effective_from,
                cache_write_per_mtok_micros=(
                    price.input_per_mtok_micros
                    if price.cache_write_per_mtok_micros is None
                    else price.cache_write_per_mtok_micros
                ),
                per_image_micros=price.per_image_micros,
                per_audio_minute_micros=price.per_audio_minute_micros,
                per_mchar_micros=price.per_mchar_micros,
            )
            for price in sorted(model.prices.all(), key=lambda p: p.effective_from, reverse=True)
        )
        models[model.public_id] = CatalogModel(
            id=model.public_id,
            display_name=model.display_name,
            description=model.description,
            context_window=model.context_window,
            max_output_tokens=model.max_output_tokens,
            public=model.public,
            granted_account_ids=frozenset(a.id for a in model.granted_accounts.all()),
            created=int(model.created.timestamp()),
            routes=routes,
            prices=prices,
        )
    return Snapshot(version=version, models=models)


def provider_config(provider) -> ProviderConfig:
    return ProviderConfig(
        id=provider.id,
        name=provider.name,
        kind=provider.kind,
        base_url=provider.base_url.rstrip("/"),
        api_key=provider.api_key,
        extra_headers=tuple(sorted((provider.extra_headers or {}).items())),
        connect_timeout_s=provider.connect_timeout_s,
        first_byte_timeout_s=provider.first_byte_timeout_s,
        read_timeout_s=provider.read_timeout_s,
    )


def bump_version() -> None:
    """Tell every process that the catalog changed (called on each catalog save or delete)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, timeout=None)
    _state.checked_at = 0.0


class _State:
    snapshot: Snapshot | None = None
    checked_at: float = 0.0
    lock: asyncio.Lock | None = None


_state = _State()


def _read_version() -> int:
    return int(cache.get(VERSION_KEY) or 0)


async def current() -> Snapshot:
    """The catalog snapshot, rebuilt when its version changed; cheap on the hot path."""
    now = time.monotonic()
    snapshot = _state.snapshot
    if snapshot is not None and now - _state.checked_at < CHECK_INTERVAL_S:
        return snapshot
    if _state.lock is None:
        _state.lock = asyncio.Lock()
    async with _state.lock:
        snapshot = _state.snapshot
        if snapshot is not None and time.monotonic() - _state.checked_at < CHECK_INTERVAL_S:
            return snapshot
        version = await sync_to_async(_read_version)()
        if snapshot is None or snapshot.version != version:
            snapshot = await sync_to_async(build_snapshot)(version)
            _state.snapshot = snapshot
        _state.checked_at = time.monotonic()
        return snapshot


def current_sync() -> Snapshot:
    """The same snapshot for synchronous callers (pages, commands)."""
    version = _read_version()
    if _state.snapshot is None or _state.snapshot.version != version:
        _state.snapshot = build_snapshot(version)
        _state.checked_at = time.monotonic()
    return _state.snapshot


def reset() -> None:
    """Forget the snapshot (tests, after the database was rolled back underneath it)."""
    _state.snapshot = None
    _state.checked_at = 0.0
    _state.lock = None


def models_for(snapshot: Snapshot, account_id: int, allowed: frozenset[str]) -> list[CatalogModel]:
    """The models an account (and a token's allowlist; empty = all) may use, by id."""
    return [
        model
        for model_id, model in sorted(snapshot.models.items())
        if model.usable_by(account_id) and (not allowed or model_id in allowed)
    ]


def now() -> datetime:
    return timezone.now()
