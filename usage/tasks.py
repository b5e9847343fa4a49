"""Celery tasks of the usage app. Tasks only call domain functions."""

from __future__ import annotations

from celery import shared_task

from usage import rollups, settlement


@shared_task(name="usage.settle_usage", ignore_result=True)
def settle_usage() -> str:
    """Charge every unsettled usage record to the ledger (beat runs this every few seconds)."""
    return str(settlement.settle_all())


@shared_task(name="usage.roll_up", ignore_result=True)
def roll_up_usage() -> str:
    """Keep the hourly and daily rollups current (beat runs this every USAGE_ROLLUP_INTERVAL_S)."""
    result = rollups.roll_up()
    return f"Rolled up {result.start:%Y-%m-%d %H:00} to {result.end:%Y-%m-%d %H:00}."


@shared_task(name="usage.prune", ignore_result=True)
def prune_usage() -> str:
    """Delete settled raw records older than USAGE_RETENTION_DAYS, once rolled up."""
    result = rollups.prune()
    return f"Deleted {result.deleted} usage records before {result.cutoff:%Y-%m-%d %H:00}."
