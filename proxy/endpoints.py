"""The /v1 endpoints: thin handlers that parse, check and hand over to forwarding."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings

from proxy import catalog, conversations, errors, media, responses_endpoints
from proxy.auth import authenticate
from proxy.calls import forward_call, resolve_model
from proxy.embeddings import Embeddings
from proxy.errors import ApiError
from proxy.forwarding import Call
from proxy.http import Request, json_object, send_error, send_json

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
    body = json_object(raw)
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


async def prepare_call(call: Call) -> None:
    """The body of an OpenAI or Anthropic request, its model and its price."""
    endpoint, context = call.endpoint, call.context
    raw = await call.request.body(settings.PROXY_MAX_BODY_BYTES)
    call.body_size = len(raw)
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
    await forward_call(request, send, "chat", prepare_call)


async def completions(request: Request, send) -> None:
    await forward_call(request, send, "completions", prepare_call)


async def prepare_embeddings(call: Call) -> None:
    await prepare_call(call)
    call.adapter = Embeddings()


async def embeddings(request: Request, send) -> None:
    """POST /v1/embeddings: relayed to OpenAI-protocol routes, translated for Gemini ones
    (proxy/embeddings.py)."""
    await forward_call(request, send, "embeddings", prepare_embeddings)


async def messages(request: Request, send) -> None:
    await forward_call(request, send, "messages", prepare_call)


async def responses(request: Request, send) -> None:
    """POST /v1/responses: relayed to OpenAI routes, translated for the others (which keep
    the conversation when asked: proxy/conversations.py)."""
    await forward_call(request, send, "responses", prepare_call)


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
