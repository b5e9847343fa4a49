"""Admission of a /v1 request: rate limits, concurrency slots and the credit hold, atomically.

Credit is kept per *wallet*: the account (its balance) and, when the token has a spend limit,
the token. For each wallet:

    available = base - held - recent

- `base` is read from the database: for an account, balance - unsettled usage; for a token,
  spend limit - spent - unsettled usage. It is cached for `BASE_TTL_MS` with the time `at` at
  which the read began (taken before the read).
- `held` is the sum of the holds of requests in flight (each expires after `HOLD_TTL_MS`, so a
  crashed process frees its holds).
- `recent` is the sum of the final costs of requests whose usage record was committed at or
  after `at`: those may be missing from `base`. Older ones are in it and are dropped.

A request keeps its hold until its usage record is committed, then the hold becomes a recent
charge stamped after the commit. So every cost is counted at least once at every moment: the
balance can never be overspent, whatever the concurrency. The usage record in the database is
the durable truth; if Redis is flushed, bases reload from the database and only in-flight holds
are forgotten.

Two backends with the same behaviour: Redis (Lua scripts; several processes) and in-process
(embedded mode, one process).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings

from usage.balance import unsettled_micros

BASE_TTL_MS = 2_000
RECENT_TTL_MS = 60_000
RPM_WINDOW_S = 60
REDIS_MAX_CONNECTIONS = 64
REDIS_POOL_TIMEOUT_S = 5


@dataclass(slots=True)
class Ticket:
    """One request asking to be admitted."""

    request_id: str
    account_id: int
    token_id: int
    hold_micros: int
    token_spend_limit_micros: int | None
    token_rpm: int | None
    account_rpm: int | None
    max_concurrency: int | None


@dataclass(slots=True)
class Decision:
    """`reason` is "" when admitted, else rate_token, rate_account, concurrency, credit_account
    or credit_token; `available_micros` is the wallet's available credit on a credit refusal."""

    reason: str
    available_micros: int = 0
    rpm_limit: int | None = None
    rpm_remaining: int | None = None
    reset_s: int = 0

    @property
    def admitted(self) -> bool:
        return self.reason == ""


def _rpm_view(ticket: Ticket, token_used: int, account_used: int, now_s: float) -> dict:
    """The tighter of the two minute windows, for the x-ratelimit-* headers."""
    reset_s = RPM_WINDOW_S - int(now_s) % RPM_WINDOW_S
    candidates = []
    if ticket.token_rpm:
        candidates.append((ticket.token_rpm - token_used, ticket.token_rpm))
    if ticket.account_rpm:
        candidates.append((ticket.account_rpm - account_used, ticket.account_rpm))
    if not candidates:
        return {"reset_s": reset_s}
    remaining, limit = min(candidates)
    return {"rpm_limit": limit, "rpm_remaining": max(0, remaining), "reset_s": reset_s}


# Bases from the database ------------------------------------------------------------------


def account_base(account_id: int) -> int:
    from accounts.models import Account

    balance = Account.objects.filter(pk=account_id).values_list("balance_micros", flat=True)
    return int(balance.first() or 0) - unsettled_micros(account_id)


def token_base(token_id: int, limit_micros: int) -> int:
    from django.db.models import Sum

    from tokens.models import ApiToken
    from usage.models import UsageRecord

    spent = ApiToken.objects.filter(pk=token_id).values_list("spent_micros", flat=True).first()
    unsettled = UsageRecord.objects.filter(token_id=token_id, settled=False).aggregate(
        total=Sum("cost_micros")
    )["total"]
    return limit_micros - int(spent or 0) - int(unsettled or 0)


def load_base(kind: str, ticket: Ticket) -> int:
    if kind == "account":
        return account_base(ticket.account_id)
    return token_base(ticket.token_id, ticket.token_spend_limit_micros or 0)


# In-process backend -----------------------------------------------------------------------


@dataclass
class _Wallet:
    base: int = 0
    at_ms: int = -1
    loaded_ms: int = -1
    held: int = 0
    holds: dict | None = None  # request id -> (amount, expires_ms)
    recent: dict | None = None  # request id -> (cost, stamped_ms)


