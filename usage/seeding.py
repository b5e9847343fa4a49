"""Synthetic usage for benchmarks and demos: realistic-looking records, fast to insert.

The records are marked settled and never touch the ledger, so balances stay true; they are
still real rows that every page shows, so this is for development and benchmark databases only.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from accounts.models import Account
from tokens import lifecycle
from tokens.models import ApiToken
from usage.models import UsageRecord

# (model, provider, route id, input and output price per 1M tokens in micro-USD)
MODELS = [
    ("gpt-4o-mini", "openai", 9_001, 150_000, 600_000),
    ("gpt-4o", "openai", 9_002, 2_500_000, 10_000_000),
    ("claude-sonnet", "anthropic", 9_003, 3_000_000, 15_000_000),
    ("claude-haiku", "anthropic", 9_004, 800_000, 4_000_000),
    ("gemini-flash", "gemini", 9_005, 100_000, 400_000),
    ("llama-3-70b", "openai-compatible", 9_006, 600_000, 600_000),
]
PROTOCOLS = ["openai"] * 8 + ["anthropic", "gemini"]
STATUSES = [200] * 96 + [429, 429, 500, 502]


@dataclass
class Seeded:
    records: int
    tokens: int
    first: datetime
    last: datetime


def seed_records(
    account: Account,
    *,
    count: int,
    days: int,
    now: datetime,
    tokens: int = 5,
    seed: int = 0,
    batch_size: int = 5_000,
) -> Seeded:
    """Insert `count` records spread evenly at random over the `days` before `now`, across the
    account's tokens (created up to `tokens` of them) and a few models. Each batch commits on its
    own, so an interrupted run leaves whole batches."""
    rng = random.Random(seed)  # noqa: S311 -- synthetic data, repeatable by design
    token_ids = _tokens(account, tokens)
    span_s = days * 86_400
    inserted = 0
    while inserted < count:
        size = min(batch_size, count - inserted)
        rows = [
            _record(rng, account, token_ids, now - timedelta(seconds=rng.uniform(0, span_s)))
            for _ in range(size)
        ]
        with transaction.atomic():
            UsageRecord.objects.bulk_create(rows, batch_size=size)
        inserted += size
    return Seeded(inserted, len(token_ids), now - timedelta(days=days), now)


def _tokens(account: Account, wanted: int) -> list[int]:
    have = list(ApiToken.objects.filter(account=account).values_list("id", flat=True))
    for n in range(len(have), wanted):
        token, _ = lifecycle.create_token(account, None, name=f"seeded token {n + 1}")
        have.append(token.id)
    return have[:wanted]


def _record(
    rng: random.Random, account: Account, token_ids: list[int], at: datetime
) -> UsageRecord:
    model, provider, route_id, input_price, output_price = rng.choice(MODELS)
    status = rng.choice(STATUSES)
    ok = status < 400
    input_tokens = int(rng.lognormvariate(6.5, 1.0)) if ok else 0
    output_tokens = int(rng.lognormvariate(5.5, 1.0)) if ok else 0
    cached = rng.randrange(input_tokens + 1) if ok and rng.random() < 0.2 else 0
    cost = (input_tokens * input_price + output_tokens * output_price) // 1_000_000
    latency = int(rng.lognormvariate(7.0, 0.6))
    return UsageRecord(
        request_id=f"seed-{uuid.UUID(int=rng.getrandbits(128)).hex}",
        account=account,
        token_id=rng.choice(token_ids) if token_ids else None,
        model=model,
        route_id=route_id,
        provider=provider,
        upstream_model=model,
        client_protocol=rng.choice(PROTOCOLS),
        endpoint="chat",
        stream=rng.random() < 0.6,
        status_code=status,
        error_type="" if ok else ("rate_limit_exceeded" if status == 429 else "upstream_error"),
        latency_ms=latency,
        ttfb_ms=latency // 3 if ok else None,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_tokens=cached,
        reasoning_tokens=output_tokens // 4 if model == "gpt-4o" else 0,
        usage_estimated=ok and rng.random() < 0.01,
        cost_micros=cost,
        price_input_per_mtok_micros=input_price,
        price_output_per_mtok_micros=output_price,
        created_at=at,
        settled=True,
    )
