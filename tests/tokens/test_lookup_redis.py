"""Changes reach lookups in other processes within 2 s, through real Redis.

A second TokenLookup has its own in-process cache and its own Redis clients, as another web
process would; one test also runs a real second process.
"""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import redis
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Account
from tests.services import require_postgres, require_redis
from tests.tokens.conftest import make_token
from tokens import lifecycle
from tokens.context import encode
from tokens.keys import hash_key
from tokens.lookup import TokenLookup, load_context, lookup, lookup_sync

pytestmark = pytest.mark.needs_redis

PROMISE_S = 2.0


@pytest.fixture(autouse=True)
def _redis():
    require_redis()


def seconds_until(condition, timeout_s: float = 5.0) -> float:
    """How long until `condition()` is true, polling like a busy proxy would."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout_s:
            pytest.fail(f"not true after {timeout_s} s")
        time.sleep(0.02)
    return time.monotonic() - start


def test_lookups_are_shared_through_redis(alice_token, django_assert_num_queries):
    token, key = alice_token
    async_to_sync(lookup)(key)  # the async path fills Redis

    raw = redis.Redis.from_url(settings.REDIS_URL).get(f"tg:token:{hash_key(key)}")
    assert b'"token_id"' in raw
    assert key.encode() not in raw
    with django_assert_num_queries(0):
        assert TokenLookup().lookup_sync(key).token_id == token.pk
        assert async_to_sync(TokenLookup().lookup)(key).token_id == token.pk


def test_revocation_reaches_another_process_within_2_s(alice_token):
    token, key = alice_token
    other = TokenLookup()
    assert other.lookup_sync(key) is not None
    assert lookup_sync(key) is not None

    lifecycle.revoke_token(token)

    assert lookup_sync(key) is None
    assert seconds_until(lambda: async_to_sync(other.lookup)(key) is None) < PROMISE_S


def test_rotation_reaches_another_process_within_2_s(alice_token):
    token, old_key = alice_token
    other = TokenLookup()
    assert other.lookup_sync(old_key) is not None

    token, new_key = lifecycle.rotate_token(token)

    assert seconds_until(lambda: other.lookup_sync(old_key) is None) < PROMISE_S
    assert other.lookup_sync(new_key).token_id == token.pk


def test_limit_edits_reach_another_process_within_2_s(alice_token):
    token, key = alice_token
    other = TokenLookup()
    assert other.lookup_sync(key).rpm_limit is None

    lifecycle.update_token(token, rpm_limit=5)

    assert seconds_until(lambda: other.lookup_sync(key).rpm_limit == 5) < PROMISE_S


def test_suspension_reaches_another_process_within_2_s(alice_token, account_a):
    _, key = alice_token
    other = TokenLookup()
    assert other.lookup_sync(key).account_active is True

    account_a.status = Account.Status.SUSPENDED
    account_a.save(update_fields=["status"])

    assert seconds_until(lambda: other.lookup_sync(key).account_active is False) < PROMISE_S


def test_expiry_needs_no_invalidation(alice, account_a):
    _, key = make_token(account_a, alice, expires_at=timezone.now() + timedelta(seconds=1))
    other = TokenLookup()
    assert other.lookup_sync(key) is not None

    assert seconds_until(lambda: other.lookup_sync(key) is None) < PROMISE_S


def test_a_stale_read_cannot_refill_redis_after_invalidation(alice_token):
    token, key = alice_token
    stale = load_context(hash_key(key))  # a process read the row just before the change...

    lifecycle.revoke_token(token)
    TokenLookup().shared().fill(hash_key(key), encode(stale))  # ...and writes it back late

    assert TokenLookup().lookup_sync(key) is None


WATCHER = """
import asyncio, sys, time
import django
django.setup()
from tokens.lookup import lookup

async def main(key):
    seen = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        context = await lookup(key)
        if context is not None and not seen:
            seen = True
            print("valid", flush=True)
        elif context is None and seen:
            print("gone", flush=True)
            return
        await asyncio.sleep(0.02)
    print("timeout", flush=True)

asyncio.run(main(sys.stdin.readline().strip()))
"""


def read_line(stream, timeout_s: float) -> str:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout_s)
    return lines[0].strip() if lines else "(nothing)"


@pytest.mark.django_db(transaction=True)
def test_revocation_reaches_a_separate_process_within_2_s(alice, account_a):
    require_postgres()
    token, key = make_token(account_a, alice)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}",
    }
    watcher = subprocess.Popen(
        [sys.executable, "-c", WATCHER],
        cwd=settings.BASE_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        watcher.stdin.write(key + "\n")
        watcher.stdin.flush()
        assert read_line(watcher.stdout, 30) == "valid"

        lifecycle.revoke_token(token)
        revoked = time.monotonic()

        assert read_line(watcher.stdout, 10) == "gone"
        assert time.monotonic() - revoked < PROMISE_S
    finally:
        watcher.kill()
        watcher.wait()
