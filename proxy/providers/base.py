"""What every provider is: transport for one wire protocol."""

from __future__ import annotations

import asyncio

import httpx

from proxy.catalog import ProviderConfig
from proxy.upstream import UpstreamResponse, UpstreamUnavailable, client


class Provider:
    """A provider knows its URL, auth headers, protocol and framing; never the client's protocol."""

    protocol: str = "openai"
    #: endpoint name -> path below the base URL
    paths: dict[str, str] = {}
    #: other client protocols whose requests this provider takes as they are (relayed)
    relays: tuple[str, ...] = ()
    #: whether OpenAI-style streams may carry `stream_options.include_usage`
    supports_stream_usage: bool = True
    #: client request headers passed on when the client speaks this provider's protocol
    forwarded_client_headers: tuple[str, ...] = ()
    #: whether the upstream model goes in the body's `model` (else the URL carries it: Gemini)
    model_in_body: bool = True

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def supports(self, endpoint: str) -> bool:
        return endpoint in self.paths

    def speaks(self, client_protocol: str) -> bool:
        """Whether a client of `client_protocol` is relayed, not translated."""
        return client_protocol == self.protocol or client_protocol in self.relays

    def auth_headers(self) -> dict[str, str]:
        return {}

    def adjust_translated(self, body: dict) -> dict:
        """A request translated into this provider's protocol, adjusted to what this provider
        accepts (the protocol modules render what every server of the protocol takes)."""
        return body

    async def send(
        self,
        endpoint: str,
        body: bytes,
        *,
        stream: bool,
        headers: dict | None = None,
        model: str = "",
    ) -> UpstreamResponse:
        """POST `body` to `endpoint`; `headers` are the client's own to pass on (see
        `forwarded_client_headers`); `model` is the upstream model, for URLs that name it."""
        raise NotImplementedError


class HttpProvider(Provider):
    """A provider reached over HTTP with the process's pooled client."""

    default_base_url = ""

    def url(self, endpoint: str, model: str = "", stream: bool = False) -> str:
        return (self.config.base_url or self.default_base_url).rstrip("/") + self.paths[endpoint]

    def headers(self, client_headers: dict | None = None) -> dict[str, str]:
        headers = {"content-type": "application/json", "accept": "application/json"}
        headers.update(self.auth_headers())
        if client_headers:
            headers.update(client_headers)
        headers.update(dict(self.config.extra_headers))
        return headers

    async def send(
        self,
        endpoint: str,
        body: bytes,
        *,
        stream: bool,
        headers: dict | None = None,
        model: str = "",
    ) -> UpstreamResponse:
        """POST `body`; return once the response headers arrived (the first byte).

        Connection errors and a first byte later than `first_byte_timeout_s` raise
        UpstreamUnavailable; between later chunks `read_timeout_s` applies.
        """
        config = self.config
        http = client()
        request = http.build_request(
            "POST",
            self.url(endpoint, model, stream),
            content=body,
            headers=self.headers(headers),
            timeout=httpx.Timeout(
                connect=config.connect_timeout_s,
                read=config.read_timeout_s,
                write=config.read_timeout_s,
                pool=config.connect_timeout_s,
            ),
        )
        try:
            response = await asyncio.wait_for(
                http.send(request, stream=True), timeout=config.first_byte_timeout_s
            )
        except TimeoutError:
            raise UpstreamUnavailable(
                "no response before the first-byte timeout", timeout=True
            ) from None
        except httpx.TimeoutException as exc:
            raise UpstreamUnavailable(f"timed out: {type(exc).__name__}", timeout=True) from None
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"connection failed: {type(exc).__name__}") from None
        return UpstreamResponse(
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            chunks=response.aiter_bytes(),
            close=response.aclose,
        )

    async def request(self, method: str, path: str, query: str = "") -> tuple[int, bytes]:
        """`method` (GET or DELETE, no body) on `path` below the base URL, for objects the
        provider keeps (a stored response): the status and the whole body.

        Connection errors and timeouts raise UpstreamUnavailable, as in `send`."""
        config = self.config
        url = (config.base_url or self.default_base_url).rstrip("/") + path
        if query:
            url += "?" + query
        headers = self.headers()
        headers.pop("content-type", None)
        timeout = httpx.Timeout(
            connect=config.connect_timeout_s,
            read=config.first_byte_timeout_s + config.read_timeout_s,
            write=config.read_timeout_s,
            pool=config.connect_timeout_s,
        )
        try:
            response = await client().request(method, url, headers=headers, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise UpstreamUnavailable(f"timed out: {type(exc).__name__}", timeout=True) from None
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"connection failed: {type(exc).__name__}") from None
        return response.status_code, response.content
