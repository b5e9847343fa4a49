"""TokenContext: what the proxy needs to know about a key, small enough to cache everywhere.

Built from an ApiToken row on a cache miss, kept in each process's memory for a moment and in
Redis as JSON, so that a request never has to touch the database to authorize a key.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

import orjson

from tokens.models import ApiToken

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class TokenContext:
    token_id: int
    account_id: int
    account_active: bool  # False when the account is suspended: the proxy answers 403
    name: str
    prefix: str
    allowed_models: frozenset[str]  # empty: every model enabled for the account
    expires_at: float | None  # epoch seconds; lookup returns None once it has passed
    spend_limit_micros: int | None
    rpm_limit: int | None
    max_concurrency: int | None
    allowed_networks: tuple[Network, ...]  # empty: any IP
    account_rpm_limit: int | None = None  # the account's own override; None: the default

    def allows_ip(self, ip: str) -> bool:
        """Whether a client at `ip` may use the key (always, when no networks are listed)."""
        if not self.allowed_networks:
            return True
        try:
            address = ipaddress.ip_address(ip.strip())
        except (ValueError, AttributeError):
            return False
        # An IPv4 client seen through an IPv6 socket arrives as ::ffff:a.b.c.d.
        mapped = getattr(address, "ipv4_mapped", None)
        candidates = (address, mapped) if mapped is not None else (address,)
        return any(
            candidate in network
            for network in self.allowed_networks
            for candidate in candidates
            if candidate.version == network.version
        )

    def allows_model(self, model_id: str) -> bool:
        """Whether the token may call `model_id` (the account's own access is checked apart)."""
        return not self.allowed_models or model_id in self.allowed_models

    def is_expired(self, now_s: float) -> bool:
        return self.expires_at is not None and now_s >= self.expires_at


def context_from_token(token: ApiToken, secret_hash: str, now: datetime) -> TokenContext | None:
    """The context for the key with `secret_hash` on `token`, or None if that key is unusable.

    The previous key of a rotation is usable until its grace period ends, which becomes its
    expiry, so the per-call expiry check also ends the grace period on time.
    """
    if not token.is_usable(now):
        return None
    expiry = token.expires_at
    if secret_hash != token.secret_hash:
        if secret_hash != token.previous_secret_hash or not token.previous_key_valid(now):
            return None
        expiry = min(filter(None, [expiry, token.previous_valid_until]))
    return TokenContext(
        token_id=token.pk,
        account_id=token.account_id,
        account_active=token.account.is_active,
        name=token.name,
        prefix=token.prefix if secret_hash == token.secret_hash else token.previous_prefix,
        allowed_models=frozenset(token.allowed_models or ()),
        expires_at=expiry.timestamp() if expiry is not None else None,
        spend_limit_micros=token.spend_limit_micros,
        rpm_limit=token.rpm_limit,
        max_concurrency=token.max_concurrency,
        allowed_networks=tuple(ipaddress.ip_network(n) for n in token.allowed_ips or ()),
        account_rpm_limit=token.account.rpm_limit,
    )


def encode(context: TokenContext) -> bytes:
    return orjson.dumps(
        {
            "token_id": context.token_id,
            "account_id": context.account_id,
            "account_active": context.account_active,
            "name": context.name,
            "prefix": context.prefix,
            "allowed_models": sorted(context.allowed_models),
            "expires_at": context.expires_at,
            "spend_limit_micros": context.spend_limit_micros,
            "rpm_limit": context.rpm_limit,
            "max_concurrency": context.max_concurrency,
            "allowed_networks": [str(n) for n in context.allowed_networks],
            "account_rpm_limit": context.account_rpm_limit,
        }
    )


def decode(raw: bytes) -> TokenContext:
    data = orjson.loads(raw)
    data["allowed_models"] = frozenset(data["allowed_models"])
    data["allowed_networks"] = tuple(ipaddress.ip_network(n) for n in data["allowed_networks"])
    return TokenContext(**data)
