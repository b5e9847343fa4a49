"""Gemini `:embedContent` and `:batchEmbedContents` (gemini.md §8) to and from the canonical form.

Fields are read in camelCase or snake_case. Only text is embedded: a content's text parts are
joined by a newline; other parts answer 400, as does a request whose `model` names another
model than the URL, or a batch whose requests ask for different `outputDimensionality` (one
`dimensions` on the OpenAI side). `taskType`, `title` and `autoTruncate` do not cross to other
protocols (dropped). Gemini's answers carry no usage (*unverified for the newest models*): a
`usageMetadata`, when present, is read, else the caller estimates.
"""

from __future__ import annotations

from proxy import errors
from proxy.canonical import EmbeddingsRequest, EmbeddingsResponse
from proxy.protocols.gemini.casing import get
from proxy.protocols.gemini.response import parse_usage

SINGLE = "embed_content"  # the endpoint of :embedContent; :batchEmbedContents otherwise


def parse_embeddings_request(body: dict, endpoint: str, model_id: str) -> EmbeddingsRequest:
    """The texts and dimensions of a `:embedContent` (`endpoint` "embed_content") or
    `:batchEmbedContents` body for the model `model_id` of the URL; ApiError 400 otherwise."""
    if endpoint == SINGLE:
        _check_model(body, model_id, "model")
        text = _text(get(body, "content"), "content")
        return EmbeddingsRequest([text], _dimensions(body, "outputDimensionality"))
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        raise errors.bad_request(
            "'requests' is required: a non-empty array of {model, content}.", "requests"
        )
    texts, sizes = [], set()
    for index, request in enumerate(requests):
        where = f"requests[{index}]"
        if not isinstance(request, dict):
            raise errors.bad_request(f"{where} must be an object with a 'content'.", "requests")
        _check_model(request, model_id, f"{where}.model")
        texts.append(_text(get(request, "content"), f"{where}.content"))
        sizes.add(_dimensions(request, f"{where}.outputDimensionality"))
    if len(sizes) > 1:
        raise errors.bad_request(
            "Every request of a batch must ask for the same 'outputDimensionality'.", "requests"
        )
    return EmbeddingsRequest(texts, sizes.pop())


def _check_model(request: dict, model_id: str, where: str) -> None:
    named = request.get("model")
    if named is None:
        return
    if not isinstance(named, str) or named.removeprefix("models/") != model_id:
        raise errors.bad_request(
            f"{where} names {str(named)[:100]!r}, not the model of the URL ('models/{model_id}').",
            where,
        )


def _text(content, where: str) -> str:
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list) or not parts:
        raise errors.bad_request(
            f"'{where}' is required: an object with a non-empty 'parts' array of text parts.",
            where,
        )
    texts = []
    for number, part in enumerate(parts):
        text = part.get("text") if isinstance(part, dict) else None
        if not isinstance(text, str):
            raise errors.bad_request(
                f"{where}.parts[{number}] is not text: Tollgate embeds text parts only.", where
            )
        texts.append(text)
    joined = "\n".join(texts)
    if not joined.strip():
        raise errors.bad_request(f"'{where}' has no text to embed.", where)
    return joined


def _dimensions(request: dict, where: str) -> int | None:
    value = get(request, "outputDimensionality")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise errors.bad_request(f"'{where}' must be a positive integer.", where)
    return value


def rewrite_models(body: dict, upstream_model: str) -> None:
    """Name the route's model in a body passed through to Gemini (each request's `model` must
    be the model of the URL)."""
    name = "models/" + upstream_model.removeprefix("models/")
    if "model" in body:
        body["model"] = name
    for request in body.get("requests") or ():
        if isinstance(request, dict):
            request["model"] = name


def render_embeddings_request(request: EmbeddingsRequest, upstream_model: str) -> dict:
    """The body of `:batchEmbedContents` for the route's model: one request per text, in order."""
    name = "models/" + upstream_model.removeprefix("models/")
    requests = []
    for text in request.texts:
        item: dict = {"model": name, "content": {"parts": [{"text": text}]}}
        if request.dimensions is not None:
            item["outputDimensionality"] = request.dimensions
        requests.append(item)
    return {"requests": requests}


def parse_embeddings_response(body: dict, count: int) -> EmbeddingsResponse:
    """The `count` vectors of an answer (`embeddings[].values`, or `embedding.values` for one)
    and its usage if it has any; ApiError 502 when the answer does not hold them."""
    items = body.get("embeddings")
    if items is None and isinstance(body.get("embedding"), dict):
        items = [body["embedding"]]
    if not isinstance(items, list) or len(items) != count:
        raise errors.upstream_error(f"the provider's answer did not hold {count} embedding(s)")
    vectors = []
    for item in items:
        values = item.get("values") if isinstance(item, dict) else None
        if not isinstance(values, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values
        ):
            raise errors.upstream_error("the provider's answer held an embedding without values")
        vectors.append(values)
    usage = parse_usage(get(body, "usageMetadata"))
    return EmbeddingsResponse(vectors, usage if usage is not None and usage.input else None)


def render_embeddings_response(
    response: EmbeddingsResponse, request: dict, endpoint: str, model_id: str
) -> dict:
    """The answer of `:embedContent` (one `embedding`) or `:batchEmbedContents` (`embeddings`)."""
    if endpoint == SINGLE:
        return {"embedding": {"values": response.vectors[0]}}
    return {"embeddings": [{"values": vector} for vector in response.vectors]}
