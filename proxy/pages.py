"""Public pages about the catalog: Models and pricing, and which client protocols are served."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import current_membership
from billing.money import format_usd
from proxy import catalog
from proxy.errors import ApiError
from proxy.providers import UnknownProvider, provider_class
from proxy.routes import resolve


@dataclass(frozen=True)
class ClientProtocol:
    name: str
    label: str
    method: str
    path: str  # a request of this protocol; the protocol is served once the proxy routes it

    @property
    def served(self) -> bool:
        try:
            resolve(self.method, self.path.replace("{model}", "any"))
        except ApiError:
            return False
        return True


CLIENT_PROTOCOLS = (
    ClientProtocol("openai", "OpenAI-compatible", "POST", "/v1/chat/completions"),
    ClientProtocol("anthropic", "Anthropic Messages", "POST", "/v1/messages"),
    ClientProtocol("responses", "OpenAI Responses", "POST", "/v1/responses"),
    ClientProtocol("gemini", "Gemini", "POST", "/v1beta/models/{model}:generateContent"),
)

# Client protocol -> the protocols of routes that the proxy translates into it.
TRANSLATES_FROM: dict[str, frozenset[str]] = {
    "openai": frozenset({"anthropic", "gemini"}),
    "anthropic": frozenset({"openai", "gemini"}),
    "responses": frozenset({"openai", "anthropic", "gemini"}),
    "gemini": frozenset({"openai", "anthropic"}),
}


def route_protocol(kind: str) -> str | None:
    """The protocol a provider kind speaks; None for kinds the proxy cannot call yet."""
    try:
        return provider_class(kind).protocol
    except UnknownProvider:
        return None


def protocols_of(model: catalog.CatalogModel) -> list[ClientProtocol]:
    """The client protocols that can call `model` now: served by the proxy, and spoken by one of
    the model's providers (or translated from what they speak)."""
    spoken = {route_protocol(route.provider.kind) for route in model.routes} - {None}
    return [
        protocol
        for protocol in CLIENT_PROTOCOLS
        if protocol.served
        and (protocol.name in spoken or spoken & TRANSLATES_FROM.get(protocol.name, frozenset()))
    ]


def format_per_mtok(micros: int | None) -> str:
    """A price per 1M tokens, exact and without trailing zeros past the cents: "$0.075"."""
    if micros is None:
        return "—"
    text = format_usd(micros, places=6).rstrip("0")
    whole, _, cents = text.partition(".")
    return f"{whole}.{cents.ljust(2, '0')}"


@dataclass(frozen=True)
class ModelRow:
    id: str
    display_name: str
    description: str
    context_window: str
    max_output_tokens: str
    input_price: str
    cached_input_price: str
    output_price: str
    protocols: tuple[str, ...]


def model_row(model: catalog.CatalogModel) -> ModelRow:
    price = model.price_at(catalog.now())
    return ModelRow(
        id=model.id,
        display_name=model.display_name,
        description=model.description,
        context_window=f"{model.context_window:,}" if model.context_window else "—",
        max_output_tokens=f"{model.max_output_tokens:,}",
        input_price=format_per_mtok(price.input_per_mtok_micros if price else None),
        cached_input_price=format_per_mtok(price.cached_input_per_mtok_micros if price else None),
        output_price=format_per_mtok(price.output_per_mtok_micros if price else None),
        protocols=tuple(protocol.label for protocol in protocols_of(model)),
    )


@require_GET
def models_pricing(request: HttpRequest) -> HttpResponse:
    """Every public model with its prices and limits; a signed-in user's granted models too."""
    snapshot = catalog.current_sync()
    ordered = [snapshot.models[key] for key in sorted(snapshot.models)]
    membership = current_membership(request) if request.user.is_authenticated else None
    granted = None
    if membership is not None:
        account_id = membership.account_id
        granted = [model_row(m) for m in ordered if not m.public and m.usable_by(account_id)]
    context = {
        "models": [model_row(m) for m in ordered if m.public],
        "granted": granted,
        "membership": membership,
        "protocols": CLIENT_PROTOCOLS,
    }
    return render(request, "proxy/models.html", context)
