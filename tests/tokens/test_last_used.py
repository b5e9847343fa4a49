"""`last_used_at`: written at most once a minute per token, by a background thread."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.tokens.conftest import make_token
from tokens import activity
from tokens.lookup import lookup_sync
from tokens.models import ApiToken

# Transactional: the background thread has its own connection and must see the token's row.
# (Sync lookups only: after the browser tests, Playwright leaves an event loop marked as running
# in this thread, which async_to_sync refuses.)


@pytest.mark.django_db(transaction=True)
def test_a_lookup_records_the_use_off_the_request_path(alice, account_a, django_assert_num_queries):
    token, key = make_token(account_a, alice)
    lookup_sync(key)  # fills the cache

    activity.forget_noted()
    with django_assert_num_queries(0):
        assert lookup_sync(key) is not None  # noting the use costs the caller no query
    activity.flush()

    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(seconds=5)


@pytest.mark.django_db(transaction=True)
def test_use_is_recorded_at_most_once_a_minute(alice, account_a, django_assert_num_queries):
    token, key = make_token(account_a, alice)
    lookup_sync(key)
    activity.flush()
    first = ApiToken.objects.get(pk=token.pk).last_used_at

    activity.note_use(token.pk)  # within the minute: nothing is queued
    assert activity._queue.unfinished_tasks == 0
    activity.forget_noted()  # as another process would, without the in-process throttle
    activity.note_use(token.pk)
    activity.flush()

    assert ApiToken.objects.get(pk=token.pk).last_used_at == first


def test_record_use_only_touches_rows_older_than_a_minute(alice_token):
    token, _ = alice_token
    now = timezone.now()

    assert ApiToken.objects.record_use([token.pk], now) == 1
    assert ApiToken.objects.record_use([token.pk], now + timedelta(seconds=30)) == 0
    assert ApiToken.objects.record_use([token.pk], now + timedelta(seconds=61)) == 1
