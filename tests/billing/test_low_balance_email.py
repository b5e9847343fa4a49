from django.core import mail

from billing.ledger import post_entry


def debit(account, micros: int, key: str) -> None:
    post_entry(account, -micros, "usage", idempotency_key=key)


def test_crossing_below_the_threshold_mails_the_managers_once(
    alice, bob, account_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_entry(account_a, 3_000_000, "purchase", idempotency_key="buy")
        debit(account_a, 1_500_000, "u1")  # $1.50: still above $1
        debit(account_a, 1_000_000, "u2")  # $0.50: crossed
        debit(account_a, 100_000, "u3")  # still below: no second e-mail

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]  # bob is a member, not a manager
    assert "Low balance on alice@example.com: $0.40" in message.subject  # as it is when sent
    assert "dropped below $1.00" in message.body
    assert "/billing/" in message.body
    account_a.refresh_from_db()
    assert account_a.low_balance_notified_at is not None


def test_each_new_crossing_mails_again(alice, account_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_entry(account_a, 2_000_000, "purchase", idempotency_key="b1")
        debit(account_a, 1_500_000, "u1")
        post_entry(account_a, 5_000_000, "purchase", idempotency_key="b2")
        debit(account_a, 5_000_000, "u2")

    assert len(mail.outbox) == 2


def test_rising_above_the_threshold_clears_the_marker(alice, account_a):
    post_entry(account_a, 2_000_000, "purchase", idempotency_key="b1")
    debit(account_a, 1_500_000, "u1")
    assert account_a.low_balance_notified_at is not None

    post_entry(account_a, 1_000_000, "purchase", idempotency_key="b2")

    account_a.refresh_from_db()
    assert account_a.low_balance_notified_at is None


def test_a_threshold_of_zero_turns_it_off(alice, account_a, django_capture_on_commit_callbacks):
    account_a.low_balance_threshold_micros = 0
    account_a.save()

    with django_capture_on_commit_callbacks(execute=True):
        post_entry(account_a, 2_000_000, "purchase", idempotency_key="b1")
        debit(account_a, 2_000_000, "u1")

    assert mail.outbox == []


def test_nothing_is_sent_if_the_balance_rose_before_the_task_ran(alice, account_a):
    from billing.alerts import send_low_balance_email

    post_entry(account_a, 2_000_000, "purchase", idempotency_key="b1")
    debit(account_a, 1_500_000, "u1")
    post_entry(account_a, 5_000_000, "purchase", idempotency_key="b2")

    assert send_low_balance_email(account_a.pk) == 0
    assert mail.outbox == []
