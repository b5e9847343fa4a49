import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing.models import LedgerEntry
from tests.conftest import login


def grant(*args) -> str:
    out = StringIO()
    call_command("grant_credits", *args, stdout=out)
    return out.getvalue()


def test_the_command_posts_an_adjustment_on_the_personal_account(alice, account_a, staff):
    out = grant("alice@example.com", "12.50", "--note", "Conference credit", "--by", staff.email)

    assert "Posted $12.500000 on alice@example.com; balance $12.500000" in out
    account_a.refresh_from_db()
    assert account_a.balance_micros == 12_500_000
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.note, entry.created_by) == ("adjustment", "Conference credit", staff)
    assert entry.reference.startswith("manage.py grant_credits by ")


def test_a_negative_amount_deducts(alice, account_a):
    grant("ALICE@example.com", "5", "--note", "a")

    grant("alice@example.com", "-1.25", "--note", "correction")

    account_a.refresh_from_db()
    assert account_a.balance_micros == 3_750_000


def test_a_deduction_below_zero_is_refused(alice, account_a):
    with pytest.raises(CommandError, match="Nothing posted: the balance is 0 micro-USD"):
        grant("alice@example.com", "-1", "--note", "oops")
    assert not LedgerEntry.objects.exists()


def test_a_key_makes_a_retry_grant_once(alice, account_a):
    grant("alice@example.com", "2", "--note", "n", "--key", "ticket-42")
    grant("alice@example.com", "2", "--note", "n", "--key", "ticket-42")

    account_a.refresh_from_db()
    assert account_a.balance_micros == 2_000_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@example.com", "1", "--note", "n"], "No user with e-mail"),
        (["alice@example.com", "abc", "--note", "n"], "not an amount in USD"),
        (["alice@example.com", "0.0000001", "--note", "n"], "more precise than one micro-USD"),
        (["alice@example.com", "0", "--note", "n"], "adjustment of zero"),
        (["alice@example.com", "1", "--note", "  "], "a note saying why is required"),
        (["alice@example.com", "1", "--note", "n", "--by", "ghost@example.com"], "No user"),
    ],
)
def test_bad_input_posts_nothing(alice, args, message):
    with pytest.raises(CommandError, match=message):
        grant(*args)
    assert not LedgerEntry.objects.exists()


def test_the_note_is_required(alice):
    with pytest.raises(CommandError, match="--note"):
        grant("alice@example.com", "1")


# The admin action on Accounts


def action(client, accounts, **data):
    payload = {"action": "grant_credits_action", "_selected_action": [a.pk for a in accounts]}
    return client.post("/admin/accounts/account/", {**payload, **data}, follow=True)


def test_the_admin_action_asks_for_amount_and_note(client, staff, account_a):
    response = action(login(client, staff), [account_a])

    assert response.status_code == 200
    assert b"Grant or deduct credits" in response.content
    assert b'name="amount_usd"' in response.content


def test_the_admin_action_grants_to_each_selected_account(client, staff, account_a, account_b):
    grant_id = uuid.uuid4()
    data = {"apply": "1", "amount_usd": "3", "note": "Beta testers", "grant_id": grant_id}

    response = action(login(client, staff), [account_a, account_b], **data)
    action(client, [account_a, account_b], **data)  # a double submit

    assert b"Posted $3.000000 to 2 account(s)." in response.content
    entries = LedgerEntry.objects.all()
    assert len(entries) == 2
    assert {(e.created_by, e.note, e.amount_micros) for e in entries} == {
        (staff, "Beta testers", 3_000_000)
    }


def test_the_admin_action_reports_accounts_it_cannot_debit(client, staff, account_a):
    data = {"apply": "1", "amount_usd": "-3", "note": "n", "grant_id": uuid.uuid4()}

    response = action(login(client, staff), [account_a], **data)

    assert b"not changed (the balance is 0 micro-USD" in response.content
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("amount", ["", "abc", "0", "1e30", "0.0000001"])
def test_the_admin_action_shows_form_errors(client, staff, account_a, amount):
    data = {"apply": "1", "amount_usd": amount, "note": "n", "grant_id": uuid.uuid4()}

    response = action(login(client, staff), [account_a], **data)

    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not LedgerEntry.objects.exists()
