import pytest

from accounts.models import Membership
from tests.conftest import login

pytestmark = pytest.mark.urls("tests.accounts.tenancy_urls")


def test_owner_sees_an_object_of_their_account(client, alice, bob, account_a):
    membership = Membership.objects.get(user=bob, account=account_a)

    response = login(client, alice).get(f"/memberships/{membership.pk}/")

    assert response.status_code == 200
    assert response.json()["user"] == "bob@example.com"


def test_view_answers_404_for_another_accounts_object(client, alice, charlie, account_b):
    membership = Membership.objects.get(account=account_b)

    assert login(client, alice).get(f"/memberships/{membership.pk}/").status_code == 404


def test_api_list_shows_only_the_current_account(client, alice, bob, charlie):
    response = login(client, alice).get("/api/memberships/")

    assert response.status_code == 200
    assert len(response.json()) == 2  # alice and bob in A, not charlie


def test_api_detail_answers_404_for_another_accounts_object(client, alice, account_b):
    membership = Membership.objects.get(account=account_b)

    assert login(client, alice).get(f"/api/memberships/{membership.pk}/").status_code == 404


def test_api_requires_authentication(client, db):
    assert client.get("/api/memberships/").status_code == 403
