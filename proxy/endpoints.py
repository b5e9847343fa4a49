"""The /v1 endpoints: thin handlers that parse, check and hand over to forwarding."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings

from proxy import catalog, conversations, errors, media, responses_endpoints
from proxy.allowance import admit_call, finish_call
from proxy.auth import authenticate
from proxy.errors import ApiError
from proxy.forwarding import Call, forward, until_disconnect
from proxy.http import ClientGone, Request, send_error, send_json
from proxy.relay import end_with_error
from usage import recording

log = logging.getLogger(__name__)

# endpoint name -> the field besides `model` that a request must have
REQUIRED_FIELD = {
    "chat": "messages",
    "completions": "prompt",
    "embeddings": "input",
    "messages": "messages",
    "count_tokens": "messages",
    "responses": "input",
}
STREAMABLE = {"chat", "completions", "messages", "responses"}
MESSAGE_LISTS = {"chat", "messages", "count_tokens"}


def parse_body(raw: bytes, endpoint: str) -> dict:
    """The JSON object of the request, checked for the fields every upstream needs."""
    if not raw.strip():
        raise errors.bad_request("The request body is empty; send a JSON object.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise errors.bad_request(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(body, dict):
        raise errors.bad_request("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise errors.bad_request("'model' is required: a model id from GET /v1/models.", "model")
    required = REQUIRED_FIELD[endpoint]
    value = body.get(required)
    if value is None:
        raise errors.bad_request(f"'{required}' is required.", required)
    if endpoint in MESSAGE_LISTS and (not isinstance(value, list) or not value):
        raise errors.bad_request("'messages' must be a non-empty array of messages.", "messages")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise errors.bad_request("'stream' must be true or false.", "stream")
    return body


def resolve_model(snapshot: catalog.Snapshot, context, model_id: str) -> catalog.CatalogModel:
    model = snapshot.models.get(model_id)
    if model is None:
        raise errors.model_not_found(model_id)
    if not model.usable_by(context.account_id) or not context.allows_model(model_id):
        raise errors.model_not_allowed(model_id)
    return model


async def forward_call(request: Request, send, endpoint: str, prepare=None) -> None:
    """POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/messages,
    /v1/responses and Gemini's generateContent: check, hold, forward (or translate), then
    record the usage and charge.

    `prepare(call, raw)` reads the body into the call (`body`, `model_id`, `model`, `stream`);
    by default the OpenAI/Anthropic way, where the body names the model."""
    context = await authenticate(request)
    call = Call(
        request=request, context=context, endpoint=endpoint, client_protocol=request.protocol
    )
    try:
        raw = await request.body(settings.PROXY_MAX_BODY_BYTES)
        call.body_size = len(raw)
        await (prepare or prepare_call)(call, raw)
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
        fields = usage_fields(call)
        await recording.save(fields)
        await finish_call(call, fields["cost_micros"])


async def prepare_call(call: Call, raw: bytes) -> None:
    """The body of an OpenAI or Anthropic request, its model and its price."""
    endpoint, context = call.endpoint, call.context
    body = parse_body(raw, endpoint)
    if endpoint == "responses" and body.get("previous_response_id"):
        await conversations.expand(context.account_id, body)
        call.body_size = len(orjson.dumps(body))  # the hold covers the whole conversation
    call.model_id = body["model"]
    call.model = resolve_model(await catalog.current(), context, call.model_id)
    call.price = call.model.price_at(catalog.now())
    if endpoint == "messages" and not isinstance(body.get("max_tokens"), int):
        body["max_tokens"] = call.model.max_output_tokens  # required by Anthropic
        call.cap_defaulted = True  # ours, not the client's: may be lowered to fit credit
    call.body = body
    call.stream = endpoint in STREAMABLE and body.get("stream") is True
    options = body.get("stream_options")
    call.client_wants_usage = isinstance(options, dict) and options.get("include_usage") is True


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


def model_object(model: catalog.CatalogModel) -> dict:
    return {"id": model.id, "object": "model", "created": model.created, "owned_by": "tollgate"}


def anthropic_model_object(model: catalog.CatalogModel) -> dict:
    created = datetime.fromtimestamp(model.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "type": "model",
        "id": model.id,
        "display_name": model.display_name,
        "created_at": created,
    }


async def list_models(request: Request, send) -> None:
    """GET /v1/models: the models this key may use, in Anthropic's shape for Anthropic clients
    (they send `anthropic-version`)."""
    context = await authenticate(request)
    snapshot = await catalog.current()
    models = catalog.models_for(snapshot, context.account_id, context.allowed_models)
    if request.protocol == "anthropic":
        data = [anthropic_model_object(m) for m in models]
        payload = {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
    else:
        payload = {"object": "list", "data": [model_object(m) for m in models]}
    await send_json(send, 200, payload, request.request_id)


async def get_model(request: Request, send, model_id: str) -> None:
    """GET /v1/models/{id}."""
    context = await authenticate(request)
    model = resolve_model(await catalog.current(), context, model_id)
    render = anthropic_model_object if request.protocol == "anthropic" else model_object
    await send_json(send, 200, render(model), request.request_id)


def find_record(account_id: int, request_id: str) -> dict | None:
    from usage.models import UsageRecord

    record = UsageRecord.objects.filter(account_id=account_id, request_id=request_id).first()
    if record is None:
        return None
    whole, frac = divmod(record.cost_micros, 1_000_000)
    return {
        "id": record.request_id,
        "object": "tollgate.request",
        "created_at": record.created_at.isoformat(),
        "model": record.model,
        "endpoint": record.endpoint,
        "protocol": record.client_protocol,
        "stream": record.stream,
        "status": record.status_code,
        "error_type": record.error_type or None,
        "usage": {
            "input_tokens": record.input_tokens,
            "output_tokens": record.output_tokens,
            "cached_tokens": record.cached_tokens,
            "reasoning_tokens": record.reasoning_tokens,
            "estimated": record.usage_estimated,
            "units": record.units,
            "unit_kind": record.unit_kind or None,
        },
        "cost_micros": record.cost_micros,
        "cost_usd": f"{whole}.{frac:06d}",
        "latency_ms": record.latency_ms,
        "ttfb_ms": record.ttfb_ms,
        "settled": record.settled,
    }


async def get_request(request: Request, send, request_id: str) -> None:
    """GET /v1/requests/{request_id}: usage, cost and timings of one request of this account."""
    context = await authenticate(request)
    found = await sync_to_async(find_record)(context.account_id, request_id)
    if found is None:
        raise ApiError(
            404,
            "not_found_error",
            "request_not_found",
            f"No request '{request_id}' in this account (yet: records are written just after "
            "the response ends).",
        )
    await send_json(send, 200, found, request.request_id)


async def chat(request: Request, send) -> None:
    await forward_call(request, send, "chat")


async def completions(request: Request, send) -> None:
    await forward_call(request, send, "completions")


async def embeddings(request: Request, send) -> None:
    await forward_call(request, send, "embeddings")


async def messages(request: Request, send) -> None:
    await forward_call(request, send, "messages")


async def responses(request: Request, send) -> None:
    """POST /v1/responses: relayed to OpenAI routes, translated for the others (which keep
    the conversation when asked: proxy/conversations.py)."""
    await forward_call(request, send, "responses")


async def responses_websocket(request: Request, send) -> None:
    """GET /v1/responses: Codex probes for a WebSocket first; 426 sends it to HTTP at once
    (a 404 or 405 makes it retry the WebSocket for seconds)."""
    if request.headers.get("upgrade", "").lower() == "websocket":
        raise errors.websocket_not_supported()
    raise errors.method_not_allowed("GET", request.path, "POST")


async def count_tokens(request: Request, send) -> None:
    """POST /v1/messages/count_tokens: free and not rate-limited, like Anthropic's."""
    from proxy.token_counting import count_input_tokens

    context = await authenticate(request)
    body = parse_body(await request.body(settings.PROXY_MAX_BODY_BYTES), "count_tokens")
    model = resolve_model(await catalog.current(), context, body["model"])
    payload = await count_input_tokens(request, model, body)
    await send_json(send, 200, payload, request.request_id)


