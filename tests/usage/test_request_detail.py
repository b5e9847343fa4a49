from tests.conftest import login
from tests.usage.conftest import make_record


def test_it_works(client, alice, account_a, alice_token):
    make_record(
        account_a,
        request_id="req_detail",
        token=alice_token,
        status_code=504,
        error_type="upstream_timeout",
        latency_ms=60_000,
        ttfb_ms=None,
        cost_micros=123,
        upstream_request_id="up_1",
    )

    response = login(client, alice).get("/usage/requests/req_detail/")

    assert response.status_code == 200
    page = response.content.decode()
    for text in ["upstream_timeout", "60,000 ms", "$0.000123", "alice laptop", "up_1", "504"]:
        assert text in page


def test_team_access_works(client, bob, account_a):
    make_record(account_a, request_id="req_detail")

    assert login(client, bob, account_a).get("/usage/requests/req_detail/").status_code == 200


def test_it_checks_the_account(client, charlie, account_a):
    make_record(account_a, request_id="req_detail")

    assert login(client, charlie).get("/usage/requests/req_detail/").status_code == 404


def test_an_unknown_request_is_404(client, alice, account_a):
    assert login(client, alice).get("/usage/requests/nope/").status_code == 404


def test_it_rejects_post(client, alice, account_a):
    make_record(account_a, request_id="req_detail")

    assert login(client, alice).post("/usage/requests/req_detail/").status_code == 405
