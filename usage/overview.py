"""The staff overview: money in, spend, provider health and the accounts to look at.

Across every account, so only staff views call it. Spend and provider figures come from the
rollups (usage.reports), money from the billing records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Sum

from accounts.models import Account
from billing.models import LedgerEntry, Purchase
from billing.money import format_price
from proxy.models import Route
from usage.models import RollupState
from usage.reports import Report, Row, Selection, Totals
from usage.rollups import current_state

TOP_ACCOUNTS = 10


@dataclass
class PurchaseRevenue:
    currency: str
    purchases: int
    amount_cents: int
    credits_micros: int
    refunded_micros: int
    disputed_micros: int

    @property
    def amount_display(self) -> str:
        return format_price(self.amount_cents, self.currency)


@dataclass
class Overview:
    selection: Selection
    revenue: list[PurchaseRevenue]
    ledger: list[dict]
    total: Totals
    by_model: list[Row]
    by_route: list[Row]
    top_accounts: list[Row]
    flagged: list[Account]
    rollups: RollupState


def build_overview(selection: Selection, now: datetime | None = None) -> Overview:
    if selection.account_id is not None:
        raise ValueError("The staff overview spans every account.")
    report = Report(selection, now)
    start, end = selection.window
    by_route = report.grouped(("provider", "route_id"))
    by_account = report.grouped(("account_id",))
    routes = Route.objects.select_related("model").in_bulk([k[1] for k in by_route if k[1]])
    names = dict(
        Account.objects.filter(id__in=[k[0] for k in by_account]).values_list("id", "name")
    )
    return Overview(
        selection=selection,
        revenue=purchase_revenue(start, end),
        ledger=ledger_by_kind(start, end),
        total=Totals.sum(by_account.values()),
        by_model=_rows(report.grouped(("model", "provider")), _model_label),
        by_route=_rows(by_route, lambda key: _route_label(key, routes)),
        top_accounts=_rows(by_account, lambda key: names.get(key[0], f"#{key[0]}"))[:TOP_ACCOUNTS],
        flagged=list(Account.objects.exclude(flagged_reason="").order_by("-flagged_at", "id")),
        rollups=current_state(),
    )


def purchase_revenue(start: datetime, end: datetime) -> list[PurchaseRevenue]:
    """Purchases paid in [start, end), per currency, with what was refunded or disputed since."""
    rows = (
        Purchase.objects.filter(paid_at__gte=start, paid_at__lt=end)
        .values("currency")
        .annotate(
            purchases=Count("id"),
            amount_cents=Sum("amount_cents"),
            credits_micros=Sum("credits_micros"),
            refunded_micros=Sum("refunded_micros"),
            disputed_micros=Sum("disputed_micros"),
        )
        .order_by("currency")
    )
    return [PurchaseRevenue(**row) for row in rows]


def ledger_by_kind(start: datetime, end: datetime) -> list[dict]:
    """Credits moved in [start, end) per ledger entry kind (micro-USD, signed)."""
    rows = (
        LedgerEntry.objects.filter(created__gte=start, created__lt=end)
        .values("kind")
        .annotate(entries=Count("id"), amount_micros=Sum("amount_micros"))
        .order_by("kind")
    )
    labels = dict(LedgerEntry.Kind.choices)
    return [{**row, "label": labels.get(row["kind"], row["kind"])} for row in rows]


def _rows(sums: dict[tuple, Totals], label) -> list[Row]:
    rows = [Row(key, label(key), totals) for key, totals in sums.items()]
    return sorted(rows, key=lambda r: (-r.totals.cost_micros, -r.totals.requests, r.label))


def _model_label(key: tuple) -> str:
    model, provider = key
    return f"{model or '(no model)'} · {provider or '(no provider)'}"


def _route_label(key: tuple, routes: dict[int, Route]) -> str:
    provider, route_id = key
    route = routes.get(route_id)
    if route is not None:
        target = f"{route.model} → {route.upstream_model}"
    else:
        target = f"route #{route_id}" if route_id else "(no route)"
    return f"{provider or '(no provider)'} · {target}"