EXACT = {
    "/v1/chat/completions": {"POST": chat},
    "/v1/completions": {"POST": completions},
    "/v1/embeddings": {"POST": embeddings},
    "/v1/models": {"GET": list_models},
    "/v1/messages": {"POST": messages},
    "/v1/messages/count_tokens": {"POST": count_tokens},
    "/v1/responses": {"POST": responses, "GET": responses_websocket},
    "/v1/images/generations": {"POST": media.images},
    "/v1/audio/transcriptions": {"POST": media.transcriptions},
    "/v1/audio/speech": {"POST": media.speech},
}
PREFIXED = (
    ("/v1/models/", {"GET": get_model}),
    ("/v1/requests/", {"GET": get_request}),
    (
        "/v1/responses/",
        {"GET": responses_endpoints.get_response, "DELETE": responses_endpoints.delete_response},
    ),
)


def resolve(method: str, path: str):
    """(handler, path argument or None) for a request; ApiError 404/405 otherwise."""
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    methods = EXACT.get(path)
    argument = None
    if methods is None:
        for prefix, candidates in PREFIXED:
            if path.startswith(prefix) and len(path) > len(prefix):
                methods, argument = candidates, path[len(prefix) :]
                break
    if methods is None:
        raise errors.unknown_endpoint(method, path)
    handler = methods.get(method)
    if handler is None:
        raise errors.method_not_allowed(method, path, ", ".join(methods))
    return handler, argument


def client_protocol(request: Request) -> str:
    """The protocol the client speaks, from the path (and for model lists, its headers)."""
    if request.path.startswith("/v1/messages"):
        return "anthropic"
    if request.path.startswith("/v1/responses"):
        return "responses"
    if request.path.startswith("/v1/models") and "anthropic-version" in request.headers:
        return "anthropic"
    return "openai"


async def dispatch(request: Request, send) -> None:
    request.protocol = client_protocol(request)
    handler, argument = resolve(request.method, request.path)
    if argument is None:
        await handler(request, send)
    else:
        await handler(request, send, argument)


__all__ = ["dispatch", "send_error"]
