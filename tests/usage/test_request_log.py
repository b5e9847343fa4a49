from datetime import UTC, datetime, timedelta

from tests.conftest import login
from tests.usage.conftest import make_record
from usage import requestlog
from usage.models import UsageRecord


def listed(response) -> list[str]:
    page = response.content.decode()
    return [
        line.split("<code>", 1)[1].split("</code>", 1)[0]
        for line in page.split("\n")
        if "/usage/requests/req" in line
    ]


def test_it_works(client, alice, account_a):
    now = datetime.now(UTC)
    make_record(account_a, request_id="req_old", at=now - timedelta(minutes=5))
    make_record(account_a, request_id="req_new", at=now)

    response = login(client, alice).get("/usage/requests/")

    assert response.status_code == 200
    assert listed(response) == ["req_new", "req_old"]


def test_team_access_works(client, bob, account_a):
    make_record(account_a, request_id="req_team")

    assert listed(login(client, bob, account_a).get("/usage/requests/")) == ["req_team"]


def test_it_checks_the_account(client, charlie, account_a, account_b):
    make_record(account_a, request_id="req_alice")
    make_record(account_b, request_id="req_charlie")

    client = login(client, charlie)

    assert listed(client.get("/usage/requests/")) == ["req_charlie"]
    assert listed(client.get("/usage/requests/", {"q": "req_alice"})) == []


def test_it_rejects_post(client, alice):
    assert login(client, alice).post("/usage/requests/").status_code == 405


def test_search_by_request_id_finds_the_row_whatever_the_filters(client, alice, account_a):
    for n in range(60):
        make_record(account_a, request_id=f"req_{n:03d}")

    response = login(client, alice).get(
        "/usage/requests/", {"q": " req_007 ", "status": "error", "protocol": "gemini"}
    )

    assert listed(response) == ["req_007"]


def test_filters_combine(client, alice, account_a, alice_token):
    make_record(account_a, request_id="req_a", status_code=200, model="m1", token=alice_token)
    make_record(account_a, request_id="req_b", status_code=429, model="m1", token=alice_token)
    make_record(account_a, request_id="req_c", status_code=502, model="m1")
    make_record(account_a, request_id="req_d", status_code=500, model="m2", token=alice_token)
    make_record(
        account_a,
        request_id="req_e",
        status_code=200,
        model="m1",
        client_protocol="anthropic",
        usage_estimated=True,
    )
    client = login(client, alice)

    def ids(**query) -> set[str]:
        return set(listed(client.get("/usage/requests/", query)))

    assert ids(status="error") == {"req_b", "req_c", "req_d"}
    assert ids(status="error", model="m1") == {"req_b", "req_c"}
    assert ids(status="5xx", model="m1") == {"req_c"}
    assert ids(status="4xx", token=alice_token.id) == {"req_b"}
    assert ids(status="ok", token=alice_token.id) == {"req_a"}
    assert ids(protocol="anthropic") == {"req_e"}
    assert ids(estimated="yes") == {"req_e"}
    assert ids(estimated="no", model="m1", status="ok") == {"req_a"}


def test_pages_go_back_in_time_and_forward_again(client, alice, account_a):
    now = datetime.now(UTC)
    same_time = now - timedelta(hours=1)
    for n in range(120):
        # Several records share a timestamp: the id breaks the tie.
        at = same_time if n % 3 == 0 else now - timedelta(minutes=n)
        make_record(account_a, request_id=f"req_{n:03d}", at=at)
    everything = list(
        UsageRecord.objects.order_by("-created_at", "-id").values_list("request_id", flat=True)
    )
    client = login(client, alice)

    first = client.get("/usage/requests/")
    second = client.get("/usage/requests/?" + first.context["older_query"])
    third = client.get("/usage/requests/?" + second.context["older_query"])
    back = client.get("/usage/requests/?" + third.context["newer_query"])

    assert listed(first) + listed(second) + listed(third) == everything
    assert len(listed(third)) == 20 and third.context["older_query"] is None
    assert listed(back) == listed(second)
    assert first.context["newer_query"] is None


def test_a_bad_cursor_shows_the_first_page(client, alice, account_a):
    make_record(account_a, request_id="req_x")

    response = login(client, alice).get("/usage/requests/", {"before": "garbage"})

    assert listed(response) == ["req_x"]


def test_cursors_round_trip(account_a):
    record = make_record(account_a, at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))

    assert requestlog.parse_cursor(requestlog.cursor_of(record)) == (record.created_at, record.id)
