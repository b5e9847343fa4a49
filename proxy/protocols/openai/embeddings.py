"""OpenAI `/v1/embeddings` to and from the canonical form (conversion.md §13).

Only what crosses to another protocol is read: `input` (a string or an array of strings; token
ids answer 400, no other provider takes them), `dimensions` and `encoding_format`; `user` is
dropped. Answers are rendered with floats, or with base64 of the little-endian float32 array
when the client asked for `encoding_format: "base64"` (what the openai SDKs ask for by default,
and decode). See https://platform.openai.com/docs/api-reference/embeddings/create
"""

from __future__ import annotations

import base64
import binascii
import struct

from proxy import errors
from proxy.canonical import EmbeddingsRequest, EmbeddingsResponse, Usage
from proxy.metering import openai_usage

ENCODINGS = ("float", "base64")


def parse_embeddings_request(body: dict, endpoint: str, model_id: str) -> EmbeddingsRequest:
    """The texts and dimensions of an embeddings request (`endpoint` and `model_id` are the
    other protocols' business); ApiError 400 for what cannot be sent to another protocol."""
    value = body.get("input")
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts:
        raise errors.bad_request(
            "'input' must be a string or a non-empty array of strings.", "input"
        )
    for index, text in enumerate(texts):
        if isinstance(text, int | list):
            raise errors.bad_request(
                "This model's provider embeds text only: send 'input' as strings, not token ids.",
                "input",
            )
        if not isinstance(text, str) or not text:
            raise errors.bad_request(f"input[{index}] must be a non-empty string.", "input")
    encoding = body.get("encoding_format")
    if encoding is not None and encoding not in ENCODINGS:
        raise errors.bad_request(
            "'encoding_format' must be 'float' or 'base64'.", "encoding_format"
        )
    return EmbeddingsRequest(texts=texts, dimensions=_dimensions(body.get("dimensions")))


def _dimensions(value) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise errors.bad_request("'dimensions' must be a positive integer.", "dimensions")
    return value


def render_embeddings_request(request: EmbeddingsRequest, upstream_model: str) -> dict:
    """The body of `POST /embeddings` (floats: OpenAI's default encoding)."""
    body: dict = {"model": upstream_model, "input": request.texts}
    if request.dimensions is not None:
        body["dimensions"] = request.dimensions
    return body


def parse_embeddings_response(body: dict, count: int) -> EmbeddingsResponse:
    """The `count` vectors of an answer (ordered by `index`, floats or base64) and its usage;
    ApiError 502 when the answer does not hold them."""
    data = body.get("data")
    if not isinstance(data, list) or len(data) != count:
        raise errors.upstream_error(f"the provider's answer did not hold {count} embedding(s)")
    if not all(isinstance(item, dict) for item in data):
        raise errors.upstream_error("the provider's answer held an embedding that is not an object")
    items = sorted(data, key=lambda item: _int(item.get("index")))
    vectors = [_vector(item.get("embedding")) for item in items]
    return EmbeddingsResponse(vectors=vectors, usage=openai_usage(body.get("usage")))


def _int(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _vector(value) -> list[float]:
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except binascii.Error:
            raw = b"?"
        if len(raw) % 4 == 0:
            return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    elif isinstance(value, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    ):
        return value
    raise errors.upstream_error("the provider's answer held an embedding that is not numbers")


def render_embeddings_response(
    response: EmbeddingsResponse, request: dict, endpoint: str, model_id: str
) -> dict:
    """The answer to the client's `request` body: a list of embeddings under its `model_id`."""
    as_base64 = request.get("encoding_format") == "base64"
    usage = response.usage or Usage()
    return {
        "object": "list",
        "data": [
            {
                "object": "embedding",
                "index": index,
                "embedding": encode_base64(vector) if as_base64 else vector,
            }
            for index, vector in enumerate(response.vectors)
        ],
        "model": model_id,
        "usage": {"prompt_tokens": usage.input, "total_tokens": usage.input + usage.output},
    }


def encode_base64(vector: list[float]) -> str:
    """A vector as OpenAI sends it when asked for base64: little-endian float32, base64."""
    try:
        packed = struct.pack(f"<{len(vector)}f", *vector)
    except (struct.error, OverflowError):
        raise errors.upstream_error("the provider's answer held values beyond float32") from None
    return base64.b64encode(packed).decode("ascii")
