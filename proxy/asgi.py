"""The /v1 and /v1beta ASGI application (no Django middleware on this path)."""

from __future__ import annotations

import uuid

from proxy.errors import ApiError, unknown_endpoint


async def send_error(send, error: ApiError, request_id: str) -> None:
    body = error.openai_body()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
        *error.headers,
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def application(scope, receive, send) -> None:
    request_id = f"req_{uuid.uuid4().hex}"
    await send_error(send, unknown_endpoint(scope.get("method", "GET"), scope["path"]), request_id)
