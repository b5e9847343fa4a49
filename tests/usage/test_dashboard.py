from datetime import UTC, datetime, timedelta

from accounts.models import Account
from tests.conftest import login
from tests.usage.conftest import make_record, roll_up_everything


def test_it_works(client, alice, account_a):
    make_record(account_a, cost_micros=2_500_000)

    response = login(client, alice).get("/dashboard/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Account <strong>{account_a.name}</strong>" in page
    assert 'data-testid="spend-today">$2.50<' in page
    assert "gpt-test" in page
    assert 'data-testid="get-started"' not in page


def test_it_shows_balance_and_available_after_unsettled_usage(client, alice, account_a):
    Account.objects.filter(pk=account_a.pk).update(balance_micros=10_000_000)
    make_record(account_a, cost_micros=3_000_000, settled=False)

    page = login(client, alice).get("/dashboard/").content.decode()

    assert 'data-testid="balance">$10.00<' in page
    assert 'data-testid="available">$7.00<' in page


def test_it_sums_today_week_and_month_from_rollups_and_raw(client, alice, account_a):
    now = datetime.now(UTC)
    make_record(account_a, at=now - timedelta(days=3), cost_micros=1_000_000)
    make_record(account_a, at=now - timedelta(days=20), cost_micros=2_000_000)
    make_record(account_a, at=now - timedelta(days=40), cost_micros=4_000_000)
    roll_up_everything()
    make_record(account_a, at=now, cost_micros=500_000)  # after the rollup: read raw

    page = login(client, alice).get("/dashboard/").content.decode()

    assert 'data-testid="spend-today">$0.50<' in page
    assert 'data-testid="spend-week">$1.50<' in page
    assert 'data-testid="spend-month">$3.50<' in page


def test_it_warns_about_a_low_balance_with_a_buy_link_for_owners(client, alice, account_a):
    page = login(client, alice).get("/dashboard/").content.decode()

    assert 'data-testid="low-balance"' in page
    assert 'data-testid="buy-credits"' in page
    assert 'href="/billing/"' in page


def test_team_access_works_without_the_buy_link(client, bob, account_a):
    make_record(account_a, cost_micros=1_000_000)

    page = login(client, bob, account_a).get("/dashboard/").content.decode()

    assert "your role: member" in page
    assert 'data-testid="low-balance"' in page
    assert 'data-testid="buy-credits"' not in page
    assert "Ask an owner or admin" in page
    assert 'data-testid="spend-today">$1.00<' in page


def test_no_warning_above_the_threshold(client, alice, account_a):
    Account.objects.filter(pk=account_a.pk).update(balance_micros=50_000_000)

    page = login(client, alice).get("/dashboard/").content.decode()

    assert 'data-testid="low-balance"' not in page


def test_a_new_account_gets_the_get_started_box(client, alice, account_a):
    page = login(client, alice).get("/dashboard/").content.decode()

    assert 'data-testid="get-started"' in page
    assert "/v1/chat/completions" in page
    assert 'href="/tokens/new/"' in page


def test_it_shows_only_the_current_accounts_usage(client, charlie, account_a, account_b):
    make_record(account_a, cost_micros=9_000_000, model="secret-model")

    page = login(client, charlie).get("/dashboard/").content.decode()

    assert "secret-model" not in page
    assert 'data-testid="spend-month">$0.00<' in page
    assert 'data-testid="get-started"' in page


def test_it_rejects_post(client, alice):
    assert login(client, alice).post("/dashboard/").status_code == 405


def test_it_requires_login(client, db):
    assert client.get("/dashboard/").status_code == 302
