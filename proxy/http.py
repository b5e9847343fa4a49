"""The ASGI request and response primitives of the proxy (no framework on this path)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

import orjson

from proxy.errors import ApiError, request_too_large


class Request:
    """One HTTP request: method, path, lower-cased headers, query, and the body on demand."""

    __slots__ = (
        "_query",
        "headers",
        "method",
        "path",
        "protocol",
        "receive",
        "request_id",
        "scope",
    )

    def __init__(self, scope: dict, receive, request_id: str) -> None:
        self.scope = scope
        self.receive = receive
        self.request_id = request_id
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.headers: dict[str, str] = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
        }
        self._query: dict[str, str] | None = None
        self.protocol = "openai"  # the client protocol: errors are rendered in its shape

    @property
    def query(self) -> dict[str, str]:
        if self._query is None:
            self._query = dict(parse_qsl(self.scope.get("query_string", b"").decode("latin-1")))
        return self._query

    def client_ip(self, trust_forwarded: bool) -> str:
        """The peer's address; with a trusted proxy in front, the last X-Forwarded-For hop."""
        if trust_forwarded:
            forwarded = self.headers.get("x-forwarded-for", "")
            if forwarded:
                return forwarded.split(",")[-1].strip()
        client = self.scope.get("client")
        return client[0] if client else ""

    async def body(self, limit: int) -> bytes:
        """The whole body; ApiError 413 as soon as it exceeds `limit` bytes."""
        parts = [chunk async for chunk in self.chunks(limit)]
        return b"".join(parts) if len(parts) != 1 else parts[0]

    async def chunks(self, limit: int) -> AsyncIterator[bytes]:
        """The body as it arrives; ApiError 413 as soon as it exceeds `limit` bytes (or says it
        will), ClientGone when the client disconnects."""
        declared = self.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise request_too_large(limit)
        size = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientGone()
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise request_too_large(limit)
                yield chunk
            if not message.get("more_body", False):
                return


def json_object(raw: bytes) -> dict:
    """The request body as a JSON object; ApiError 400 saying what is wrong otherwise."""
    from proxy.errors import bad_request

    if not raw.strip():
        raise bad_request("The request body is empty; send a JSON object.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


class ClientGone(Exception):
    """The client closed the connection."""


def base_headers(request_id: str, content_type: bytes = b"application/json") -> list:
    return [(b"content-type", content_type), (b"x-request-id", request_id.encode())]


async def send_bytes(
    send,
    status: int,
    body: bytes,
    request_id: str,
    *,
    content_type: bytes = b"application/json",
    extra: list | tuple = (),
) -> None:
    headers = base_headers(request_id, content_type)
    headers.append((b"content-length", str(len(body)).encode()))
    headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_json(send, status: int, payload, request_id: str, extra: list | tuple = ()) -> None:
    await send_bytes(send, status, orjson.dumps(payload), request_id, extra=extra)


async def send_error(send, error: ApiError, request_id: str, protocol: str = "openai") -> None:
    """`error` in the shape of the client's `protocol`, with the contract's headers."""
    from proxy.errors import contract_headers
    from proxy.protocols import get_protocol

    status, body, headers = get_protocol(protocol).render_error(error, request_id)
    extra = contract_headers(ApiError(status, error.type, error.code, "", headers=headers))
    await send_bytes(send, status, body, request_id, extra=extra)
