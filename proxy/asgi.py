"""The /v1 and /v1beta ASGI application: no Django middleware on this path."""

from __future__ import annotations

import logging
import uuid

from proxy import endpoints, errors
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
        await endpoints.dispatch(request, tracked_send)
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
