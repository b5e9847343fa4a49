"""GET and DELETE /v1/responses/{id}, and GET /v1/responses/{id}/input_items.

A response of a translated route is kept by Tollgate when it was created with `store: true`
(proxy/conversations.py); a response of a route relayed to OpenAI lives at the provider, and
the request goes to the route that created it. Both are looked up under the caller's account
only: another account's id is not found. Nothing here is charged or rate-limited.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode

from proxy import catalog, conversations, errors
from proxy.auth import authenticate
from proxy.catalog import RoutePlan
from proxy.errors import ApiError
from proxy.forwarding import RELAYED_CLIENT_ERRORS
from proxy.http import Request, send_bytes, send_json
from proxy.providers import UnknownProvider, get_provider
from proxy.upstream import UpstreamUnavailable

RESPONSE_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")
# Query parameters never relayed: a stream replay is not relayed, and `key` is the caller's
# Tollgate key when it authenticates that way.
UNRELAYED_QUERY = frozenset({"stream", "key"})


def response_not_found(response_id: str) -> ApiError:
    return ApiError(
        404,
        "not_found_error",
        "response_not_found",
        f"No response '{response_id[:200]}' in this account. Tollgate keeps a response for an "
        "hour when it was created with store=true (models routed to OpenAI: when store was "
        "not false).",
        param="response_id",
    )


def parse_argument(request: Request, argument: str) -> tuple[str, str]:
    """(response id, "" or "input_items") from the path after /v1/responses/."""
    response_id, _, rest = argument.partition("/")
    if rest and rest != "input_items":
        raise errors.unknown_endpoint(request.method, request.path)
    if rest and request.method != "GET":
        raise errors.method_not_allowed(request.method, request.path, "GET")
    if not RESPONSE_ID.fullmatch(response_id):
        raise response_not_found(response_id)
    return response_id, rest


async def get_response(request: Request, send, argument: str) -> None:
    """GET /v1/responses/{id} (the response object) and .../input_items (its input)."""
    context = await authenticate(request)
    response_id, rest = parse_argument(request, argument)
    kept = await conversations.find(context.account_id, response_id)
    if kept is None:
        await relay_to_creator(request, send, context.account_id, response_id, rest)
    elif rest:
        await send_json(send, 200, input_items_page(kept["input"], request), request.request_id)
    else:
        await send_json(send, 200, kept["response"], request.request_id)


async def delete_response(request: Request, send, argument: str) -> None:
    """DELETE /v1/responses/{id}: `{"id", "object": "response", "deleted": true}`."""
    context = await authenticate(request)
    response_id, _ = parse_argument(request, argument)
    if await conversations.forget(context.account_id, response_id):
        deleted = {"id": response_id, "object": "response", "deleted": True}
        await send_json(send, 200, deleted, request.request_id)
        return
    await relay_to_creator(request, send, context.account_id, response_id, "")


def input_items_page(items: list, request: Request) -> dict:
    """All the input items at once (`order` as at OpenAI: "desc" unless "asc" is asked)."""
    data = list(items) if request.query.get("order") == "asc" else list(reversed(items))
    ids = [item.get("id") for item in data if isinstance(item, dict)]
    return {
        "object": "list",
        "data": data,
        "first_id": ids[0] if ids else None,
        "last_id": ids[-1] if ids else None,
        "has_more": False,
    }


def find_route(snapshot: catalog.Snapshot, route_id: int) -> RoutePlan | None:
    for model in snapshot.models.values():
        for route in model.routes:
            if route.id == route_id:
                return route
    return None


async def relay_to_creator(
    request: Request, send, account_id: int, response_id: str, rest: str
) -> None:
    """The request, relayed to the route that created `response_id` (404 when none did)."""
    route_id = await conversations.route_of(account_id, response_id)
    route = find_route(await catalog.current(), route_id) if route_id is not None else None
    try:
        provider = get_provider(route.provider) if route is not None else None
    except UnknownProvider:
        provider = None
    if provider is None or not hasattr(provider, "request"):
        raise response_not_found(response_id)
    path = f"/responses/{quote(response_id, safe='')}" + (f"/{rest}" if rest else "")
    try:
        status, body = await provider.request(request.method, path, relayed_query(request))
    except UpstreamUnavailable as exc:
        failure = errors.upstream_timeout() if exc.timeout else errors.upstream_error(str(exc))
        raise failure from None
    if status == 404:
        await conversations.forget_route(account_id, response_id)
        raise response_not_found(response_id)
    if status in RELAYED_CLIENT_ERRORS:
        raise errors.from_upstream(status, body)
    if status >= 300:
        raise errors.upstream_error(f"HTTP {status}")
    if request.method == "DELETE":
        await conversations.forget_route(account_id, response_id)
    await send_bytes(send, status, body, request.request_id)


def relayed_query(request: Request) -> str:
    """The client's query (`include`, `limit`, ...) without UNRELAYED_QUERY."""
    raw = request.scope.get("query_string", b"").decode("latin-1")
    pairs = parse_qsl(raw, keep_blank_values=True)
    return urlencode([(name, value) for name, value in pairs if name not in UNRELAYED_QUERY])
