"""Embeddings calls: OpenAI's `POST /v1/embeddings` and Gemini's `:embedContent` and
`:batchEmbedContents`, served by routes of either protocol (conversion.md §13).

An `Embeddings` adapter on the call (`Call.adapter`) sends each route its body and relays its
answer. Same protocol on both sides: the client's body goes upstream with only the model
renamed, and the answer comes back as it is (OpenAI's through `relay_json`, like any relayed
call). Different protocols: the request and the answer are translated through the canonical
form (`proxy/protocols/<protocol>/embeddings.py`); an OpenAI client is sent to Gemini's
`:batchEmbedContents`, a Gemini client to OpenAI's `/embeddings`. Anthropic has no embeddings:
its routes are skipped (`forwarding.upstream_endpoint`).

Metering: OpenAI answers report their usage. Gemini's report none: the input is estimated
from the texts (the usage record says so), and there is no output.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from proxy import errors
from proxy.canonical import EmbeddingsRequest, EmbeddingsResponse, Usage
from proxy.errors import ApiError
from proxy.forwarding import Call, upstream_body
from proxy.metering import estimate_text_tokens
from proxy.protocols import get_protocol
from proxy.providers import get_provider
from proxy.relay import read_answer, relay_json, send_answer
from proxy.upstream import UpstreamResponse


@dataclass
class Embeddings:
    """How an embeddings call is sent to a route and its answer relayed."""

    request: EmbeddingsRequest | None = None  # the client's body parsed, once needed

    def parsed(self, call: Call) -> EmbeddingsRequest:
        """The client's request in the canonical form (ApiError 400 for what cannot cross)."""
        if self.request is None:
            self.request = get_protocol(call.client_protocol).parse_embeddings_request(
                call.body, call.endpoint, call.model_id
            )
        return self.request

    def payload(self, call: Call, route, provider) -> tuple[bytes, dict]:
        """(body, headers) for `route`: the client's body for its own protocol, else the
        request rendered in the route's protocol for its model."""
        if provider.speaks(call.client_protocol):
            if call.client_protocol == "gemini":
                get_protocol("gemini").rewrite_models(call.body, route.upstream_model)
            return upstream_body(call, route, provider), {}
        target = get_protocol(provider.protocol)
        body = target.render_embeddings_request(self.parsed(call), route.upstream_model)
        return orjson.dumps(body), {}

    async def relay(self, call: Call, response: UpstreamResponse, send) -> None:
        provider = get_provider(call.route.provider)
        same = provider.speaks(call.client_protocol)
        if same and call.client_protocol == "openai":
            await relay_json(call, response, send)
            return
        data = await read_answer(response)
        request = self.parsed(call)
        if same:  # Gemini: relayed as it is, metered by an estimate unless it reports usage
            try:
                reported = read_embeddings(provider.protocol, data, len(request.texts)).usage
            except ApiError:
                reported = None
            call.usage = reported or estimated_usage(request)
            await send_answer(call, data, send, response)
            return
        answer = read_embeddings(provider.protocol, data, len(request.texts))
        call.usage = answer.usage = answer.usage or estimated_usage(request)
        rendered = get_protocol(call.client_protocol).render_embeddings_response(
            answer, call.body, call.endpoint, call.model_id
        )
        await send_answer(call, orjson.dumps(rendered), send)

    def close(self) -> None:
        pass


def read_embeddings(protocol: str, data: bytes, count: int) -> EmbeddingsResponse:
    """An upstream's answer of `protocol` holding `count` vectors; ApiError 502 otherwise."""
    try:
        answer = orjson.loads(data)
    except orjson.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        raise errors.upstream_error("the provider's answer was not a JSON object")
    return get_protocol(protocol).parse_embeddings_response(answer, count)


def estimated_usage(request: EmbeddingsRequest) -> Usage:
    """The usage of an answer that reports none: the texts' tokens, estimated; no output."""
    return Usage(input=estimate_text_tokens(request.texts), estimated=True)
