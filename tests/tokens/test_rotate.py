import re

from tests.conftest import login
from tokens import lifecycle
from tokens.keys import hash_key
from tokens.lookup import lookup_sync

KEY = re.compile(r"sk-tg-[A-Za-z0-9_-]{43}")


def rotate(client, pk, **fields):
    page = client.get(f"/tokens/{pk}/rotate/").content.decode()
    once = re.search(r'name="once" value="([^"]+)"', page).group(1)
    return client.post(f"/tokens/{pk}/rotate/", {"grace_minutes": "0", "once": once, **fields})


def test_it_works(client, alice, alice_token):
    token, old_key = alice_token
    lookup_sync(old_key)

    response = rotate(login(client, alice), token.pk)

    assert response.status_code == 200
    new_key = KEY.search(response.content.decode()).group(0)
    assert new_key != old_key
    token.refresh_from_db()
    assert token.secret_hash == hash_key(new_key)
    assert lookup_sync(old_key) is None
    assert lookup_sync(new_key).token_id == token.pk
    assert b"no longer works" in response.content


def test_a_grace_period_keeps_the_old_key_working(client, alice, alice_token):
    token, old_key = alice_token

    response = rotate(login(client, alice), token.pk, grace_minutes="60")

    assert b"keeps working until" in response.content
    assert lookup_sync(old_key).token_id == token.pk


def test_resubmitting_rotates_nothing_and_shows_no_key(client, alice, alice_token):
    token, _ = alice_token
    login(client, alice)
    page = client.get(f"/tokens/{token.pk}/rotate/").content.decode()
    data = {"grace_minutes": "0", "once": re.search(r'name="once" value="([^"]+)"', page)[1]}
    new_key = KEY.search(client.post(f"/tokens/{token.pk}/rotate/", data).content.decode())[0]

    response = client.post(f"/tokens/{token.pk}/rotate/", data, follow=True)

    assert not KEY.search(response.content.decode())
    assert lookup_sync(new_key) is not None


def test_bad_grace_periods_get_a_form_error(client, alice, alice_token):
    login(client, alice)
    for grace in ["-1", "1441", "soon"]:
        response = rotate(client, alice_token[0].pk, grace_minutes=grace)

        assert response.status_code == 200
        assert re.search(r"between 0 and 24 hours|Enter a whole number", response.content.decode())
    assert lookup_sync(alice_token[1]) is not None


def test_revoked_tokens_cannot_be_rotated(client, alice, alice_token):
    token = lifecycle.revoke_token(alice_token[0])

    response = rotate(login(client, alice), token.pk)

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.secret_hash == hash_key(alice_token[1])


def test_member_cannot_rotate_another_members_token(client, bob, account_a, alice_token):
    login(client, bob, account_a)

    assert client.get(f"/tokens/{alice_token[0].pk}/rotate/").status_code == 403
    assert client.post(f"/tokens/{alice_token[0].pk}/rotate/").status_code == 403


def test_member_can_rotate_their_own_token(client, bob, account_a, bob_token):
    assert rotate(login(client, bob, account_a), bob_token[0].pk).status_code == 200


def test_it_checks_the_account(client, charlie, alice_token):
    login(client, charlie)

    assert client.get(f"/tokens/{alice_token[0].pk}/rotate/").status_code == 404
    assert client.post(f"/tokens/{alice_token[0].pk}/rotate/").status_code == 404


def test_it_rejects_put(client, alice, alice_token):
    assert login(client, alice).put(f"/tokens/{alice_token[0].pk}/rotate/").status_code == 405
