import pytest
from django.test import override_settings

from tests.conftest import login


@pytest.mark.parametrize("path", ["/", "/accounts/signup/", "/accounts/login/", "/docs/"])
def test_public_pages_render(client, db, path):
    assert client.get(path).status_code == 200


def test_unknown_page_gets_the_friendly_404(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert b"We could not find that page." in response.content


def test_navigation_shows_admin_only_to_staff(client, alice, staff):
    assert b'href="/admin/"' not in login(client, alice).get("/dashboard/").content
    assert b'href="/admin/"' in login(client, staff).get("/dashboard/").content


def test_admin_lists_accounts_with_read_only_balance(client, staff, account_a):
    response = login(client, staff).get(f"/admin/accounts/account/{account_a.pk}/change/")

    assert response.status_code == 200
    assert b'name="balance_micros"' not in response.content


@override_settings(DEBUG=False)
def test_server_errors_get_the_friendly_500_page(client, db):
    from accounts.views import server_error

    response = server_error(client.get("/").wsgi_request)

    assert response.status_code == 500
    assert b"Something went wrong on our side." in response.content


def test_docs_page_renders_markdown(client, db):
    response = client.get("/docs/01-getting-started/")

    assert response.status_code == 200
    assert b"<h1" in response.content
    assert client.get("/docs/nope/").status_code == 404