class LocalAdmission:
    """Admission for one process (embedded mode): the same rules, in memory."""

    def __init__(self) -> None:
        self.wallets: dict[str, _Wallet] = {}
        self.windows: dict[str, tuple[int, int]] = {}  # key -> (window, count)
        self.slots: dict[int, dict[str, float]] = {}  # token id -> request id -> expiry
        self.lock = asyncio.Lock()

    def reset(self) -> None:
        self.wallets.clear()
        self.windows.clear()
        self.slots.clear()

    @staticmethod
    def _now_ms() -> int:
        return int(time.time() * 1000)

    def _available(self, wallet: _Wallet, now_ms: int) -> int:
        for request_id, (amount, expires) in list(wallet.holds.items()):
            if expires <= now_ms:
                del wallet.holds[request_id]
                wallet.held -= amount
        for request_id, (_cost, stamped) in list(wallet.recent.items()):
            if stamped < wallet.at_ms:
                del wallet.recent[request_id]
        return wallet.base - wallet.held - sum(cost for cost, _ in wallet.recent.values())

    async def _wallet(self, key: str, kind: str, ticket: Ticket) -> _Wallet:
        wallet = self.wallets.setdefault(key, _Wallet(holds={}, recent={}))
        now_ms = self._now_ms()
        if wallet.loaded_ms < 0 or now_ms - wallet.loaded_ms >= BASE_TTL_MS:
            at_ms = self._now_ms()
            base = await sync_to_async(load_base)(kind, ticket)
            if at_ms >= wallet.at_ms:
                wallet.base, wallet.at_ms, wallet.loaded_ms = base, at_ms, self._now_ms()
        return wallet

    async def admit(self, ticket: Ticket) -> Decision:
        async with self.lock:
            now_s = time.time()
            window = int(now_s) // RPM_WINDOW_S
            token_key, account_key = f"t{ticket.token_id}", f"a{ticket.account_id}"
            token_used = self._count(token_key, window)
            account_used = self._count(account_key, window)
            if ticket.token_rpm and token_used >= ticket.token_rpm:
                return Decision("rate_token", **_rpm_view(ticket, token_used, account_used, now_s))
            if ticket.account_rpm and account_used >= ticket.account_rpm:
                return Decision(
                    "rate_account", **_rpm_view(ticket, token_used, account_used, now_s)
                )
            slots = self.slots.setdefault(ticket.token_id, {})
            if ticket.max_concurrency:
                for request_id, expires in list(slots.items()):
                    if expires <= now_s:
                        del slots[request_id]
                if len(slots) >= ticket.max_concurrency:
                    return Decision("concurrency")
            wallets = [("credit_account", await self._wallet(account_key, "account", ticket))]
            if ticket.token_spend_limit_micros is not None:
                wallets.append(("credit_token", await self._wallet(token_key, "token", ticket)))
            now_ms = self._now_ms()
            for reason, wallet in wallets:
                available = self._available(wallet, now_ms)
                if ticket.hold_micros > available:
                    return Decision(reason, available_micros=available)
            self.windows[token_key] = (window, token_used + 1)
            self.windows[account_key] = (window, account_used + 1)
            if ticket.max_concurrency:
                slots[ticket.request_id] = now_s + settings.PROXY_CONCURRENCY_SLOT_TTL_S
            expires = now_ms + settings.PROXY_HOLD_TTL_S * 1000
            for _, wallet in wallets:
                wallet.holds[ticket.request_id] = (ticket.hold_micros, expires)
                wallet.held += ticket.hold_micros
            return Decision("", **_rpm_view(ticket, token_used + 1, account_used + 1, now_s))

    def _count(self, key: str, window: int) -> int:
        current = self.windows.get(key)
        return current[1] if current and current[0] == window else 0

    async def finish(self, ticket: Ticket, cost_micros: int) -> None:
        """Free the request's slot and turn its hold into a charge (its record is committed)."""
        async with self.lock:
            self.slots.get(ticket.token_id, {}).pop(ticket.request_id, None)
            now_ms = self._now_ms()
            for key in (f"a{ticket.account_id}", f"t{ticket.token_id}"):
                wallet = self.wallets.get(key)
                if wallet is None:
                    continue
                held = wallet.holds.pop(ticket.request_id, None)
                if held is not None:
                    wallet.held -= held[0]
                if cost_micros > 0:
                    wallet.recent[ticket.request_id] = (cost_micros, now_ms)


# Redis backend ----------------------------------------------------------------------------

