"""Responses conversations kept by Tollgate, so that `previous_response_id` works on routes
whose provider stores nothing (every translated route).

Kept only when the client asks with `store: true` (gateways default to false, and Codex sends
false with the whole history each turn), for KEEP_S, under the account: another account's id is
simply not found. What is kept is the conversation as items: the request's input (with its own
previous items) and the answer's output, with the answer itself for GET /v1/responses/{id}.
`instructions` are not carried over, as at OpenAI.

Models routed to OpenAI keep their responses there; `previous_response_id` is relayed as it
is. Only which route created such an id is kept here (for KEEP_S, under the account), so that
GET and DELETE /v1/responses/{id} reach the provider that has it.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

log = logging.getLogger(__name__)

KEEP_S = 3600


def _key(account_id: int, response_id: str) -> str:
    return f"tollgate:responses:{account_id}:{response_id}"


def _route_key(account_id: int, response_id: str) -> str:
    return f"tollgate:responses:{account_id}:{response_id}:route"


def _items(kept) -> list:
    """The conversation of a kept response: its input items, then its output."""
    if isinstance(kept, list):  # kept before the answer itself was
        return kept
    return kept["input"] + [i for i in kept["response"].get("output") or [] if isinstance(i, dict)]


def input_items(body: dict) -> list:
    items = body.get("input")
    if isinstance(items, str):
        return [{"type": "message", "role": "user", "content": items}]
    return list(items) if isinstance(items, list) else []


async def expand(account_id: int, body: dict) -> None:
    """Replace a `previous_response_id` kept here by the items it stands for."""
    previous = body.get("previous_response_id")
    if not isinstance(previous, str) or not previous:
        return
    kept = await cache.aget(_key(account_id, previous))
    if kept is None:
        return  # OpenAI's own id, or expired: translated routes answer 400
    del body["previous_response_id"]
    body["input"] = _items(kept) + input_items(body)


async def keep(account_id: int, body: dict, response: dict) -> None:
    """Keep the conversation that ends with `response` (a Responses `response` object), if
    the client asked for it with `store: true`."""
    if body.get("store") is not True or not isinstance(response.get("id"), str):
        return
    kept = {"input": input_items(body), "response": response}
    try:
        await cache.aset(_key(account_id, response["id"]), kept, KEEP_S)
    except Exception:  # the answer is good either way; only its continuation is lost
        log.exception("could not keep response %s", response["id"])


async def find(account_id: int, response_id: str) -> dict | None:
    """The kept response `{"input": [...], "response": {...}}` of this account, or None."""
    kept = await cache.aget(_key(account_id, response_id))
    return kept if isinstance(kept, dict) else None


async def forget(account_id: int, response_id: str) -> bool:
    """Delete a kept response of this account; False when there was none."""
    return bool(await cache.adelete(_key(account_id, response_id)))


async def remember_route(account_id: int, body: dict, response_id: str, route_id: int) -> None:
    """Note that `route_id` (relayed to OpenAI) created `response_id`, unless the client sent
    `store: false` (then the provider keeps nothing either)."""
    if body.get("store") is False:
        return
    try:
        await cache.aset(_route_key(account_id, response_id), route_id, KEEP_S)
    except Exception:  # only GET/DELETE of this id are lost
        log.exception("could not note the route of response %s", response_id)


async def route_of(account_id: int, response_id: str) -> int | None:
    """The route that created this account's `response_id`, if noted."""
    route_id = await cache.aget(_route_key(account_id, response_id))
    return route_id if isinstance(route_id, int) else None


async def forget_route(account_id: int, response_id: str) -> None:
    await cache.adelete(_route_key(account_id, response_id))
