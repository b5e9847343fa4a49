from tests.conftest import login
from tokens.lookup import lookup_sync


def test_it_asks_for_confirmation(client, alice, alice_token):
    token, key = alice_token

    response = login(client, alice).get(f"/tokens/{token.pk}/revoke/")

    assert response.status_code == 200
    assert b"cannot be undone" in response.content
    assert lookup_sync(key) is not None


def test_it_works(client, alice, alice_token):
    token, key = alice_token
    lookup_sync(key)

    response = login(client, alice).post(f"/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert lookup_sync(key) is None
    assert b"Revoked" in client.get("/tokens/").content  # still listed


def test_member_can_revoke_their_own_token(client, bob, account_a, bob_token):
    assert (
        login(client, bob, account_a).post(f"/tokens/{bob_token[0].pk}/revoke/").status_code == 302
    )


def test_member_cannot_revoke_another_members_token(client, bob, account_a, alice_token):
    token, key = alice_token

    assert login(client, bob, account_a).post(f"/tokens/{token.pk}/revoke/").status_code == 403
    assert lookup_sync(key) is not None


def test_it_checks_the_account(client, charlie, alice_token):
    token, key = alice_token
    login(client, charlie)

    assert client.get(f"/tokens/{token.pk}/revoke/").status_code == 404
    assert client.post(f"/tokens/{token.pk}/revoke/").status_code == 404
    assert lookup_sync(key) is not None


def test_it_rejects_put(client, alice, alice_token):
    assert login(client, alice).put(f"/tokens/{alice_token[0].pk}/revoke/").status_code == 405
