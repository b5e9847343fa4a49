"""The two cache layers under token lookup: a per-process dict and Redis.

The dict answers most lookups without any I/O; its entries live about a second, which bounds how
long a change made elsewhere can go unseen in this process. Redis is shared by every process and
is cleared explicitly when a token changes (`RedisTokenCache.invalidate`).

Invalidation writes a short-lived marker instead of deleting the entry, and entries are filled
with SET NX. A process that read the database just before a change committed therefore cannot
put the stale answer back after the invalidation: its SET NX finds the marker and does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

import redis
import redis.asyncio

logger = logging.getLogger(__name__)

MISS = object()  # not cached (a cached None means "no such usable key")

_KEY = "tg:token:{}"
_NEGATIVE = b"-"
_INVALIDATED = b"~"
# Every change invalidates explicitly; the TTL only bounds changes made behind the app's back
# (a raw SQL UPDATE, say).
POSITIVE_TTL_S = 120
# Unknown keys: short, so a flood of made-up keys costs one query per key per few seconds.
NEGATIVE_TTL_S = 10
INVALIDATED_TTL_S = 10
_CLIENT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1, "health_check_interval": 30}
_REDIS_ERRORS = (redis.RedisError, OSError, asyncio.TimeoutError)


class LocalCache:
    """A dict with a short TTL per entry, for one process. Thread-safe enough under the GIL:
    every operation is a single dict call, and a lost race only costs a cache miss."""

    def __init__(self, ttl_s: float, max_entries: int = 20_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, object]] = {}

    def get(self, key: str) -> object:
        entry = self._entries.get(key)
        if entry is None:
            return MISS
        expires, value = entry
        if time.monotonic() >= expires:
            self._entries.pop(key, None)
            return MISS
        return value

    def set(self, key: str, value: object) -> None:
        if len(self._entries) >= self.max_entries:
            self._prune()
        self._entries[key] = (time.monotonic() + self.ttl_s, value)

    def discard(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def _prune(self) -> None:
        now = time.monotonic()
        for key, (expires, _) in list(self._entries.items()):
            if expires <= now:
                self._entries.pop(key, None)
        if len(self._entries) >= self.max_entries:
            self._entries.clear()


class RedisTokenCache:
    """Raw token contexts in Redis, keyed by key hash: bytes, None (known unusable) or MISS.

    Both a blocking client (views, signals, `lookup_sync`) and one asyncio client per event loop
    (the proxy) talk to the same keys. Redis errors are logged and treated as a miss, so lookups
    fall back to the database rather than fail.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._sync: redis.Redis | None = None
        self._async: dict[asyncio.AbstractEventLoop, redis.asyncio.Redis] = {}

    @property
    def client(self) -> redis.Redis:
        if self._sync is None:
            self._sync = redis.Redis.from_url(self.url, **_CLIENT_OPTIONS)
        return self._sync

    def _async_client(self) -> redis.asyncio.Redis:
        # A redis.asyncio client belongs to the loop it first ran on. A server has one loop per
        # process; short-lived loops (asgiref's async_to_sync, tests) are dropped once closed.
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            for closed in [other for other in self._async if other.is_closed()]:
                del self._async[closed]
            client = redis.asyncio.Redis.from_url(self.url, **_CLIENT_OPTIONS)
            self._async[loop] = client
        return client

    def get(self, secret_hash: str) -> object:
        try:
            raw = self.client.get(_KEY.format(secret_hash))
        except _REDIS_ERRORS as exc:
            logger.warning("token cache: Redis get failed: %s", exc)
            return MISS
        return _parse(raw)

    async def aget(self, secret_hash: str) -> object:
        try:
            raw = await self._async_client().get(_KEY.format(secret_hash))
        except _REDIS_ERRORS as exc:
            logger.warning("token cache: Redis get failed: %s", exc)
            return MISS
        return _parse(raw)

    def fill(self, secret_hash: str, raw: bytes | None) -> None:
        try:
            self.client.set(_KEY.format(secret_hash), *_fill_args(raw), nx=True)
        except _REDIS_ERRORS as exc:
            logger.warning("token cache: Redis set failed: %s", exc)

    async def afill(self, secret_hash: str, raw: bytes | None) -> None:
        try:
            await self._async_client().set(_KEY.format(secret_hash), *_fill_args(raw), nx=True)
        except _REDIS_ERRORS as exc:
            logger.warning("token cache: Redis set failed: %s", exc)

    def invalidate(self, hashes: Iterable[str]) -> None:
        keys = [_KEY.format(h) for h in hashes]
        if not keys:
            return
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(key, _INVALIDATED, ex=INVALIDATED_TTL_S)
                pipe.execute()
        except _REDIS_ERRORS as exc:
            # The entries expire within POSITIVE_TTL_S anyway; nothing else can be done here.
            logger.error("token cache: Redis invalidation failed: %s", exc)


def _parse(raw: bytes | None) -> object:
    if raw is None or raw == _INVALIDATED:
        return MISS
    if raw == _NEGATIVE:
        return None
    return raw


def _fill_args(raw: bytes | None) -> tuple[bytes, int]:
    if raw is None:
        return _NEGATIVE, NEGATIVE_TTL_S
    return raw, POSITIVE_TTL_S
