from datetime import UTC, datetime, timedelta

from accounts.models import Account
from tests.conftest import login
from tests.usage.conftest import make_record, roll_up_everything
from usage.models import UserPreference


def test_report_works(client, alice, account_a, alice_token):
    make_record(account_a, token=alice_token, model="gpt-a", cost_micros=1_000)
    make_record(account_a, model="gpt-b", cost_micros=20, at=datetime.now(UTC) - timedelta(days=2))
    roll_up_everything()

    body = login(client, alice).get("/api/usage/").json()

    assert body["granularity"] == "day"
    assert body["time_zone"] == "UTC"
    assert body["totals"]["requests"] == 2
    assert body["totals"]["cost_micros"] == 1_020
    assert len(body["series"]) == 7
    assert sum(row["cost_micros"] for row in body["series"]) == 1_020
    assert [row["model"] for row in body["by_model"]] == ["gpt-a", "gpt-b"]
    assert {row["token_id"] for row in body["by_token"]} == {alice_token.id, None}


def test_report_filters_and_hours_in_the_users_zone(client, alice, account_a):
    make_record(account_a, model="gpt-a", at=datetime(2026, 7, 1, 12, 30, tzinfo=UTC))
    make_record(account_a, model="gpt-b", at=datetime(2026, 7, 1, 12, 30, tzinfo=UTC))
    UserPreference.objects.create(user=alice, time_zone="Europe/Paris")

    body = (
        login(client, alice)
        .get("/api/usage/", {"first": "2026-07-01", "last": "2026-07-01", "model": "gpt-a"})
        .json()
    )

    assert body["granularity"] == "hour"
    busy = [row for row in body["series"] if row["requests"]]
    assert busy == [dict(busy[0], period="2026-07-01T14:00:00+02:00", requests=1)]


def test_report_rejects_bad_filters(client, alice, account_a):
    response = login(client, alice).get(
        "/api/usage/", {"first": "2026-07-02", "last": "2026-07-01"}
    )

    assert response.status_code == 400


def test_report_checks_the_account(client, charlie, account_a, account_b, alice_token):
    make_record(account_a, token=alice_token, cost_micros=5)
    client = login(client, charlie)

    assert client.get("/api/usage/").json()["totals"]["requests"] == 0
    assert client.get("/api/usage/", {"token": alice_token.id}).status_code == 400


def test_summary_works(client, alice, account_a):
    Account.objects.filter(pk=account_a.pk).update(balance_micros=5_000_000)
    make_record(account_a, cost_micros=2_000_000, settled=False, model="gpt-a")

    body = login(client, alice).get("/api/usage/summary/").json()

    assert body["balance_micros"] == 5_000_000
    assert body["available_micros"] == 3_000_000
    assert body["low_balance"] is False
    assert body["today"]["cost_micros"] == 2_000_000
    assert body["last_30_days"]["requests"] == 1
    assert body["top_models"][0]["model"] == "gpt-a"


def test_summary_team_access_works(client, bob, account_a):
    make_record(account_a, cost_micros=7)

    assert (
        login(client, bob, account_a).get("/api/usage/summary/").json()["today"]["cost_micros"] == 7
    )


def test_summary_checks_the_account(client, charlie, account_a, account_b):
    make_record(account_a, cost_micros=7)

    assert login(client, charlie).get("/api/usage/summary/").json()["today"]["cost_micros"] == 0


def test_request_list_works_with_cursors(client, alice, account_a):
    now = datetime.now(UTC)
    for n in range(55):
        make_record(account_a, request_id=f"req_{n:03d}", at=now - timedelta(seconds=n))
    client = login(client, alice)

    first = client.get("/api/usage/requests/").json()
    second = client.get("/api/usage/requests/", {"before": first["older"]}).json()

    assert [r["request_id"] for r in first["results"]][:2] == ["req_000", "req_001"]
    assert len(first["results"]) == 50 and first["newer"] is None
    assert [r["request_id"] for r in second["results"]] == [f"req_{n:03d}" for n in range(50, 55)]
    assert second["older"] is None


def test_request_list_filters_and_search(client, alice, account_a):
    make_record(account_a, request_id="req_ok")
    make_record(account_a, request_id="req_bad", status_code=500)
    client = login(client, alice)

    assert [
        r["request_id"]
        for r in client.get("/api/usage/requests/", {"status": "5xx"}).json()["results"]
    ] == ["req_bad"]
    assert [
        r["request_id"]
        for r in client.get("/api/usage/requests/", {"q": "req_ok"}).json()["results"]
    ] == ["req_ok"]
    assert client.get("/api/usage/requests/", {"status": "weird"}).status_code == 400


def test_request_list_checks_the_account(client, charlie, account_a, account_b):
    make_record(account_a, request_id="req_alice")
    client = login(client, charlie)

    assert client.get("/api/usage/requests/").json()["results"] == []
    assert client.get("/api/usage/requests/", {"q": "req_alice"}).json()["results"] == []


def test_request_detail(client, alice, bob, charlie, account_a, account_b):
    make_record(account_a, request_id="req_one", cost_micros=42)

    assert login(client, alice).get("/api/usage/requests/req_one/").json()["cost_micros"] == 42
    assert login(client, bob, account_a).get("/api/usage/requests/req_one/").status_code == 200
    assert login(client, charlie).get("/api/usage/requests/req_one/").status_code == 404


def test_the_api_is_read_only(client, alice, account_a):
    client = login(client, alice)

    for path in ["/api/usage/", "/api/usage/summary/", "/api/usage/requests/"]:
        assert client.post(path, {}).status_code == 405


def test_the_api_needs_a_session(client, db):
    assert client.get("/api/usage/summary/").status_code == 403


def test_the_api_is_in_the_openapi_schema(client, db):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    for path in [
        "/api/usage/",
        "/api/usage/summary/",
        "/api/usage/requests/",
        "/api/usage/requests/{request_id}/",
    ]:
        assert "get" in schema["paths"][path]
    parameters = {p["name"] for p in schema["paths"]["/api/usage/requests/"]["get"]["parameters"]}
    assert {
        "q",
        "status",
        "model",
        "token",
        "protocol",
        "estimated",
        "before",
        "after",
    } <= parameters
