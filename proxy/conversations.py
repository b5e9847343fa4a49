"""Responses conversations kept by Tollgate, so that `previous_response_id` works on routes
whose provider stores nothing (every translated route).

Kept only when the client asks with `store: true` (gateways default to false, and Codex sends
false with the whole history each turn), for KEEP_S, under the account: another account's id is
simply not found. What is kept is the conversation as items: the request's input (with its own
previous items) and the answer's output. `instructions` are not carried over, as at OpenAI.
Models routed to OpenAI keep their conversations there; their ids are not known here and are
relayed as they are.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

log = logging.getLogger(__name__)

KEEP_S = 3600


def _key(account_id: int, response_id: str) -> str:
    return f"tollgate:responses:{account_id}:{response_id}"


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
    items = await cache.aget(_key(account_id, previous))
    if items is None:
        return  # OpenAI's own id, or expired: translated routes answer 400
    del body["previous_response_id"]
    body["input"] = items + input_items(body)


async def keep(account_id: int, body: dict, response: dict) -> None:
    """Keep the conversation that ends with `response` (a Responses `response` object), if
    the client asked for it with `store: true`."""
    if body.get("store") is not True or not isinstance(response.get("id"), str):
        return
    output = [item for item in response.get("output") or [] if isinstance(item, dict)]
    try:
        await cache.aset(_key(account_id, response["id"]), input_items(body) + output, KEEP_S)
    except Exception:  # the answer is good either way; only its continuation is lost
        log.exception("could not keep response %s", response["id"])
