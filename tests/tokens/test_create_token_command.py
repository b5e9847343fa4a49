from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from proxy.models import Model
from tokens.lookup import lookup_sync
from tokens.models import ApiToken


def run(*args) -> list[str]:
    out = StringIO()
    call_command("create_token", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_it_prints_a_working_key_on_the_last_line(alice, account_a):
    lines = run("alice@example.com", "--name", "automation")

    context = lookup_sync(lines[-1])
    assert context is not None
    assert context.account_id == account_a.pk
    assert "automation" in lines[0]
    assert ApiToken.objects.get().created_by == alice


def test_it_applies_the_limits(alice):
    Model.objects.create(public_id="m1", display_name="M1")
    Model.objects.create(public_id="m2", display_name="M2")

    key = run(
        "ALICE@example.com",
        "--name=ci",
        "--models=m1,m2",
        "--expires-days=30",
        "--rpm=60",
        "--max-concurrency=3",
        "--spend-limit-usd=12.5",
    )[-1]

    context = lookup_sync(key)
    assert context.allowed_models == frozenset({"m1", "m2"})
    assert (context.rpm_limit, context.max_concurrency) == (60, 3)
    assert context.spend_limit_micros == 12_500_000
    assert context.expires_at is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@example.com", "--name=x"], "No user with the e-mail address"),
        (["alice@example.com", "--name="], "Give the token a name."),
        (["alice@example.com", "--name=x", "--models=unknown"], "Select a valid choice"),
        (["alice@example.com", "--name=x", "--expires-days=0"], "must be in the future"),
        (["alice@example.com", "--name=x", "--rpm=-1"], "greater than or equal to 1"),
        (["alice@example.com", "--name=x", "--spend-limit-usd=abc"], "Enter a number."),
    ],
)
def test_bad_input_is_a_command_error(alice, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ApiToken.objects.exists()
