from accounts.models import Membership
from tests.conftest import login


def test_a_member_of_two_accounts_can_switch(client, bob, account_a):
    login(client, bob)
    assert bob.personal_account.name in client.get("/dashboard/").content.decode()

    response = client.post("/account/switch/", {"account": account_a.id})

    assert response.status_code == 302
    page = client.get("/dashboard/").content.decode()
    assert f"Account <strong>{account_a.name}</strong>" in page
    assert "your role: member" in page


def test_switching_to_an_account_of_someone_else_is_404(client, alice, account_b):
    response = login(client, alice).post("/account/switch/", {"account": account_b.id})

    assert response.status_code == 404


def test_switching_needs_post(client, alice, account_a):
    assert login(client, alice).get("/account/switch/").status_code == 405


def test_switch_ignores_an_offsite_next_url(client, bob, account_a):
    response = login(client, bob).post(
        "/account/switch/", {"account": account_a.id, "next": "https://evil.example/"}
    )

    assert response["Location"] == "/dashboard/"


def test_removed_membership_falls_back_to_the_personal_account(client, bob, account_a):
    login(client, bob, account_a)
    Membership.objects.filter(user=bob, account=account_a).delete()

    page = client.get("/dashboard/").content.decode()

    assert f"Account <strong>{bob.personal_account.name}</strong>" in page
