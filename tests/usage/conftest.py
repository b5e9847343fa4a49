"""Usage fixtures: records written the way the proxy writes them, and tokens of the cast."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from tokens import lifecycle
from usage import rollups
from usage.models import UsageRecord

_ids = itertools.count(1)


def make_record(account, *, at: datetime | None = None, **fields) -> UsageRecord:
    """One usage record of `account` (defaults: a successful OpenAI chat call, now)."""
    values = {
        "request_id": f"req_{next(_ids):06d}",
        "account": account,
        "model": "gpt-test",
        "provider": "fake",
        "upstream_model": "gpt-test-upstream",
        "route_id": 1,
        "client_protocol": "openai",
        "endpoint": "chat",
        "status_code": 200,
        "latency_ms": 120,
        "ttfb_ms": 40,
        "input_tokens": 10,
        "output_tokens": 5,
        "cost_micros": 1_500,
        "created_at": at or datetime.now(UTC),
        "settled": True,
    }
    values.update(fields)
    return UsageRecord.objects.create(**values)


def roll_up_everything(now: datetime | None = None) -> None:
    rollups.roll_up(now)


@pytest.fixture
def alice_token(alice, account_a):
    token, _ = lifecycle.create_token(account_a, alice, name="alice laptop")
    return token


@pytest.fixture
def bob_token(bob, account_a):
    token, _ = lifecycle.create_token(account_a, bob, name="bob ci")
    return token


@pytest.fixture
def charlie_token(charlie, account_b):
    token, _ = lifecycle.create_token(account_b, charlie, name="charlie box")
    return token
