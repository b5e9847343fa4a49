"""Live Tollgate + fake upstreams on 127.0.0.1, a catalog pointing at them, and a key."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime

import pytest

from proxy import catalog as catalog_cache
from proxy.models import Model, Price, Provider, Route
from proxy.routing import health
from tests.fakes import anthropic_upstream, gemini_upstream
from tests.fakes.anthropic_upstream import FakeAnthropic
from tests.fakes.gemini_upstream import FakeGemini
from tests.fakes.openai_upstream import FakeOpenAI, start_fake
from tokens.keys import display_prefix, generate_key, hash_key
from tokens.models import ApiToken


@pytest.fixture(autouse=True)
def _fresh_proxy_state():
    catalog_cache.reset()
    health.reset()
    yield
    health.reset()


def fund(account, micros: int) -> None:
    from billing.ledger import post_entry

    post_entry(
        account,
        micros,
        "adjustment",
        idempotency_key=f"test-fund-{generate_key()}",
        note="test funds",
    )


def make_key(account, user=None, **fields) -> str:
    """A live key for `account` (the plaintext; only its hash is stored). An account without
    credit gets $100 first, so calls are not refused for money unless a test wants that."""
    account.refresh_from_db()
    if account.balance_micros == 0:
        fund(account, 100_000_000)
    key = generate_key()
    ApiToken.objects.create(
        account=account,
        name=fields.pop("name", "test key"),
        prefix=display_prefix(key),
        secret_hash=hash_key(key),
        created_by=user,
        **fields,
    )
    return key


@pytest.fixture
def upstream():
    fake, server = start_fake(FakeOpenAI())
    fake.url = server.url
    yield fake
    server.stop()


@pytest.fixture
def backup_upstream():
    fake, server = start_fake(FakeOpenAI(reply="Hello from the backup"))
    fake.url = server.url
    yield fake
    server.stop()


@pytest.fixture
def claude_upstream():
    fake, server = anthropic_upstream.start_fake(FakeAnthropic())
    fake.url = server.url
    yield fake
    server.stop()


@pytest.fixture
def gemini_fake():
    fake, server = gemini_upstream.start_fake(FakeGemini())
    fake.url = server.url
    yield fake
    server.stop()


def add_model(model_id: str, *targets: tuple, **fields) -> Model:
    """A model routed to (provider name, base URL, priority[, kind]) targets, priced $1/$2 per
    1M tokens (cached input $0.5, cache writes $1.25). The kind defaults to openai_compatible."""
    model = Model.objects.create(
        public_id=model_id, display_name=model_id, max_output_tokens=1000, **fields
    )
    Price.objects.create(
        model=model,
        input_per_mtok_micros=1_000_000,
        output_per_mtok_micros=2_000_000,
        cached_input_per_mtok_micros=500_000,
        cache_write_per_mtok_micros=1_250_000,
        effective_from=datetime(2020, 1, 1, tzinfo=UTC),
    )
    for name, base_url, priority, *kind in targets:
        provider, _ = Provider.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind[0] if kind else "openai_compatible",
                "base_url": base_url,
                "first_byte_timeout_s": 2.0,
                "read_timeout_s": 2.0,
                "connect_timeout_s": 1.0,
            },
        )
        Route.objects.create(
            model=model, provider=provider, upstream_model=f"{model_id}-upstream", priority=priority
        )
    return model


GEMINI_KEY = "upstream-gemini-key"  # the provider key Tollgate sends to the Gemini fake


def add_gemini_model(model_id: str, fake: FakeGemini) -> Model:
    """A model routed to the Gemini fake (provider `fake-gemini`, whose key is GEMINI_KEY)."""
    model = add_model(model_id, ("fake-gemini", fake.url + "/v1beta", 1, "gemini"))
    provider = Provider.objects.get(name="fake-gemini")
    provider.set_api_key(GEMINI_KEY)
    provider.save()
    return model


@pytest.fixture
def gpt(upstream, tollgate_server):
    return add_model("gpt-test", ("fake-primary", upstream.url + "/v1", 1))


@pytest.fixture
def key(alice, account_a, gpt) -> str:
    return make_key(account_a, alice)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def wait_for_record(request_id: str, timeout_s: float = 5.0):
    from django.db import OperationalError

    from usage.models import UsageRecord

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            record = UsageRecord.objects.filter(request_id=request_id).first()
        except OperationalError:  # SQLite's shared in-memory test database: a writer holds it
            record = None
        if record is not None:
            return record
        time.sleep(0.02)
    raise AssertionError(f"no usage record for {request_id}")


def wait_for_records(account, count: int, timeout_s: float = 10.0) -> int:
    """Records are written just after each response: wait until `count` successful ones exist."""
    from django.db import OperationalError

    from usage.models import UsageRecord

    deadline = time.monotonic() + timeout_s
    found = 0
    while time.monotonic() < deadline:
        try:
            found = UsageRecord.objects.filter(account=account, status_code=200).count()
        except OperationalError:  # SQLite's shared in-memory test database: a writer holds it
            found = 0
        if found >= count:
            break
        time.sleep(0.05)
    return found
