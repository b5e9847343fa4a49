import re
from datetime import date

import pytest

from proxy.models import Model
from tests.conftest import login
from tokens.keys import hash_key
from tokens.models import ApiToken

KEY = re.compile(r"sk-tg-[A-Za-z0-9_-]{43}")
NEXT_YEAR = date.today().year + 1


def form_once(client) -> str:
    page = client.get("/tokens/new/").content.decode()
    return re.search(r'name="once" value="([^"]+)"', page).group(1)


def create(client, **fields):
    data = {"name": "laptop", "once": form_once(client), **fields}
    return client.post("/tokens/new/", data)


def test_it_works(client, alice, account_a):
    Model.objects.create(public_id="gpt-x", display_name="GPT X")
    login(client, alice)

    response = create(
        client,
        name="CI",
        allowed_models=["gpt-x"],
        spend_limit_usd="12.50",
        rpm_limit="60",
        max_concurrency="4",
        allowed_ips="10.0.0.0/8\n203.0.113.7",
        note="for the build",
        expires_at=f"{NEXT_YEAR}-01-01T00:00",
    )

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    key = KEY.search(response.content.decode()).group(0)
    assert b"will not be shown again" in response.content
    token = ApiToken.objects.get()
    assert token.account == account_a
    assert token.created_by == alice
    assert token.secret_hash == hash_key(key)
    assert token.prefix == key[:14]
    assert token.allowed_models == ["gpt-x"]
    assert token.spend_limit_micros == 12_500_000
    assert (token.rpm_limit, token.max_concurrency) == (60, 4)
    assert token.allowed_ips == ["10.0.0.0/8", "203.0.113.7/32"]
    assert token.note == "for the build"
    assert token.expires_at.year == NEXT_YEAR


def test_it_offers_only_the_accounts_enabled_models(client, alice, account_b):
    Model.objects.create(public_id="open-model", display_name="Open")
    Model.objects.create(public_id="off-model", display_name="Off", enabled=False)
    private = Model.objects.create(public_id="b-only", display_name="B only", public=False)
    private.granted_accounts.add(account_b)

    content = login(client, alice).get("/tokens/new/").content

    assert b'value="open-model"' in content
    assert b"off-model" not in content
    assert b"b-only" not in content
    response = create(client, allowed_models=["b-only"])
    assert b"Select a valid choice" in response.content
    assert not ApiToken.objects.exists()


def test_member_can_create_tokens(client, bob, account_a):
    response = create(login(client, bob, account_a))

    assert response.status_code == 200
    assert ApiToken.objects.get().created_by == bob


def test_resubmitting_the_form_creates_nothing_and_shows_no_key(client, alice):
    login(client, alice)
    data = {"name": "laptop", "once": form_once(client)}
    client.post("/tokens/new/", data)

    response = client.post("/tokens/new/", data, follow=True)

    assert ApiToken.objects.count() == 1
    assert not KEY.search(response.content.decode())
    assert b"already submitted" in response.content


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Give the token a name."),
        ({"name": "   "}, "Give the token a name."),
        ({"name": "x" * 200}, "at most 100 characters"),
        ({"allowed_ips": "10.0.0.0/33"}, "is not an IP address or CIDR range"),
        ({"allowed_ips": "not-an-ip"}, "is not an IP address or CIDR range"),
        ({"allowed_ips": "10.0.0.1/8"}, "did you mean 10.0.0.0/8?"),
        ({"rpm_limit": "-1"}, "greater than or equal to 1"),
        ({"rpm_limit": "0"}, "greater than or equal to 1"),
        ({"rpm_limit": "99999999999999999999"}, "less than or equal to 100000"),
        ({"rpm_limit": "ten"}, "Enter a whole number."),
        ({"max_concurrency": "1000000"}, "less than or equal to 1000"),
        ({"spend_limit_usd": "-5"}, "greater than or equal to 0.01"),
        ({"spend_limit_usd": "1e12"}, "less than or equal to 1000000"),
        ({"spend_limit_usd": "NaN"}, "Enter a number."),
        ({"spend_limit_usd": "1.0000001"}, "no more than 6 decimal places"),
        ({"expires_at": "2001-01-01T00:00"}, "The expiry must be in the future."),
        ({"expires_at": "9999-12-31T00:00"}, "The expiry must be within 10 years."),
        ({"expires_at": "tomorrow"}, "Enter a valid date/time."),
        ({"note": "n" * 1001}, "at most 1000 characters"),
    ],
)
def test_bad_input_gets_a_form_error(client, alice, fields, message):
    response = create(login(client, alice), **fields)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ApiToken.objects.exists()


def test_it_rejects_put(client, alice):
    assert login(client, alice).put("/tokens/new/").status_code == 405
