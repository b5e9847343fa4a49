import pytest
from django.core.management import CommandError, call_command

from usage.models import DailyRollup, UsageRecord


@pytest.fixture(autouse=True)
def _debug(settings):
    settings.DEBUG = True  # seed_usage refuses to run on what looks like production


def test_seed_usage_inserts_settled_records_and_rolls_them_up(account_a, capsys):
    call_command("seed_usage", "alice@example.com", "--records", "300", "--days", "3")

    records = UsageRecord.objects.filter(account=account_a)
    assert records.count() == 300
    assert not records.filter(settled=False).exists()
    assert account_a.api_tokens.count() == 5
    assert sum(DailyRollup.objects.values_list("requests", flat=True)) == 300
    assert "Inserted 300 usage records" in capsys.readouterr().out


def test_seed_usage_refuses_production(account_a, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_usage", str(account_a.id), "--records", "1")


def test_seed_usage_needs_an_existing_account(db):
    with pytest.raises(CommandError, match="No account"):
        call_command("seed_usage", "nobody@example.com", "--records", "1")


def test_time_usage_pages_times_every_page(account_a, capsys):
    call_command("seed_usage", str(account_a.id), "--records", "50", "--days", "2", "--tokens", "1")

    call_command("time_usage_pages", str(account_a.id), "--repeat", "1")

    out = capsys.readouterr().out
    assert "[200] /dashboard/" in out
    assert "[200] /usage/requests/?q=seed-" in out
    assert "[4" not in out and "[5" not in out
    assert out.strip().splitlines()[-1].startswith("Slowest median:")
