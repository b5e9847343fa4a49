"""Settlement charges every usage record to the ledger exactly once, whatever happens."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from billing.ledger import find_violations, post_entry
from billing.models import LedgerEntry
from tests.services import require_postgres, require_redis
from tokens.keys import display_prefix, generate_key, hash_key
from tokens.models import ApiToken
from usage.models import UsageRecord
from usage.settlement import settle_account, settle_all

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def token(alice, account_a):
    key = generate_key()
    return ApiToken.objects.create(
        account=account_a,
        name="t",
        prefix=display_prefix(key),
        secret_hash=hash_key(key),
        created_by=alice,
    )


def add_records(account, token, costs: list[int]) -> None:
    UsageRecord.objects.bulk_create(
        [
            UsageRecord(
                request_id=f"req_{uuid.uuid4().hex}",
                account=account,
                token=token,
                model="m",
                client_protocol="openai",
                endpoint="chat",
                status_code=200,
                cost_micros=cost,
                created_at=datetime.now(UTC),
            )
            for cost in costs
        ]
    )


def usage_charged(account) -> int:
    total = LedgerEntry.objects.filter(account=account, kind="usage").aggregate(
        s=Sum("amount_micros")
    )["s"]
    return -(total or 0)


def test_settling_charges_each_record_once_and_marks_it(account_a, token):
    post_entry(account_a, 1_000_000, "adjustment", idempotency_key="fund")
    add_records(account_a, token, [100, 250, 0, 650])

    summary = settle_all()
    again = settle_all()

    assert (summary.records, summary.charged_micros, summary.batches) == (4, 1000, 1)
    assert again.records == 0
    account_a.refresh_from_db()
    assert account_a.balance_micros == 999_000
    assert usage_charged(account_a) == 1000
    entry = LedgerEntry.objects.get(kind="usage")
    assert set(UsageRecord.objects.values_list("settlement_entry", flat=True)) == {entry.id}
    token.refresh_from_db()
    assert token.spent_micros == 1000
    assert find_violations() == []


def test_batches_split_large_backlogs(account_a, token):
    add_records(account_a, token, [10] * 25)

    summary = settle_account(account_a.id, batch_size=10)

    assert (summary.batches, summary.records) == (3, 25)
    assert LedgerEntry.objects.filter(kind="usage").count() == 3
    assert find_violations() == []


def test_usage_beyond_the_balance_is_recorded_as_debt_not_lost(account_a, token):
    add_records(account_a, token, [500])

    settle_all()

    account_a.refresh_from_db()
    assert account_a.balance_micros == -500
    assert find_violations() == []


def test_settle_usage_command_runs_it_once(account_a, token, capsys):
    add_records(account_a, token, [5, 5])

    call_command("settle_usage")

    assert "Settled 2 usage records in 1 batches (10 micro-USD)." in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_concurrent_settlements_charge_each_record_once(account_a, token):
    require_postgres()
    add_records(account_a, token, [7] * 300)
    errors = []

    def run():
        try:
            settle_account(account_a.id, batch_size=20)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert UsageRecord.objects.filter(settled=False).count() == 0
    assert usage_charged(account_a) == 2100
    assert find_violations() == []


def subprocess_env(**extra) -> dict:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.update(extra)
    return env


# Settles with a pause inside the batch's transaction, after the ledger entry was written.
PAUSED_SETTLEMENT = """
import time, django
django.setup()
from usage import settlement
real = settlement.post_entry
def slow_post_entry(*args, **kwargs):
    entry = real(*args, **kwargs)
    print("posted", flush=True)
    time.sleep(60)
    return entry
settlement.post_entry = slow_post_entry
settlement.settle_all()
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_leaves_nothing_half_done(account_a, token):
    require_postgres()
    add_records(account_a, token, [11] * 50)
    worker = subprocess.Popen(
        [sys.executable, "-c", PAUSED_SETTLEMENT],
        cwd=ROOT,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout.readline().strip() == "posted"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()

    assert LedgerEntry.objects.filter(kind="usage").count() == 0
    assert UsageRecord.objects.filter(settled=True).count() == 0

    settle_all()

    assert usage_charged(account_a) == 550
    assert UsageRecord.objects.filter(settled=False).count() == 0
    assert find_violations() == []


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_settles_what_the_task_is_sent(account_a, token):
    require_postgres()
    broker = require_redis()
    add_records(account_a, token, [3] * 10)
    env = subprocess_env(CELERY_BROKER_URL=broker, REDIS_URL=broker)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    from config.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager
    try:
        app.conf.broker_url, app.conf.task_always_eager = broker, False
        app.send_task("usage.settle_usage")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and UsageRecord.objects.filter(settled=False).exists():
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        app.conf.broker_url, app.conf.task_always_eager = saved

    assert UsageRecord.objects.filter(settled=False).count() == 0
    assert usage_charged(account_a) == 30
    assert find_violations() == []
