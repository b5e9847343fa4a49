"""The cast: alice owns account A, bob is a member of A, charlie owns B (his personal account)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache

from accounts.models import Account, Membership, User

PASSWORD = "correct horse battery staple 42"


def make_user(email: str, *, staff: bool = False) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, is_staff=staff)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture(autouse=True)
def _clean_cache():
    yield
    cache.clear()


@pytest.fixture
def alice(db) -> User:
    return make_user("alice@example.com")


@pytest.fixture
def account_a(alice) -> Account:
    return alice.personal_account


@pytest.fixture
def bob(account_a) -> User:
    user = make_user("bob@example.com")
    Membership.objects.create(user=user, account=account_a, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def charlie(db) -> User:
    return make_user("charlie@example.com")


@pytest.fixture
def account_b(charlie) -> Account:
    return charlie.personal_account


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_superuser(email="staff@example.com", password=PASSWORD)


def login(client, user: User, account: Account | None = None):
    """Log `client` in as `user`, working in `account` (default: their personal account)."""
    client.force_login(user)
    if account is not None:
        session = client.session
        session["tollgate_account_id"] = account.id
        session.save()
    return client


@pytest.fixture
def tollgate_server(transactional_db):
    """The whole Tollgate ASGI app (Django + proxy) on a real socket."""
    from config.asgi import application
    from tests.servers import serve

    with serve(application) as server:
        yield server
    close_other_sessions()


def close_other_sessions() -> None:
    """End database sessions that server threads left open, so the test database can go."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(autouse=True)
def _fresh_admission():
    from proxy import admission

    admission.reset()
    yield
    admission.reset()
