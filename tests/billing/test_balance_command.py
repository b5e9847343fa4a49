from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing.ledger import post_entry


def test_it_prints_the_balance_in_usd_and_micro_usd(alice, account_a):
    post_entry(account_a, 12_345_678, "adjustment", idempotency_key="k")
    out = StringIO()

    call_command("balance", "alice@example.com", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines == ["alice@example.com: balance $12.345678", "12345678"]


def test_it_names_an_unknown_user(db):
    with pytest.raises(CommandError, match=r"No personal account for ghost@example\.com"):
        call_command("balance", "ghost@example.com", stdout=StringIO())
