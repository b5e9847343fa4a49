"""The /v1 and /v1beta ASGI application: no Django middleware on this path."""

from __future__ import annotations

import logging
import uuid

from proxy import errors, routes
from proxy.errors import ApiError
from proxy.http import ClientGone, Request, send_error

log = logging.getLogger("proxy")


async def application(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    request = Request(scope, receive, f"req_{uuid.uuid4().hex}")
    started = False

    async def tracked_send(message: dict) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    try:
        await routes.dispatch(request, tracked_send)
    except ApiError as error:
        if not started:
            await send_error(send, error, request.request_id, request.protocol)
    except ClientGone:
        return
    except Exception:
        log.exception(
            "unhandled error in %s %s (request %s)",
            request.method,
            request.path,
            request.request_id,
        )
        if not started:
            await send_error(send, errors.internal_error(), request.request_id, request.protocol)


async def refuse_websocket(scope, receive, send) -> None:
    """A WebSocket handshake (Codex probes GET /v1/responses when the server upgrades it):
    answered 426 where the server lets an app answer a handshake over HTTP, else closed.
    Either way Codex falls back to POST."""
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    request_id = f"req_{uuid.uuid4().hex}"
    status, body, _ = refusal_body(request_id)
    await send(
        {
            "type": "websocket.http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "websocket.http.response.body", "body": body})


def refusal_body(request_id: str) -> tuple:
    from proxy.protocols import get_protocol

    return get_protocol("responses").render_error(errors.websocket_not_supported(), request_id)
