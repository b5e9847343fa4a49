"""The JSON API under /api/tokens/: the current account only, the key once."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from proxy.models import Model
from tests.conftest import login
from tokens.keys import hash_key
from tokens.lookup import lookup_sync
from tokens.models import ApiToken


def test_list_shows_the_current_accounts_tokens(client, alice, alice_token, bob_token, account_b):
    response = login(client, alice).get("/api/tokens/")

    assert response.status_code == 200
    names = {t["name"] for t in response.json()}
    assert names == {"alice's laptop", "bob's ci"}
    assert "secret_hash" not in response.json()[0]
    assert alice_token[1] not in response.content.decode()


def test_create_returns_the_key_once(client, alice, account_a):
    Model.objects.create(public_id="gpt-x", display_name="GPT X")
    login(client, alice)

    response = client.post(
        "/api/tokens/",
        {
            "name": "ci",
            "allowed_models": ["gpt-x"],
            "spend_limit_micros": 5_000_000,
            "rpm_limit": 10,
            "allowed_ips": ["10.0.0.1"],
            "expires_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        content_type="application/json",
    )

    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get(pk=body["token"]["id"])
    assert token.secret_hash == hash_key(body["key"])
    assert body["token"]["status"] == "active"
    assert body["token"]["allowed_ips"] == ["10.0.0.1/32"]
    assert token.account == account_a
    assert body["key"] not in client.get(f"/api/tokens/{token.pk}/").content.decode()


def test_retrieve_works_for_any_member(client, bob, account_a, alice_token):
    response = login(client, bob, account_a).get(f"/api/tokens/{alice_token[0].pk}/")

    assert response.status_code == 200
    assert response.json()["prefix"] == alice_token[0].prefix


def test_update_changes_limits_and_invalidates_the_cache(client, alice, alice_token):
    token, key = alice_token
    lookup_sync(key)

    response = login(client, alice).patch(
        f"/api/tokens/{token.pk}/", {"rpm_limit": 7}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["rpm_limit"] == 7
    assert lookup_sync(key).rpm_limit == 7


def test_revoke_works(client, alice, alice_token):
    token, key = alice_token

    response = login(client, alice).post(f"/api/tokens/{token.pk}/revoke/")

    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert lookup_sync(key) is None


def test_rotate_returns_the_new_key_once(client, alice, alice_token):
    token, old_key = alice_token

    response = login(client, alice).post(
        f"/api/tokens/{token.pk}/rotate/", {"grace_seconds": 60}, content_type="application/json"
    )

    assert response.status_code == 200
    new_key = response.json()["key"]
    assert lookup_sync(new_key).token_id == token.pk
    assert lookup_sync(old_key).token_id == token.pk  # in its grace period
    assert response.json()["token"]["previous_prefix"] == old_key[:14]


def test_rotating_a_revoked_token_is_a_conflict(client, alice, alice_token):
    login(client, alice).post(f"/api/tokens/{alice_token[0].pk}/revoke/")

    response = client.post(f"/api/tokens/{alice_token[0].pk}/rotate/")

    assert response.status_code == 409
    assert "only active tokens can be rotated" in response.json()["detail"]


def test_editing_a_revoked_token_is_a_conflict(client, alice, alice_token):
    login(client, alice).post(f"/api/tokens/{alice_token[0].pk}/revoke/")

    response = client.patch(
        f"/api/tokens/{alice_token[0].pk}/", {"name": "x"}, content_type="application/json"
    )

    assert response.status_code == 409


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("put", ""), ("post", "revoke/"), ("post", "rotate/")],
)
def test_every_verb_answers_404_for_another_accounts_token(
    client, charlie, alice_token, method, suffix
):
    token, key = alice_token
    login(client, charlie)

    response = getattr(client, method)(
        f"/api/tokens/{token.pk}/{suffix}", {"name": "x"}, content_type="application/json"
    )

    assert response.status_code == 404
    assert lookup_sync(key) is not None


@pytest.mark.parametrize(
    ("method", "suffix"), [("patch", ""), ("post", "revoke/"), ("post", "rotate/")]
)
def test_member_cannot_change_another_members_token(
    client, bob, account_a, alice_token, method, suffix
):
    login(client, bob, account_a)

    response = getattr(client, method)(
        f"/api/tokens/{alice_token[0].pk}/{suffix}", {"name": "x"}, content_type="application/json"
    )

    assert response.status_code == 403


def test_member_can_change_their_own_token(client, bob, account_a, bob_token):
    login(client, bob, account_a)

    assert client.post(f"/api/tokens/{bob_token[0].pk}/revoke/").status_code == 200


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "may not be blank"),
        ({"name": "x" * 101}, "name", "no more than 100 characters"),
        ({"rpm_limit": -1}, "rpm_limit", "greater than or equal to 1"),
        ({"rpm_limit": 10**30}, "rpm_limit", "less than or equal to 100000"),
        ({"max_concurrency": 0}, "max_concurrency", "greater than or equal to 1"),
        ({"spend_limit_micros": -5}, "spend_limit_micros", "greater than or equal to 10000"),
        ({"spend_limit_micros": "lots"}, "spend_limit_micros", "A valid integer is required."),
        ({"allowed_ips": ["1.2.3.4/40"]}, "allowed_ips", "not an IP address or CIDR range"),
        (
            {"allowed_ips": "10.0.0.0/8"},
            "allowed_ips",
            'Expected a list of items but got type "str"',
        ),
        ({"allowed_models": ["nope"]}, "allowed_models", "not a model enabled for this account"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at", "The expiry must be in the future."),
        ({"expires_at": "soon"}, "expires_at", "Datetime has wrong format"),
    ],
)
def test_bad_input_is_a_400_with_a_message(client, alice, data, field, message):
    response = login(client, alice).post(
        "/api/tokens/", {"name": "ok", **data}, content_type="application/json"
    )

    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert not ApiToken.objects.exists()


def test_bad_grace_is_a_400(client, alice, alice_token):
    response = login(client, alice).post(
        f"/api/tokens/{alice_token[0].pk}/rotate/",
        {"grace_seconds": 86401},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "less than or equal to 86400" in str(response.json()["grace_seconds"])


def test_malformed_json_is_a_400(client, alice):
    response = login(client, alice).post(
        "/api/tokens/", "{not json", content_type="application/json"
    )

    assert response.status_code == 400


def test_it_requires_csrf_with_session_auth(alice):
    csrf_client = login(Client(enforce_csrf_checks=True), alice)

    response = csrf_client.post("/api/tokens/", {"name": "x"}, content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_it_requires_login(client, db):
    assert client.get("/api/tokens/").status_code == 403


def test_it_rejects_delete(client, alice, alice_token):
    assert login(client, alice).delete(f"/api/tokens/{alice_token[0].pk}/").status_code == 405
    assert client.get(f"/api/tokens/{alice_token[0].pk}/revoke/").status_code == 405


def test_the_schema_describes_the_tokens_api(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    assert "/api/tokens/{id}/rotate/" in schema["paths"]
    assert "NewKey" in schema["components"]["schemas"]
