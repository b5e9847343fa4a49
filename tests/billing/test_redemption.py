from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import LedgerEntry, Redemption, RedemptionCode
from billing.redemption import ATTEMPTS_PER_WINDOW
from tests.conftest import login


@pytest.fixture
def code(db) -> RedemptionCode:
    return RedemptionCode.objects.create(
        code="WELCOME-5", value_micros=5_000_000, max_redemptions=2
    )


def redeem(client, text: str):
    return client.post("/billing/redeem/", {"code": text}, follow=True)


def test_a_code_credits_the_current_account(client, alice, account_a, code):
    response = redeem(login(client, alice), "welcome-5 ")

    assert b"Code redeemed: $5.00 added." in response.content
    account_a.refresh_from_db()
    assert account_a.balance_micros == 5_000_000
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.reference) == ("redemption", "WELCOME-5")
    assert Redemption.objects.get().user == alice


def test_a_member_can_redeem_for_the_account(client, bob, account_a, code):
    redeem(login(client, bob, account_a), "WELCOME-5")

    account_a.refresh_from_db()
    assert account_a.balance_micros == 5_000_000


def test_a_code_credits_an_account_only_once(client, alice, bob, account_a, code):
    redeem(login(client, alice), "WELCOME-5")

    response = redeem(login(client, bob, account_a), "WELCOME-5")

    assert response.status_code == 400
    assert b"This account has already redeemed that code." in response.content
    account_a.refresh_from_db()
    assert account_a.balance_micros == 5_000_000


def test_a_used_up_code_is_refused(client, alice, bob, charlie, code):
    code.max_redemptions = 1
    code.save()
    redeem(login(client, alice), "WELCOME-5")

    response = redeem(login(client, charlie), "WELCOME-5")

    assert b"That code has been used up." in response.content
    assert charlie.personal_account.balance_micros == 0


def test_an_expired_code_is_refused(client, alice, code):
    code.expires_at = timezone.now() - timedelta(seconds=1)
    code.save()

    response = redeem(login(client, alice), "WELCOME-5")

    assert b"That code has expired." in response.content


@pytest.mark.parametrize("text", ["NOPE", "welcome_5"])
def test_a_wrong_code_is_refused(client, alice, code, text):
    response = redeem(login(client, alice), text)

    assert response.status_code == 400
    assert b"That code is not valid." in response.content
    assert not LedgerEntry.objects.exists()


def test_an_inactive_code_is_refused(client, alice, code):
    code.active = False
    code.save()

    assert b"That code is not valid." in redeem(login(client, alice), "WELCOME-5").content


def test_an_empty_or_overlong_code_gets_a_form_error(client, alice, code):
    login(client, alice)

    assert b"This field is required." in redeem(client, "").content
    assert redeem(client, "X" * 65).status_code == 400


def test_attempts_are_rate_limited_per_user(client, alice, charlie, code):
    login(client, alice)
    for _ in range(ATTEMPTS_PER_WINDOW):
        redeem(client, "GUESS")

    response = redeem(client, "WELCOME-5")

    assert b"Too many attempts." in response.content
    assert not LedgerEntry.objects.exists()
    # charlie is not limited by alice's attempts
    assert b"Code redeemed" in redeem(login(client, charlie), "WELCOME-5").content


def test_generated_codes_are_easy_to_type(db):
    code = RedemptionCode.objects.create(value_micros=1)

    assert len(code.code) == 14
    assert not set(code.code) & set("01OI")


def test_redeem_rejects_get(client, alice):
    assert login(client, alice).get("/billing/redeem/").status_code == 405