# KEYS: 1 token rpm, 2 account rpm, 3 token slots, 4..9 account wallet, 10..15 token wallet
# (base, sums, holds, hold amounts, recent, recent amounts).
# ARGV: request id, hold, hold ttl ms, token rpm, account rpm, max concurrency, slot ttl ms,
# use token wallet, rpm key ttl s.
ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rid, hold = ARGV[1], tonumber(ARGV[2])
local tok_rpm, acct_rpm, maxc = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local tok_used, acct_used = 0, 0
if tok_rpm > 0 then
  tok_used = tonumber(redis.call('GET', KEYS[1]) or '0')
  if tok_used >= tok_rpm then return {'rate_token', 0, tok_used, acct_used} end
end
if acct_rpm > 0 then
  acct_used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if acct_used >= acct_rpm then return {'rate_account', 0, tok_used, acct_used} end
end
if maxc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) >= maxc then return {'concurrency', 0, tok_used, acct_used} end
end
local function available(k)
  local base = redis.call('HMGET', KEYS[k], 'base', 'at')
  if not base[1] then return nil end
  local at = tonumber(base[2])
  local expired = redis.call('ZRANGEBYSCORE', KEYS[k + 2], '-inf', now)
  for _, m in ipairs(expired) do
    local amount = redis.call('HGET', KEYS[k + 3], m)
    if amount then
      redis.call('HINCRBY', KEYS[k + 1], 'held', -tonumber(amount))
      redis.call('HDEL', KEYS[k + 3], m)
    end
    redis.call('ZREM', KEYS[k + 2], m)
  end
  local old = redis.call('ZRANGEBYSCORE', KEYS[k + 4], '-inf', '(' .. at)
  for _, m in ipairs(old) do
    local cost = redis.call('HGET', KEYS[k + 5], m)
    if cost then
      redis.call('HINCRBY', KEYS[k + 1], 'recent', -tonumber(cost))
      redis.call('HDEL', KEYS[k + 5], m)
    end
    redis.call('ZREM', KEYS[k + 4], m)
  end
  local sums = redis.call('HMGET', KEYS[k + 1], 'held', 'recent')
  return tonumber(base[1]) - tonumber(sums[1] or '0') - tonumber(sums[2] or '0')
end
local a = available(4)
if a == nil then return {'need_account', 0, tok_used, acct_used} end
if hold > a then return {'credit_account', a, tok_used, acct_used} end
local use_tok = ARGV[8] == '1'
if use_tok then
  local b = available(10)
  if b == nil then return {'need_token', 0, tok_used, acct_used} end
  if hold > b then return {'credit_token', b, tok_used, acct_used} end
end
if tok_rpm > 0 then redis.call('INCR', KEYS[1]); redis.call('EXPIRE', KEYS[1], ARGV[9]) end
if acct_rpm > 0 then redis.call('INCR', KEYS[2]); redis.call('EXPIRE', KEYS[2], ARGV[9]) end
if maxc > 0 then
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[7]), rid)
  redis.call('PEXPIRE', KEYS[3], ARGV[7])
end
local function add_hold(k)
  redis.call('ZADD', KEYS[k + 2], now + tonumber(ARGV[3]), rid)
  redis.call('HSET', KEYS[k + 3], rid, hold)
  redis.call('HINCRBY', KEYS[k + 1], 'held', hold)
  for i = 1, 5 do redis.call('PEXPIRE', KEYS[k + i], tonumber(ARGV[3]) + 60000) end
end
if hold > 0 then
  add_hold(4)
  if use_tok then add_hold(10) end
end
return {'', 0, tok_used + 1, acct_used + 1}
"""

# KEYS: 1 token slots, 2..7 account wallet, 8..13 token wallet. ARGV: request id, cost,
# recent ttl ms.
FINISH = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rid, cost = ARGV[1], tonumber(ARGV[2])
redis.call('ZREM', KEYS[1], rid)
local function settle(k)
  local amount = redis.call('HGET', KEYS[k + 3], rid)
  if not amount then return end
  redis.call('HDEL', KEYS[k + 3], rid)
  redis.call('ZREM', KEYS[k + 2], rid)
  redis.call('HINCRBY', KEYS[k + 1], 'held', -tonumber(amount))
  if cost > 0 then
    redis.call('ZADD', KEYS[k + 4], now, rid)
    redis.call('HSET', KEYS[k + 5], rid, cost)
    redis.call('HINCRBY', KEYS[k + 1], 'recent', cost)
    for i = 1, 5 do redis.call('PEXPIRE', KEYS[k + i], ARGV[3]) end
  end
end
settle(2)
settle(8)
return 1
"""

