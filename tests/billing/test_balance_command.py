from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing.ledger import post_entry


def test_it_prints_the_balance_in_usd_and_micro_usd(alice, account_a):
    post_entry(account_a, 12_345_678, "adjustment", idempotency_key="k")
    out = StringIO()

    call_command("balance", "alice@example.com", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines == [
        "alice@example.com: balance $12.345678",
        "available $12.345678 (12345678 micro-USD; held 0, unsettled 0)",
        "12345678",
    ]


def test_available_is_net_of_unsettled_usage(alice, account_a):
    from datetime import UTC, datetime

    from usage.models import UsageRecord

    post_entry(account_a, 1_000_000, "adjustment", idempotency_key="k")
    UsageRecord.objects.create(
        request_id="req_1",
        account=account_a,
        client_protocol="openai",
        endpoint="chat",
        status_code=200,
        cost_micros=250_000,
        created_at=datetime.now(UTC),
    )
    out = StringIO()

    call_command("balance", "alice@example.com", stdout=out)

    assert "available $0.750000 (750000 micro-USD; held 0, unsettled 250000)" in out.getvalue()


def test_it_names_an_unknown_user(db):
    with pytest.raises(CommandError, match=r"No personal account for ghost@example\.com"):
        call_command("balance", "ghost@example.com", stdout=StringIO())
