import re

from django.core import mail

from accounts.models import Account, Membership, User

SIGNUP = {
    "email": "dana@example.com",
    "password1": "a long passphrase 9",
    "password2": "a long passphrase 9",
}


def confirmation_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body).group(1)


def test_signup_sends_a_confirmation_email_and_creates_a_personal_account(client, db):
    response = client.post("/accounts/signup/", SIGNUP)

    assert response.status_code == 302
    user = User.objects.get(email="dana@example.com")
    account = Account.objects.get(personal_for=user)
    assert account.balance_micros == 0
    assert Membership.objects.get(user=user).role == Membership.Role.OWNER
    assert Membership.objects.get(user=user).account == account
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dana@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_login_is_refused_until_the_email_is_confirmed_then_works(client, db):
    client.post("/accounts/signup/", SIGNUP)
    client.logout()

    response = client.post(
        "/accounts/login/", {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    )
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 302  # still anonymous: verification pending

    link = confirmation_link(mail.outbox[-1])
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 302

    response = client.post(
        "/accounts/login/", {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    )
    assert response.status_code == 302
    dashboard = client.get("/dashboard/")
    assert dashboard.status_code == 200
    assert b"dana@example.com" in dashboard.content


def test_signup_with_a_taken_email_does_not_reveal_it_and_warns_the_owner(client, alice):
    data = dict(SIGNUP, email="alice@example.com")

    response = client.post("/accounts/signup/", data)

    # Same answer as a new sign-up, so the form cannot be used to find out who has an account.
    assert response.status_code == 302
    assert User.objects.filter(email="alice@example.com").count() == 1
    assert Account.objects.filter(personal_for=alice).count() == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "already" in mail.outbox[0].body


def test_signup_with_mismatched_passwords_shows_a_form_error(client, db):
    response = client.post("/accounts/signup/", dict(SIGNUP, password2="something else 1"))

    assert response.status_code == 200
    assert b"You must type the same password each time" in response.content
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


def test_password_reset_sends_an_email(client, alice):
    response = client.post("/accounts/password/reset/", {"email": "alice@example.com"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_dashboard_requires_login(client, db):
    response = client.get("/dashboard/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_users_created_any_way_get_a_personal_account(db):
    user = User.objects.create_superuser(email="root@example.com", password="x")

    assert user.personal_account.memberships.get().role == Membership.Role.OWNER


def test_signup_credit_is_posted_once_to_new_accounts(db, settings):
    from billing.ledger import find_violations
    from billing.models import LedgerEntry

    settings.SIGNUP_CREDIT_USD = "5"
    user = User.objects.create_user(email="new@example.com", password="x")

    account = user.personal_account
    assert account.balance_micros == 5_000_000
    assert LedgerEntry.objects.get(account=account).note == "Welcome credit (SIGNUP_CREDIT_USD)"
    assert find_violations() == []


def test_no_signup_credit_by_default(db):
    user = User.objects.create_user(email="new@example.com", password="x")

    assert user.personal_account.balance_micros == 0