# Set a wallet's base unless a newer read is already there. KEYS: base. ARGV: base, at, ttl ms.
SET_BASE = """
local at = redis.call('HGET', KEYS[1], 'at')
if at and tonumber(at) > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'base', ARGV[1], 'at', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""


def wallet_keys(kind: str, owner_id: int) -> list[str]:
    tag = f"tg:w:{{{kind[0]}{owner_id}}}"
    return [
        f"{tag}:base",
        f"{tag}:sums",
        f"{tag}:holds",
        f"{tag}:hamt",
        f"{tag}:recent",
        f"{tag}:ramt",
    ]


class RedisAdmission:
    """Admission shared by every process through Redis."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        # A blocking pool: under load a command waits for a free connection instead of failing.
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=REDIS_MAX_CONNECTIONS,
            timeout=REDIS_POOL_TIMEOUT_S,
            socket_connect_timeout=2,
            socket_timeout=5,
        )
        self.client = redis.Redis(connection_pool=pool)
        self.admit_script = self.client.register_script(ADMIT)
        self.finish_script = self.client.register_script(FINISH)
        self.set_base_script = self.client.register_script(SET_BASE)

    async def _load_base(self, kind: str, ticket: Ticket) -> None:
        seconds, micros = await self.client.time()
        at_ms = seconds * 1000 + micros // 1000
        base = await sync_to_async(load_base)(kind, ticket)
        owner = ticket.account_id if kind == "account" else ticket.token_id
        await self.set_base_script(
            keys=[wallet_keys(kind, owner)[0]], args=[base, at_ms, BASE_TTL_MS]
        )

    async def admit(self, ticket: Ticket) -> Decision:
        window = int(time.time()) // RPM_WINDOW_S
        keys = [
            f"tg:rpm:t{ticket.token_id}:{window}",
            f"tg:rpm:a{ticket.account_id}:{window}",
            f"tg:slots:t{ticket.token_id}",
            *wallet_keys("account", ticket.account_id),
            *wallet_keys("token", ticket.token_id),
        ]
        args = [
            ticket.request_id,
            ticket.hold_micros,
            settings.PROXY_HOLD_TTL_S * 1000,
            ticket.token_rpm or 0,
            ticket.account_rpm or 0,
            ticket.max_concurrency or 0,
            settings.PROXY_CONCURRENCY_SLOT_TTL_S * 1000,
            "1" if ticket.token_spend_limit_micros is not None else "0",
            RPM_WINDOW_S * 2,
        ]
        for _ in range(3):
            reason, available, token_used, account_used = await self.admit_script(
                keys=keys, args=args
            )
            reason = reason.decode() if isinstance(reason, bytes) else reason
            if reason in ("need_account", "need_token"):
                await self._load_base(reason.removeprefix("need_"), ticket)
                continue
            view = _rpm_view(ticket, int(token_used), int(account_used), time.time())
            if reason == "concurrency":
                view = {}
            return Decision(reason, available_micros=int(available), **view)
        raise RuntimeError("the credit base could not be loaded")

    async def finish(self, ticket: Ticket, cost_micros: int) -> None:
        keys = [
            f"tg:slots:t{ticket.token_id}",
            *wallet_keys("account", ticket.account_id),
            *wallet_keys("token", ticket.token_id),
        ]
        await self.finish_script(keys=keys, args=[ticket.request_id, cost_micros, RECENT_TTL_MS])


_backends: dict = {}


def backend() -> LocalAdmission | RedisAdmission:
    """The admission backend of this process (and event loop, for the Redis connection pool)."""
    url = settings.REDIS_URL
    loop = asyncio.get_running_loop()
    key = (url or "local", id(loop))
    current = _backends.get(key)
    if current is None:
        current = RedisAdmission(url) if url else LocalAdmission()
        if len(_backends) > 8:
            _backends.clear()
        _backends[key] = current
    return current


def reset() -> None:
    """Forget in-process state (tests)."""
    _backends.clear()


def held_micros(account_id: int) -> int:
    """Sum of the account's holds now (synchronous, for pages). Expired holds still count until
    the next admission of that account prunes them."""
    url = settings.REDIS_URL
    if url:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        try:
            value = client.hget(wallet_keys("account", account_id)[1], "held")
        except redis.RedisError:
            return 0
        finally:
            client.close()
        return max(0, int(value or 0))
    return sum(
        wallet.held
        for local in list(_backends.values())
        if isinstance(local, LocalAdmission)
        for key, wallet in list(local.wallets.items())
        if key == f"a{account_id}"
    )
