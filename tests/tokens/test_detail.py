from tests.conftest import login


def test_it_works(client, alice, alice_token):
    token, key = alice_token

    response = login(client, alice).get(f"/tokens/{token.pk}/")

    assert response.status_code == 200
    assert token.prefix.encode() in response.content
    assert key.encode() not in response.content
    assert f"/tokens/{token.pk}/rotate/".encode() in response.content


def test_member_sees_another_members_token_read_only(client, bob, account_a, alice_token):
    token, _ = alice_token

    response = login(client, bob, account_a).get(f"/tokens/{token.pk}/")

    assert response.status_code == 200
    assert f"/tokens/{token.pk}/edit/".encode() not in response.content


def test_it_checks_the_account(client, charlie, alice_token):
    assert login(client, charlie).get(f"/tokens/{alice_token[0].pk}/").status_code == 404


def test_it_answers_404_for_a_missing_token(client, alice):
    assert login(client, alice).get("/tokens/999999/").status_code == 404


def test_it_rejects_post(client, alice, alice_token):
    assert login(client, alice).post(f"/tokens/{alice_token[0].pk}/").status_code == 405
