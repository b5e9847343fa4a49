"""Celery tasks of billing; each one calls a single domain function."""

from __future__ import annotations

from celery import shared_task

from billing import alerts, stripe_checkout


@shared_task
def notify_low_balance(account_id: int) -> int:
    return alerts.send_low_balance_email(account_id)


@shared_task
def fetch_receipt(purchase_id: int) -> bool:
    return stripe_checkout.fetch_receipt(purchase_id)
