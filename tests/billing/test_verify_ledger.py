from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account
from billing.ledger import post_entry


def run() -> str:
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    return out.getvalue()


def test_it_passes_when_every_balance_is_the_sum_of_its_entries(account_a, account_b):
    post_entry(account_a, 7_000_000, "purchase", idempotency_key="k1")
    post_entry(account_a, -250_000, "usage", idempotency_key="k2")

    assert "Ledger OK" in run()


def test_it_reports_a_balance_changed_behind_the_ledgers_back(account_a, account_b):
    post_entry(account_a, 7_000_000, "purchase", idempotency_key="k1")
    Account.objects.filter(pk=account_b.pk).update(balance_micros=5)
    out = StringIO()

    with pytest.raises(CommandError, match="1 account"):
        call_command("verify_ledger", stdout=out)

    assert f"account {account_b.pk} (charlie@example.com): balance 5, sum of entries 0" in (
        out.getvalue()
    )
    Account.objects.filter(pk=account_b.pk).update(balance_micros=0)  # for the autouse check


def test_it_exits_with_status_1(account_a):
    Account.objects.filter(pk=account_a.pk).update(balance_micros=1)

    with pytest.raises(CommandError) as error:
        call_command("verify_ledger", stdout=StringIO())

    assert error.value.returncode == 1
    Account.objects.filter(pk=account_a.pk).update(balance_micros=0)
