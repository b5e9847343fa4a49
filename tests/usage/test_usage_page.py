import json
from datetime import UTC, datetime, timedelta

from tests.conftest import login
from tests.usage.conftest import make_record, roll_up_everything
from usage.models import UserPreference


def chart_of(response) -> dict:
    page = response.content.decode()
    start = page.index('<script id="usage-chart-data" type="application/json">')
    body = page[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(body)


def test_it_works(client, alice, account_a, alice_token):
    make_record(account_a, token=alice_token, model="gpt-a", cost_micros=1_250_000)
    make_record(account_a, model="gpt-b", cost_micros=250_000, status_code=500)

    response = login(client, alice).get("/usage/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="total-requests">2<' in page
    assert 'data-testid="total-cost">$1.50<' in page
    assert "gpt-a" in page and "gpt-b" in page
    assert "alice laptop" in page
    assert 'src="/static/vendor/chartjs-4.6.1/chart.umd.min.js"' in page
    assert 'id="usage-chart"' in page
    # The table fallback is in the page, open, for browsers without JavaScript.
    assert '<details class="chart-table" open>' in page
    chart = chart_of(response)
    assert sum(chart["requests"]) == 2
    assert sum(chart["cost_micros"]) == 1_500_000
    assert chart["granularity"] == "day"
    assert len(chart["labels"]) == 7


def test_team_access_works(client, bob, account_a):
    make_record(account_a, cost_micros=2_000_000)

    page = login(client, bob, account_a).get("/usage/").content.decode()

    assert 'data-testid="total-cost">$2.00<' in page
    assert 'href="/usage/staff/"' not in page


def test_it_checks_the_account(client, charlie, account_a, account_b, alice_token):
    make_record(account_a, model="secret-model", cost_micros=9_000_000)

    page = login(client, charlie).get("/usage/").content.decode()

    assert "secret-model" not in page
    assert 'data-testid="total-requests">0<' in page


def test_another_accounts_token_is_an_invalid_filter(client, charlie, account_a, alice_token):
    make_record(account_a, token=alice_token, cost_micros=9_000_000)

    response = login(client, charlie).get("/usage/", {"token": alice_token.id})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice" in page
    assert 'data-testid="total-requests">0<' in page


def test_it_rejects_post(client, alice):
    assert login(client, alice).post("/usage/").status_code == 405


def test_two_days_or_less_are_hourly(client, alice, account_a):
    now = datetime.now(UTC)
    make_record(account_a, at=now - timedelta(minutes=1))
    today = now.date().isoformat()

    response = login(client, alice).get("/usage/", {"first": today, "last": today})

    chart = chart_of(response)
    assert chart["granularity"] == "hour"
    assert len(chart["labels"]) in {now.hour + 1, now.hour + 2}  # up to this hour (UTC by default)
    assert sum(chart["requests"]) == 1


def test_filters_combine(client, alice, account_a, alice_token, bob_token):
    now = datetime.now(UTC)
    make_record(account_a, token=alice_token, model="m1", cost_micros=1)
    make_record(account_a, token=alice_token, model="m2", cost_micros=10)
    make_record(account_a, token=bob_token, model="m1", cost_micros=100)
    make_record(
        account_a, token=alice_token, model="m1", cost_micros=1000, at=now - timedelta(days=3)
    )
    roll_up_everything()
    make_record(account_a, token=alice_token, model="m1", cost_micros=10_000)  # raw, this hour

    client = login(client, alice)
    today = now.date()

    def cost(**query) -> int:
        return sum(chart_of(client.get("/usage/", query))["cost_micros"])

    assert cost() == 11_111
    assert cost(model="m1") == 11_101
    assert cost(token=alice_token.id) == 11_011
    assert cost(token=alice_token.id, model="m1") == 11_001
    assert cost(token=alice_token.id, model="m1", first=today.isoformat()) == 10_001
    three_days_ago = (today - timedelta(days=3)).isoformat()
    assert cost(model="m1", first=three_days_ago, last=three_days_ago) == 1000


def test_days_follow_the_users_time_zone(client, alice, account_a):
    # 23:30 UTC on March 9 is already March 10 in Tokyo (UTC+9).
    make_record(account_a, at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC), cost_micros=7)
    UserPreference.objects.create(user=alice, time_zone="Asia/Tokyo")
    query = {"first": "2026-03-08", "last": "2026-03-12"}

    chart = chart_of(login(client, alice).get("/usage/", query))

    assert dict(zip(chart["labels"], chart["cost_micros"], strict=True))["2026-03-10"] == 7


def test_a_reversed_range_is_an_error_and_shows_the_default(client, alice, account_a):
    response = login(client, alice).get("/usage/", {"first": "2026-03-10", "last": "2026-03-01"})

    assert response.status_code == 200
    assert "The start date is after the end date." in response.content.decode()
    assert len(chart_of(response)["labels"]) == 7
