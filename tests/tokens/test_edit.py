from datetime import timedelta

from django.utils import timezone

from proxy.models import Model
from tests.conftest import login
from tests.tokens.conftest import make_token
from tokens import lifecycle
from tokens.lookup import lookup_sync

FIELDS = {"name": "renamed", "rpm_limit": "30", "allowed_ips": "192.0.2.0/24", "note": "n"}


def test_it_works(client, alice, alice_token):
    token, key = alice_token
    lookup_sync(key)

    response = login(client, alice).post(f"/tokens/{token.pk}/edit/", FIELDS)

    assert response.status_code == 302
    token.refresh_from_db()
    assert (token.name, token.rpm_limit, token.allowed_ips) == ("renamed", 30, ["192.0.2.0/24"])
    assert lookup_sync(key).rpm_limit == 30  # the cache was invalidated


def test_it_shows_the_current_values(client, alice, account_a):
    token, _ = make_token(
        account_a, alice, spend_limit_micros=2_500_000, allowed_ips=["10.0.0.0/8"]
    )

    content = login(client, alice).get(f"/tokens/{token.pk}/edit/").content.decode()

    assert 'value="2.5' in content
    assert "10.0.0.0/8" in content


def test_it_keeps_models_that_are_no_longer_enabled(client, alice, account_a):
    model = Model.objects.create(public_id="gone-soon", display_name="Gone soon")
    token, _ = make_token(account_a, alice, allowed_models=["gone-soon"])
    model.enabled = False
    model.save()
    login(client, alice)

    assert b"gone-soon (unavailable)" in client.get(f"/tokens/{token.pk}/edit/").content
    client.post(f"/tokens/{token.pk}/edit/", {"name": "x", "allowed_models": ["gone-soon"]})
    token.refresh_from_db()
    assert token.allowed_models == ["gone-soon"]


def test_an_expired_tokens_other_fields_can_still_change(client, alice, account_a):
    token, _ = make_token(account_a, alice)
    past = timezone.now() - timedelta(days=1)
    type(token).objects.filter(pk=token.pk).update(expires_at=past)
    login(client, alice)
    shown = timezone.localtime(past).strftime("%Y-%m-%dT%H:%M")

    response = client.post(f"/tokens/{token.pk}/edit/", {"name": "new", "expires_at": shown})

    assert response.status_code == 302
    token.refresh_from_db()
    assert (token.name, token.expires_at) == ("new", past)


def test_bad_input_gets_a_form_error(client, alice, alice_token):
    token, _ = alice_token

    response = login(client, alice).post(
        f"/tokens/{token.pk}/edit/", {"name": "", "max_concurrency": "-3"}
    )

    assert response.status_code == 200
    assert b"Give the token a name." in response.content
    assert b"greater than or equal to 1" in response.content


def test_member_can_edit_their_own_token(client, bob, account_a, bob_token):
    response = login(client, bob, account_a).post(f"/tokens/{bob_token[0].pk}/edit/", FIELDS)

    assert response.status_code == 302


def test_member_cannot_edit_another_members_token(client, bob, account_a, alice_token):
    response = login(client, bob, account_a).post(f"/tokens/{alice_token[0].pk}/edit/", FIELDS)

    assert response.status_code == 403
    alice_token[0].refresh_from_db()
    assert alice_token[0].name == "alice's laptop"


def test_owner_can_edit_a_members_token(client, alice, bob_token):
    assert login(client, alice).post(f"/tokens/{bob_token[0].pk}/edit/", FIELDS).status_code == 302


def test_it_checks_the_account(client, charlie, alice_token):
    login(client, charlie)

    assert client.get(f"/tokens/{alice_token[0].pk}/edit/").status_code == 404
    assert client.post(f"/tokens/{alice_token[0].pk}/edit/", FIELDS).status_code == 404


def test_revoked_tokens_cannot_be_edited(client, alice, alice_token):
    token = lifecycle.revoke_token(alice_token[0])

    response = login(client, alice).post(f"/tokens/{token.pk}/edit/", FIELDS)

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.name == "alice's laptop"


def test_it_rejects_delete(client, alice, alice_token):
    assert login(client, alice).delete(f"/tokens/{alice_token[0].pk}/edit/").status_code == 405
