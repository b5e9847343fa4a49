"""The lookup the proxy calls on every request (in-process cache; Redis has its own file)."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from accounts.models import Account
from tests.tokens.conftest import make_token
from tokens import lifecycle
from tokens.lookup import TokenContext, lookup, lookup_sync


def test_lookup_returns_the_tokens_context(alice, account_a):
    token, key = make_token(
        account_a,
        alice,
        allowed_models=["gpt-x"],
        spend_limit_micros=5_000_000,
        rpm_limit=60,
        max_concurrency=2,
        allowed_ips=["10.0.0.0/8"],
    )

    context = async_to_sync(lookup)(key)

    assert isinstance(context, TokenContext)
    assert context.token_id == token.pk
    assert context.account_id == account_a.pk
    assert context.account_active is True
    assert context.prefix == key[:14]
    assert context.allowed_models == frozenset({"gpt-x"})
    assert (context.spend_limit_micros, context.rpm_limit, context.max_concurrency) == (
        5_000_000,
        60,
        2,
    )
    assert context.expires_at is None
    assert lookup_sync(key) == context


def test_lookup_refuses_malformed_and_unknown_keys_without_a_query(
    alice_token, django_assert_num_queries
):
    _, key = alice_token
    with django_assert_num_queries(0):
        assert lookup_sync("") is None
        assert lookup_sync("Bearer nonsense") is None
        assert lookup_sync(key[:20]) is None  # too short to be a key

    unknown = "sk-tg-" + "A" * 43
    assert lookup_sync(unknown) is None
    with django_assert_num_queries(0):
        assert lookup_sync(unknown) is None  # cached negatively


def test_a_cached_key_needs_no_query(alice_token, django_assert_num_queries):
    _, key = alice_token
    lookup_sync(key)

    with django_assert_num_queries(0):
        assert async_to_sync(lookup)(key) is not None


def test_revoked_key_is_refused_at_once(alice_token):
    token, key = alice_token
    assert lookup_sync(key) is not None

    lifecycle.revoke_token(token)

    assert lookup_sync(key) is None


def test_expired_key_is_refused_even_from_the_cache(alice, account_a, advance_clock):
    token, key = make_token(account_a, alice, expires_at=timezone.now() + timedelta(hours=1))
    assert lookup_sync(key).expires_at == pytest.approx(token.expires_at.timestamp())

    advance_clock(3601)

    assert lookup_sync(key) is None


def test_rotation_without_grace_retires_the_old_key_at_once(alice_token):
    token, old_key = alice_token
    lookup_sync(old_key)

    token, new_key = lifecycle.rotate_token(token)

    assert lookup_sync(old_key) is None
    assert lookup_sync(new_key).token_id == token.pk


def test_rotation_with_grace_keeps_the_old_key_until_the_grace_ends(alice_token, advance_clock):
    token, old_key = alice_token

    token, new_key = lifecycle.rotate_token(token, grace_seconds=600)

    old = lookup_sync(old_key)
    assert old.token_id == token.pk
    assert old.prefix == old_key[:14]
    assert old.expires_at == pytest.approx(token.previous_valid_until.timestamp())
    assert lookup_sync(new_key).expires_at is None
    advance_clock(601)
    assert lookup_sync(old_key) is None
    assert lookup_sync(new_key) is not None


def test_revoking_during_a_grace_period_retires_both_keys(alice_token):
    token, old_key = alice_token
    token, new_key = lifecycle.rotate_token(token, grace_seconds=600)

    lifecycle.revoke_token(token)

    assert lookup_sync(old_key) is None
    assert lookup_sync(new_key) is None


def test_limit_edits_are_seen_at_once(alice_token):
    token, key = alice_token
    assert lookup_sync(key).rpm_limit is None

    lifecycle.update_token(token, rpm_limit=10, allowed_models=["m1"])

    context = lookup_sync(key)
    assert context.rpm_limit == 10
    assert context.allowed_models == frozenset({"m1"})


def test_a_suspended_accounts_key_is_never_usable(alice_token, account_a):
    _, key = alice_token
    assert lookup_sync(key).account_active is True

    account_a.status = Account.Status.SUSPENDED
    account_a.save()

    assert lookup_sync(key).account_active is False
    account_a.status = Account.Status.ACTIVE
    account_a.save(update_fields=["status"])
    assert lookup_sync(key).account_active is True


def test_a_balance_only_save_keeps_the_cache(alice_token, account_a, django_assert_num_queries):
    _, key = alice_token
    lookup_sync(key)

    account_a.save(update_fields=["balance_micros"])

    with django_assert_num_queries(0):
        lookup_sync(key)


def test_deleting_a_token_forgets_its_key(alice_token):
    token, key = alice_token
    lookup_sync(key)

    token.delete()

    assert lookup_sync(key) is None


def test_ip_allowlist_matches_addresses_and_ranges(alice, account_a):
    _, key = make_token(account_a, alice, allowed_ips=["10.0.0.0/8", "2001:db8::/32", "1.2.3.4/32"])
    context = lookup_sync(key)

    assert context.allows_ip("10.1.2.3")
    assert context.allows_ip("1.2.3.4")
    assert context.allows_ip("::ffff:10.9.9.9")  # IPv4 seen through an IPv6 socket
    assert context.allows_ip("2001:db8::1")
    assert not context.allows_ip("11.0.0.1")
    assert not context.allows_ip("not an ip")
    assert not context.allows_ip("")


def test_empty_allowlists_allow_everything(alice_token):
    context = lookup_sync(alice_token[1])

    assert context.allows_ip("203.0.113.9")
    assert context.allows_model("anything")


def test_model_allowlist(alice, account_a):
    _, key = make_token(account_a, alice, allowed_models=["a", "b"])
    context = lookup_sync(key)

    assert context.allows_model("a")
    assert not context.allows_model("c")
