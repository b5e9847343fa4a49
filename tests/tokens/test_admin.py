from tests.conftest import login
from tests.tokens.conftest import make_token
from tokens.lookup import lookup_sync


def test_admin_shows_a_token_without_its_hash(client, staff, alice, account_a):
    token, key = make_token(account_a, alice)

    response = login(client, staff).get(f"/admin/tokens/apitoken/{token.pk}/change/")

    assert response.status_code == 200
    assert token.secret_hash.encode() not in response.content
    assert b"secret_hash" not in response.content
    assert key.encode() not in response.content
    assert token.prefix.encode() in response.content


def test_admin_cannot_add_tokens(client, staff):
    assert login(client, staff).get("/admin/tokens/apitoken/add/").status_code == 403


def test_admin_revoke_action_reaches_lookup(client, staff, alice, account_a):
    token, key = make_token(account_a, alice)
    lookup_sync(key)

    login(client, staff).post(
        "/admin/tokens/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )

    assert lookup_sync(key) is None


def test_admin_validates_the_ip_list(client, staff, alice, account_a):
    token, _ = make_token(account_a, alice)

    response = login(client, staff).post(
        f"/admin/tokens/apitoken/{token.pk}/change/",
        {"name": "x", "allowed_models": "[]", "allowed_ips": '["10.0.0.0/99"]', "note": ""},
    )

    assert response.status_code == 200
    assert b"is not an IP address or CIDR range" in response.content
