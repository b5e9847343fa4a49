"""The Gemini API's endpoints (../shared/protocols/gemini.md): generateContent,
streamGenerateContent, countTokens, embedContent, batchEmbedContents and the model list, under
/v1beta and under /v1 (where google-genai 3.x calls them by default).

The model is part of the path (`/v1beta/models/{model}:{method}`), so the body is checked here
and then handed to the same forwarding as every other call: relayed to Gemini routes, translated
for the others (proxy/protocols/gemini/).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings

from proxy import catalog, errors
from proxy.auth import authenticate
from proxy.calls import forward_call, resolve_model
from proxy.embeddings import Embeddings
from proxy.forwarding import Call
from proxy.gemini_framing import JsonArraySend
from proxy.http import Request, json_object, send_json
from proxy.protocols import get_protocol

PREFIXES = ("/v1beta/models", "/v1/models")
GEMINI_CLIENT_HEADERS = ("x-goog-api-key", "x-goog-api-client")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def is_gemini(path: str, headers: dict[str, str]) -> bool:
    """Whether a request is for the Gemini API: anything under /v1beta, a `:method` on a model
    under /v1/models, and the model list or a model asked for by a Gemini client."""
    if path.startswith("/v1beta"):
        return True
    if not path.startswith("/v1/models"):
        return False
    if ":" in path:
        return True
    return any(name in headers for name in GEMINI_CLIENT_HEADERS)


def model_object(model: catalog.CatalogModel) -> dict:
    return {
        "name": f"models/{model.id}",
        "baseModelId": model.id,
        "version": "001",
        "displayName": model.display_name,
        "description": model.description,
        "inputTokenLimit": model.context_window or 0,
        "outputTokenLimit": model.max_output_tokens,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    }


async def list_models(request: Request, send) -> None:
    """GET /v1beta/models: the models this key may use, `pageSize` at a time."""
    context = await authenticate(request)
    snapshot = await catalog.current()
    models = catalog.models_for(snapshot, context.account_id, context.allowed_models)
    size = _page_size(request.query.get("pageSize") or request.query.get("page_size"))
    token = request.query.get("pageToken") or request.query.get("page_token") or "0"
    if not token.isdigit():
        raise errors.bad_request("'pageToken' is not one this server gave out.", "pageToken")
    start = int(token)
    payload: dict = {"models": [model_object(m) for m in models[start : start + size]]}
    if start + size < len(models):
        payload["nextPageToken"] = str(start + size)
    await send_json(send, 200, payload, request.request_id)


def _page_size(value: str | None) -> int:
    if not value:
        return DEFAULT_PAGE_SIZE
    if not value.isdigit() or int(value) < 1:
        raise errors.bad_request("'pageSize' must be a positive integer.", "pageSize")
    return min(int(value), MAX_PAGE_SIZE)


async def get_model(request: Request, send, model_id: str) -> None:
    """GET /v1beta/models/{model}."""
    context = await authenticate(request)
    model = resolve_model(await catalog.current(), context, model_id)
    await send_json(send, 200, model_object(model), request.request_id)


def parse_body(raw: bytes) -> dict:
    """A generateContent body: a JSON object with a non-empty `contents` list."""
    body = json_object(raw)
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise errors.bad_request(
            "'contents' is required: a non-empty array of {role, parts}.", "contents"
        )
    return body


async def read_call(call: Call, model_id: str, parse: Callable[[bytes], dict]) -> None:
    """The body (`parse` checks it), the model named in the URL and its price."""
    raw = await call.request.body(settings.PROXY_MAX_BODY_BYTES)
    call.body_size = len(raw)
    call.body = parse(raw)
    call.model_id = model_id
    call.model = resolve_model(await catalog.current(), call.context, model_id)
    call.price = call.model.price_at(catalog.now())


async def prepare_generate(call: Call, model_id: str, stream: bool) -> None:
    await read_call(call, model_id, parse_body)
    call.stream = stream
    call.client_wants_usage = True  # every Gemini chunk may carry usageMetadata


async def generate(request: Request, send, model_id: str, stream: bool) -> None:
    """POST …:generateContent and …:streamGenerateContent. A stream is SSE with `alt=sse`
    (what the SDKs ask for), else one JSON array sent element by element."""
    if stream and request.query.get("alt") != "sse":
        send = JsonArraySend(send)
    prepare = functools.partial(prepare_generate, model_id=model_id, stream=stream)
    await forward_call(request, send, "generate", prepare)


async def prepare_embed(call: Call, model_id: str) -> None:
    """An embedContent or batchEmbedContents body, checked (400 for what no route takes)."""
    await read_call(call, model_id, json_object)
    parse = get_protocol("gemini").parse_embeddings_request
    call.adapter = Embeddings(parse(call.body, call.endpoint, model_id))


async def embed(request: Request, send, model_id: str, endpoint: str) -> None:
    """POST …:embedContent and …:batchEmbedContents: relayed to Gemini routes, translated to
    `/embeddings` for OpenAI-protocol ones (proxy/embeddings.py)."""
    prepare = functools.partial(prepare_embed, model_id=model_id)
    await forward_call(request, send, endpoint, prepare)


async def count_tokens(request: Request, send, model_id: str) -> None:
    """POST …:countTokens: free, as at Google; asked of a Gemini route, else estimated."""
    from proxy.token_counting import count_input_tokens

    context = await authenticate(request)
    body = json_object(await request.body(settings.PROXY_MAX_BODY_BYTES))
    if not isinstance(body.get("contents"), list) and not isinstance(
        body.get("generateContentRequest") or body.get("generate_content_request"), dict
    ):
        raise errors.bad_request(
            "Send 'contents' or 'generateContentRequest' to count.", "contents"
        )
    model = resolve_model(await catalog.current(), context, model_id)
    payload = await count_input_tokens(request, model, body, "gemini")
    await send_json(send, 200, payload, request.request_id)


METHODS = {
    "generateContent": functools.partial(generate, stream=False),
    "streamGenerateContent": functools.partial(generate, stream=True),
    "countTokens": count_tokens,
    "embedContent": functools.partial(embed, endpoint="embed_content"),
    "batchEmbedContents": functools.partial(embed, endpoint="batch_embed_contents"),
}


def resolve(method: str, path: str):
    """(handler, model id or None) for a Gemini request; ApiError 404/405 otherwise."""
    path = path.rstrip("/")
    prefix = next((p for p in PREFIXES if path == p or path.startswith(p + "/")), None)
    if prefix is None:
        raise errors.unknown_endpoint(method, path)
    rest = path[len(prefix) + 1 :]
    model_id, _, action = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if not action:
        handler = get_model if model_id else list_models
        if method != "GET":
            raise errors.method_not_allowed(method, path, "GET")
        return handler, model_id or None
    handler = METHODS.get(action)
    if handler is None or not model_id:
        raise errors.ApiError(
            404,
            "not_found_error",
            "unknown_endpoint",
            f"Unknown method '{action}' on {path}. Tollgate serves {', '.join(METHODS)}.",
        )
    if method != "POST":
        raise errors.method_not_allowed(method, path, "POST")
    return handler, model_id


async def dispatch(request: Request, send) -> None:
    request.protocol = "gemini"
    handler, argument = resolve(request.method, request.path)
    if argument is None:
        await handler(request, send)
    else:
        await handler(request, send, argument)
