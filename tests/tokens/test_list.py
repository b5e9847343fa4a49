from tests.conftest import login
from tests.tokens.conftest import make_token
from tokens import lifecycle


def test_it_lists_the_accounts_tokens_with_revoked_ones(client, alice, alice_token, bob_token):
    revoked, _ = make_token(alice.personal_account, alice, name="old one")
    lifecycle.revoke_token(revoked)

    response = login(client, alice).get("/tokens/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "alice&#x27;s laptop" in content
    assert "bob&#x27;s ci" in content
    assert "old one" in content
    assert "Revoked" in content
    assert alice_token[0].prefix in content
    assert alice_token[1] not in content


def test_it_is_in_the_navigation(client, alice):
    assert b'href="/tokens/"' in login(client, alice).get("/dashboard/").content


def test_member_sees_every_token_but_manages_only_their_own(
    client, bob, account_a, alice_token, bob_token
):
    response = login(client, bob, account_a).get("/tokens/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "alice&#x27;s laptop" in content
    assert f"/tokens/{bob_token[0].pk}/revoke/" in content
    assert f"/tokens/{alice_token[0].pk}/revoke/" not in content


def test_it_shows_nothing_of_another_account(client, charlie, alice_token):
    response = login(client, charlie).get("/tokens/")

    assert response.status_code == 200
    assert b"alice&#x27;s laptop" not in response.content
    assert b"No tokens yet" in response.content


def test_it_requires_login(client, db):
    assert client.get("/tokens/").status_code == 302


def test_it_rejects_post(client, alice):
    assert login(client, alice).post("/tokens/").status_code == 405
