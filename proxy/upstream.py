"""The one pooled HTTP client of this process, and the response type every provider returns."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx

_client: httpx.AsyncClient | None = None
_loop: asyncio.AbstractEventLoop | None = None


def client() -> httpx.AsyncClient:
    """The process's shared AsyncClient (keep-alive pool), created on first use.

    Pooled connections belong to one event loop; a server has one, tests start several.
    """
    global _client, _loop
    loop = asyncio.get_running_loop()
    if _client is None or _client.is_closed or _loop is not loop:
        _loop = loop
        _client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=200),
            follow_redirects=False,
            trust_env=False,
        )
    return _client


async def close_client() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None


class UpstreamUnavailable(Exception):
    """The upstream could not be reached or did not answer in time (worth another route)."""

    def __init__(self, reason: str, *, timeout: bool = False) -> None:
        super().__init__(reason)
        self.timeout = timeout


@dataclass
class UpstreamResponse:
    """Status, headers and the body as an async iterator of byte chunks."""

    status: int
    headers: dict[str, str]
    chunks: AsyncIterator[bytes]
    close: object = field(default=None, repr=False)  # async callable releasing the connection

    @property
    def request_id(self) -> str:
        return self.headers.get("x-request-id") or self.headers.get("request-id") or ""

    async def read(self) -> bytes:
        parts = [chunk async for chunk in self.chunks]
        return b"".join(parts)

    async def aclose(self) -> None:
        if self.close is not None:
            await self.close()
