from datetime import UTC, datetime

from tests.conftest import login
from tests.usage.conftest import make_record
from usage.models import UserPreference


def test_it_works(client, alice):
    client = login(client, alice)

    assert client.get("/usage/profile/").status_code == 200
    response = client.post("/usage/profile/", {"time_zone": "Europe/Paris"})

    assert response.status_code == 302
    assert UserPreference.objects.get(user=alice).time_zone == "Europe/Paris"


def test_times_show_in_the_chosen_zone(client, alice, account_a):
    make_record(account_a, request_id="req_tz", at=datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    client = login(client, alice)
    client.post("/usage/profile/", {"time_zone": "America/New_York"})

    page = client.get("/usage/requests/req_tz/").content.decode()

    assert "2026-07-01 08:00:00 (America/New_York)" in page


def test_the_setting_is_per_person(client, alice, bob, account_a):
    UserPreference.objects.create(user=alice, time_zone="Asia/Tokyo")
    make_record(account_a, request_id="req_tz", at=datetime(2026, 7, 1, 12, 0, tzinfo=UTC))

    page = login(client, bob, account_a).get("/usage/requests/req_tz/").content.decode()

    assert "2026-07-01 12:00:00 (UTC)" in page


def test_an_unknown_zone_is_refused(client, alice):
    response = login(client, alice).post("/usage/profile/", {"time_zone": "Mars/Olympus"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not UserPreference.objects.exists()


def test_empty_means_the_site_default(client, alice):
    UserPreference.objects.create(user=alice, time_zone="Asia/Tokyo")

    login(client, alice).post("/usage/profile/", {"time_zone": ""})

    assert UserPreference.objects.get(user=alice).time_zone == ""


def test_it_rejects_put(client, alice):
    assert login(client, alice).put("/usage/profile/").status_code == 405


def test_it_requires_login(client, db):
    assert client.get("/usage/profile/").status_code == 302
