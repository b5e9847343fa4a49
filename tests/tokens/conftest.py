"""Tokens of the cast: `make_token` creates one through the service and returns its key."""

from __future__ import annotations

import pytest

from tokens import activity, lifecycle
from tokens.lookup import clear_local_cache
from tokens.models import ApiToken


@pytest.fixture(autouse=True)
def _fresh_token_caches():
    clear_local_cache()
    activity.forget_noted()
    yield
    activity.flush()
    clear_local_cache()


def make_token(account, user=None, **settings) -> tuple[ApiToken, str]:
    settings.setdefault("name", "laptop")
    return lifecycle.create_token(account, user, **settings)


@pytest.fixture
def alice_token(alice, account_a) -> tuple[ApiToken, str]:
    return make_token(account_a, alice, name="alice's laptop")


@pytest.fixture
def bob_token(bob, account_a) -> tuple[ApiToken, str]:
    return make_token(account_a, bob, name="bob's ci")


@pytest.fixture
def advance_clock(monkeypatch):
    """`advance_clock(seconds)` moves the wall clock that tokens see forward."""
    import time
    from datetime import timedelta
    from types import SimpleNamespace

    from django.utils import timezone

    offset = [0.0]
    real_time, real_now = time.time, timezone.now
    monkeypatch.setattr("tokens.lookup.time", SimpleNamespace(time=lambda: real_time() + offset[0]))
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=offset[0]))

    def advance(seconds: float) -> None:
        offset[0] += seconds

    return advance
