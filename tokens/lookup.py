"""Token lookup for the proxy: key -> TokenContext, on every /v1 request.

Order: shape check, SHA-256, this process's cache (about a second), Redis (when REDIS_URL is
set), and the database only on a miss. Every change to a token or to its account's status calls
`invalidate()`, which clears this process's entry and marks the Redis entry stale; the short
local TTL bounds the rest, so revocation, rotation and limit edits reach every process within
about a second (the promise is 2 s). Expiry, including the end of a rotation's grace period, is
checked on every call against the cached `expires_at`, so it needs no invalidation at all.

    context = await lookup(key)        # None: malformed, unknown, revoked or expired key
    if context is None: ...            # 401 invalid_api_key
    if not context.account_active: ... # 403 account_suspended
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tokens import activity
from tokens.cache import MISS, LocalCache, RedisTokenCache
from tokens.context import TokenContext, context_from_token, decode, encode
from tokens.keys import hash_key, looks_like_key
from tokens.models import ApiToken

__all__ = [
    "TokenContext",
    "TokenLookup",
    "invalidate",
    "invalidate_account",
    "invalidate_hashes",
    "lookup",
    "lookup_sync",
]

LOCAL_TTL_S = 1.0


def load_context(secret_hash: str) -> TokenContext | None:
    """The context for a key hash straight from the database (the slow path)."""
    try:
        return _load_context(secret_hash)
    except DatabaseError:
        # Outside Django's request cycle (the proxy) nobody else closes a connection that the
        # database dropped; reconnect once rather than fail every lookup from now on.
        if connection.in_atomic_block:
            raise
        connection.close()
        return _load_context(secret_hash)


def _load_context(secret_hash: str) -> TokenContext | None:
    now = timezone.now()
    token = ApiToken.objects.select_related("account").matching_hash(secret_hash).order_by().first()
    return None if token is None else context_from_token(token, secret_hash, now)


class TokenLookup:
    """One process's view of the tokens: its local cache in front of the shared Redis one.

    The module keeps one instance; tests make a second one to play another process.
    """

    def __init__(self, local_ttl_s: float = LOCAL_TTL_S) -> None:
        self.local = LocalCache(local_ttl_s)
        self._shared: dict[str, RedisTokenCache] = {}

    def shared(self) -> RedisTokenCache | None:
        """The Redis layer, when REDIS_URL is set (read at call time, never at import)."""
        url = settings.REDIS_URL
        if not url:
            return None
        cache = self._shared.get(url)
        if cache is None:
            cache = self._shared[url] = RedisTokenCache(url)
        return cache

    async def lookup(self, key: str) -> TokenContext | None:
        if not looks_like_key(key):
            return None
        secret_hash = hash_key(key)
        context = self.local.get(secret_hash)
        if context is MISS:
            context = await self._resolve_async(secret_hash)
        return _usable(context)

    def lookup_sync(self, key: str) -> TokenContext | None:
        if not looks_like_key(key):
            return None
        secret_hash = hash_key(key)
        context = self.local.get(secret_hash)
        if context is MISS:
            context = self._resolve_sync(secret_hash)
        return _usable(context)

    async def _resolve_async(self, secret_hash: str) -> TokenContext | None:
        shared = self.shared()
        if shared is not None:
            raw = await shared.aget(secret_hash)
            context = _decode(raw)
            if context is not MISS:
                self.local.set(secret_hash, context)
                return context
        context = await sync_to_async(load_context)(secret_hash)
        if shared is not None:
            await shared.afill(secret_hash, _encode(context))
        self.local.set(secret_hash, context)
        return context

    def _resolve_sync(self, secret_hash: str) -> TokenContext | None:
        shared = self.shared()
        if shared is not None:
            context = _decode(shared.get(secret_hash))
            if context is not MISS:
                self.local.set(secret_hash, context)
                return context
        context = load_context(secret_hash)
        if shared is not None:
            shared.fill(secret_hash, _encode(context))
        self.local.set(secret_hash, context)
        return context

    def forget(self, hashes: Iterable[str]) -> None:
        """Drop these key hashes from this process's cache and mark them stale in Redis."""
        hashes = list(hashes)
        self.local.discard(hashes)
        shared = self.shared()
        if shared is not None:
            shared.invalidate(hashes)


def _decode(raw: object) -> object:
    """A TokenContext, None (known unusable) or MISS."""
    if raw is MISS or raw is None:
        return raw
    try:
        return decode(raw)
    except (ValueError, TypeError, KeyError):
        return MISS  # an entry written by another version: read the database instead


def _encode(context: TokenContext | None) -> bytes | None:
    return None if context is None else encode(context)


def _usable(context: TokenContext | None) -> TokenContext | None:
    if context is None or context.is_expired(time.time()):
        return None
    activity.note_use(context.token_id)
    return context


_default = TokenLookup()


async def lookup(key: str) -> TokenContext | None:
    """The context of a usable key; None for a malformed, unknown, revoked or expired one.

    A key of a suspended account is returned with `account_active=False`.
    """
    return await _default.lookup(key)


def lookup_sync(key: str) -> TokenContext | None:
    """`lookup()` for synchronous callers (same caches, blocking Redis client)."""
    return _default.lookup_sync(key)


def invalidate(token: ApiToken) -> None:
    """Forget every cached context of `token` (current key, previous key, keys it had when
    loaded). Called for every change to a token; safe to call more than needed."""
    invalidate_hashes(token.known_hashes())


def invalidate_account(account_id: int) -> None:
    """Forget the cached contexts of every live token of an account (its status changed)."""
    hashes: set[str] = set()
    rows = ApiToken.objects.filter(account_id=account_id).live(timezone.now())
    for current, previous in rows.values_list("secret_hash", "previous_secret_hash"):
        hashes.update(h for h in (current, previous) if h)
    invalidate_hashes(hashes)


def invalidate_hashes(hashes: Iterable[str]) -> None:
    """Forget these key hashes now and, inside a transaction, once more after it commits (a
    lookup that read the old row just before the commit may have cached it meanwhile)."""
    hashes = tuple(hashes)
    if not hashes:
        return
    _default.forget(hashes)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _default.forget(hashes))


def clear_local_cache() -> None:
    """Empty this process's cache (tests)."""
    _default.local.clear()
