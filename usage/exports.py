"""Tables of usage as CSV, and as the chart's data: the same rows the page shows."""

from __future__ import annotations

import csv
from decimal import Decimal

from billing.money import MICROS_PER_USD
from usage.reports import Table, Totals

# The page's table columns, in its order; cost comes last as exact USD.
COLUMNS = [
    "requests",
    "errors",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "reasoning_tokens",
]


def usd(micros: int) -> str:
    """Exact USD with six places ("1.234567"), for spreadsheets: nothing is rounded away."""
    return f"{Decimal(micros) / MICROS_PER_USD:.6f}"


def header(table: Table) -> list[str]:
    return [table.heading.lower(), *COLUMNS, "cost_usd"]


def cells(label: str, totals: Totals) -> list[str]:
    return [label, *(str(getattr(totals, name)) for name in COLUMNS), usd(totals.cost_micros)]


def write_csv(out, table: Table) -> None:
    """One line per row of `table`, then a "Total" line."""
    writer = csv.writer(out)
    writer.writerow(header(table))
    for row in table.rows:
        writer.writerow(cells(_safe(row.label), row.totals))
    writer.writerow(cells("Total", table.total))


def _safe(text: str) -> str:
    # Spreadsheets run cells that start with these as formulas (CSV injection); token names and
    # model ids are typed by users.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def chart_data(series: Table) -> dict:
    """The series for usage.js: labels, and per point requests, tokens and cost (micro-USD)."""
    return {
        "granularity": series.heading.lower(),
        "labels": [row.label for row in series.rows],
        "requests": [row.totals.requests for row in series.rows],
        "tokens": [row.totals.tokens for row in series.rows],
        "cost_micros": [row.totals.cost_micros for row in series.rows],
    }
