"""One forwarded call from start to end: the model it names, the hold, the forwarding, and
its usage record and charge, whatever happens in between (proxy/endpoints.py,
proxy/gemini_endpoints.py and proxy/media.py read their requests, this runs them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from proxy import catalog, errors
from proxy.allowance import admit_call, finish_call
from proxy.auth import authenticate
from proxy.errors import ApiError
from proxy.forwarding import Call, forward, until_disconnect
from proxy.http import ClientGone, Request, send_error
from proxy.relay import end_with_error
from usage import recording

Prepare = Callable[[Call], Awaitable[None]]


def resolve_model(snapshot: catalog.Snapshot, context, model_id: str) -> catalog.CatalogModel:
    model = snapshot.models.get(model_id)
    if model is None:
        raise errors.model_not_found(model_id)
    if not model.usable_by(context.account_id) or not context.allows_model(model_id):
        raise errors.model_not_allowed(model_id)
    return model


async def forward_call(request: Request, send, endpoint: str, prepare: Prepare) -> None:
    """Check, hold, forward (or translate), then record the usage and charge: every call
    that goes to an upstream (chat, completions, embeddings, messages, responses, Gemini's
    generateContent, images and audio).

    `prepare(call)` reads the request body into the call: `body`, `model_id`, `model`,
    `price`, `stream` (and for media, its units and upload)."""
    context = await authenticate(request)
    call = Call(
        request=request, context=context, endpoint=endpoint, client_protocol=request.protocol
    )
    try:
        await prepare(call)
        await admit_call(call)
        if await until_disconnect(forward(call, send), request.receive):
            call.status, call.error_type = 499, "client_disconnected"
    except ApiError as error:
        call.status, call.error_type = error.status, error.code or error.type
        if not call.response_started:
            await send_error(send, error, request.request_id, request.protocol)
        elif call.stream:
            await end_with_error(call, send, error)  # only keepalives went out
    except ClientGone:
        call.status, call.error_type = 499, "client_disconnected"
    finally:
        if call.adapter is not None:
            call.adapter.close()
        fields = usage_fields(call)
        await recording.save(fields)
        await finish_call(call, fields["cost_micros"])


def usage_fields(call: Call) -> dict:
    usage = call.final_usage()
    price = call.price
    route = call.route
    return {
        "request_id": call.request.request_id,
        "account_id": call.context.account_id,
        "token_id": call.context.token_id,
        "model": call.model_id[:200],
        "route_id": route.id if route else None,
        "provider": route.provider.name if route else "",
        "upstream_model": route.upstream_model if route else "",
        "client_protocol": call.client_protocol,
        "endpoint": call.endpoint,
        "stream": call.stream,
        "status_code": call.status or 500,
        "error_type": call.error_type,
        "latency_ms": call.elapsed_ms(),
        "ttfb_ms": call.ttfb_ms,
        "input_tokens": usage.input,
        "output_tokens": usage.output,
        "cached_tokens": usage.cached,
        "reasoning_tokens": usage.reasoning,
        "usage_estimated": usage.estimated or call.units_estimated,
        "cost_micros": call.cost_micros(),
        "units": min(call.units, call.units_bound),
        "unit_kind": call.unit_kind,
        "price_input_per_mtok_micros": price.input_per_mtok_micros if price else None,
        "price_output_per_mtok_micros": price.output_per_mtok_micros if price else None,
        "price_cached_input_per_mtok_micros": (
            price.cached_input_per_mtok_micros if price else None
        ),
        "upstream_request_id": call.upstream_request_id,
        "created_at": datetime.now(UTC),
    }
