"""Embeddings across the OpenAI and Gemini protocols: google-genai's `embed_content` against a
Gemini route (passed through) and an OpenAI route (translated), the openai SDK's
`embeddings.create` against a Gemini route (translated, base64 by default), bad bodies, and
models that have no route serving embeddings."""

import base64
import struct

import httpx
import openai
import pytest
from google.genai import errors as genai_errors
from google.genai import types

from tests.proxy.conftest import GEMINI_KEY, add_gemini_model, add_model, make_key, wait_for_record
from tests.proxy.test_gemini_sdk import client_for, request_id

pytestmark = pytest.mark.django_db(transaction=True)

# What the Gemini fake answers for the n-th request, at 3 dimensions and at its default of 4.
FIRST_3, SECOND_3 = [0.125, -0.25, 0.25], [0.25, -0.25, 0.25]
FIRST_4, SECOND_4 = [*FIRST_3, -0.25], [*SECOND_3, -0.25]
OPENAI_VECTOR = [0.5, -0.25, 0.125]  # what the OpenAI fake answers for every input


# google-genai sends a list of contents to a model whose name has "gemini" in it (other than
# gemini-embedding-001) as one content of several parts, as for Google's multimodal
# gemini-embedding-2: these model ids keep it out of their names.


@pytest.fixture
def gkey(alice, account_a, gemini_fake, tollgate_server) -> str:
    add_gemini_model("google-embed", gemini_fake)
    return make_key(account_a, alice)


@pytest.fixture
def okey(alice, account_a, upstream, tollgate_server) -> str:
    add_model("openai-embed", ("fake-openai", upstream.url + "/v1", 1))
    return make_key(account_a, alice)


def openai_client(server, key) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=10)


def gemini_url(server, model: str, method: str) -> str:
    return f"{server.url}/v1beta/models/{model}:{method}"


def text(value: str) -> dict:
    return {"parts": [{"text": value}]}


# google-genai against a Gemini route: passed through ----------------------------------------


def test_embed_content_is_passed_through_and_metered_by_estimate(
    tollgate_server, gkey, gemini_fake
):
    client = client_for(tollgate_server, gkey)
    result = client.models.embed_content(
        model="google-embed",
        contents=["a", "b"],
        config=types.EmbedContentConfig(output_dimensionality=3, task_type="SEMANTIC_SIMILARITY"),
    )

    assert [e.values for e in result.embeddings] == [FIRST_3, SECOND_3]
    received = gemini_fake.received[0]
    assert received.path == "/v1beta/models/google-embed-upstream:batchEmbedContents"
    assert received.headers["x-goog-api-key"] == GEMINI_KEY
    requests = received.json["requests"]
    assert [r["model"] for r in requests] == ["models/google-embed-upstream"] * 2
    assert [r["content"]["parts"] for r in requests] == [[{"text": "a"}], [{"text": "b"}]]
    assert [r["outputDimensionality"] for r in requests] == [3, 3]
    assert requests[0]["taskType"] == "SEMANTIC_SIMILARITY"  # the client's body, as it is
    record = wait_for_record(request_id(result))
    assert (record.client_protocol, record.endpoint) == ("gemini", "batch_embed_contents")
    assert record.provider == "fake-gemini" and record.status_code == 200
    assert record.usage_estimated
    assert record.input_tokens == 2 and record.output_tokens == 0
    assert record.cost_micros == 2  # 2 tokens at $1 per 1M, rounded up


def test_embed_content_method_is_passed_through_too(tollgate_server, gkey, gemini_fake):
    answer = httpx.post(
        gemini_url(tollgate_server, "google-embed", "embedContent"),
        headers={"x-goog-api-key": gkey},
        json={"content": text("What is the meaning of life?"), "taskType": "RETRIEVAL_QUERY"},
        timeout=10,
    )

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"embedding": {"values": FIRST_4}}
    assert gemini_fake.received[0].path == "/v1beta/models/google-embed-upstream:embedContent"
    assert gemini_fake.received[0].json["taskType"] == "RETRIEVAL_QUERY"
    record = wait_for_record(answer.headers["x-request-id"])
    assert record.endpoint == "embed_content" and record.usage_estimated
    assert record.input_tokens == 7  # 28 bytes of text


def test_usage_that_gemini_reports_is_used(tollgate_server, gkey, gemini_fake):
    gemini_fake.embed_usage = {"promptTokenCount": 9, "totalTokenCount": 9}
    client = client_for(tollgate_server, gkey, api_version="v1beta")
    result = client.models.embed_content(model="google-embed", contents="hello")

    record = wait_for_record(request_id(result))
    assert (record.input_tokens, record.usage_estimated) == (9, False)


# google-genai against an OpenAI route: translated --------------------------------------------


def test_embed_content_is_translated_for_an_openai_route(tollgate_server, okey, upstream):
    client = client_for(tollgate_server, okey)
    result = client.models.embed_content(
        model="openai-embed",
        contents=["a", "b"],
        config=types.EmbedContentConfig(
            output_dimensionality=3, task_type="RETRIEVAL_DOCUMENT", title="Doc"
        ),
    )

    assert [e.values for e in result.embeddings] == [OPENAI_VECTOR, OPENAI_VECTOR]
    assert upstream.received[0].path == "/v1/embeddings"
    # taskType and title do not cross; floats are OpenAI's default encoding
    assert upstream.received[0].json == {
        "model": "openai-embed-upstream",
        "input": ["a", "b"],
        "dimensions": 3,
    }
    record = wait_for_record(request_id(result))
    assert (record.client_protocol, record.endpoint) == ("gemini", "batch_embed_contents")
    assert record.provider == "fake-openai"
    assert (record.input_tokens, record.output_tokens, record.usage_estimated) == (6, 0, False)
    assert record.cost_micros == 6


def test_one_embed_content_is_translated_for_an_openai_route(tollgate_server, okey, upstream):
    answer = httpx.post(
        gemini_url(tollgate_server, "openai-embed", "embedContent"),
        headers={"x-goog-api-key": okey},
        json={"content": {"parts": [{"text": "first"}, {"text": "second"}]}},
        timeout=10,
    )

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"embedding": {"values": OPENAI_VECTOR}}
    sent = upstream.received[0].json
    assert sent == {"model": "openai-embed-upstream", "input": ["first\nsecond"]}


# the openai SDK against a Gemini route: translated -------------------------------------------


def test_openai_embeddings_from_a_gemini_route_in_the_default_base64(
    tollgate_server, gkey, gemini_fake
):
    result = openai_client(tollgate_server, gkey).embeddings.create(
        model="google-embed", input=["a", "b"]
    )

    assert [d.embedding for d in result.data] == [FIRST_4, SECOND_4]
    assert [d.index for d in result.data] == [0, 1]
    assert result.model == "google-embed"
    assert result.usage.prompt_tokens == result.usage.total_tokens == 2
    received = gemini_fake.received[0]
    assert received.path == "/v1beta/models/google-embed-upstream:batchEmbedContents"
    assert received.json == {
        "requests": [
            {"model": "models/google-embed-upstream", "content": {"parts": [{"text": "a"}]}},
            {"model": "models/google-embed-upstream", "content": {"parts": [{"text": "b"}]}},
        ]
    }
    record = wait_for_record(result._request_id)
    assert (record.client_protocol, record.endpoint) == ("openai", "embeddings")
    assert record.provider == "fake-gemini" and record.usage_estimated
    assert (record.input_tokens, record.output_tokens, record.cost_micros) == (2, 0, 2)


def test_the_base64_is_little_endian_float32(tollgate_server, gkey):
    answer = httpx.post(
        f"{tollgate_server.url}/v1/embeddings",
        headers={"authorization": f"Bearer {gkey}"},
        json={"model": "google-embed", "input": "a", "encoding_format": "base64"},
        timeout=10,
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["object"] == "list" and body["data"][0]["object"] == "embedding"
    packed = base64.b64decode(body["data"][0]["embedding"])
    assert list(struct.unpack("<4f", packed)) == FIRST_4


def test_openai_embeddings_from_a_gemini_route_as_floats(tollgate_server, gkey, gemini_fake):
    result = openai_client(tollgate_server, gkey).embeddings.create(
        model="google-embed", input="hello", encoding_format="float", dimensions=3
    )

    assert [d.embedding for d in result.data] == [FIRST_3]
    request = gemini_fake.received[0].json["requests"][0]
    assert request["outputDimensionality"] == 3
    assert request["content"] == {"parts": [{"text": "hello"}]}


# Bad bodies: 400 in the client's shape, before any upstream ----------------------------------


@pytest.mark.parametrize(
    ("method", "body", "says"),
    [
        ("embedContent", {}, "'content' is required"),
        ("embedContent", {"content": {"parts": []}}, "'content' is required"),
        ("embedContent", {"content": "hi"}, "'content' is required"),
        (
            "embedContent",
            {"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": "AA=="}}]}},
            "not text",
        ),
        ("embedContent", {"content": text("  ")}, "no text to embed"),
        ("embedContent", {"content": text("a"), "outputDimensionality": 0}, "positive integer"),
        ("batchEmbedContents", {}, "'requests' is required"),
        ("batchEmbedContents", {"requests": []}, "'requests' is required"),
        ("batchEmbedContents", {"requests": ["a"]}, "must be an object"),
        ("batchEmbedContents", {"requests": [{"model": "models/google-embed"}]}, "is required"),
        (
            "batchEmbedContents",
            {"requests": [{"model": "models/other-model", "content": text("a")}]},
            "not the model of the URL",
        ),
        (
            "batchEmbedContents",
            {
                "requests": [
                    {"content": text("a"), "outputDimensionality": 3},
                    {"content": text("b"), "outputDimensionality": 4},
                ]
            },
            "same 'outputDimensionality'",
        ),
    ],
)
def test_bad_gemini_bodies_get_a_400_in_geminis_shape(
    tollgate_server, gkey, gemini_fake, method, body, says
):
    answer = httpx.post(
        gemini_url(tollgate_server, "google-embed", method),
        headers={"x-goog-api-key": gkey},
        json=body,
        timeout=10,
    )

    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert says in error["message"]
    assert gemini_fake.received == []


def test_a_body_that_is_not_json_gets_a_400_in_geminis_shape(tollgate_server, gkey):
    answer = httpx.post(
        gemini_url(tollgate_server, "google-embed", "batchEmbedContents"),
        headers={"x-goog-api-key": gkey},
        content=b"{not json",
        timeout=10,
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_the_sdk_sees_a_bad_request_as_a_client_error(tollgate_server, gkey):
    client = client_for(tollgate_server, gkey)
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.embed_content(
            model="google-embed",
            contents=[types.Part.from_bytes(data=b"\x89PNG", mime_type="image/png")],
        )

    assert (caught.value.code, caught.value.status) == (400, "INVALID_ARGUMENT")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"input": [1, 2, 3]}, "not token ids"),
        ({"input": [[1, 2], [3]]}, "not token ids"),
        ({"input": []}, "non-empty array"),
        ({"input": ["a", ""]}, "input[1] must be a non-empty string"),
        ({"input": "a", "dimensions": 0}, "positive integer"),
        ({"input": "a", "encoding_format": "hex"}, "'float' or 'base64'"),
    ],
)
def test_bad_openai_bodies_for_a_gemini_route_get_a_400_in_openais_shape(
    tollgate_server, gkey, gemini_fake, body, says
):
    answer = httpx.post(
        f"{tollgate_server.url}/v1/embeddings",
        headers={"authorization": f"Bearer {gkey}"},
        json={"model": "google-embed", **body},
        timeout=10,
    )

    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert says in error["message"]
    assert gemini_fake.received == []
    record = wait_for_record(answer.headers["x-request-id"])
    assert (record.status_code, record.cost_micros) == (400, 0)


def test_token_ids_still_reach_an_openai_route(tollgate_server, okey, upstream):
    result = openai_client(tollgate_server, okey).embeddings.create(
        model="openai-embed", input=[[1, 2, 3]], encoding_format="float"
    )

    assert result.data[0].embedding == OPENAI_VECTOR
    assert upstream.received[0].json["input"] == [[1, 2, 3]]


# Models without a route that serves embeddings -----------------------------------------------


@pytest.fixture
def ckey(alice, account_a, claude_upstream, tollgate_server) -> str:
    add_model("claude-only", ("fake-claude", claude_upstream.url, 1, "anthropic"))
    return make_key(account_a, alice)


def test_an_anthropic_only_model_has_no_route_for_openai_embeddings(
    tollgate_server, ckey, claude_upstream
):
    with pytest.raises(openai.InternalServerError) as refused:
        openai_client(tollgate_server, ckey).embeddings.create(model="claude-only", input="a")

    assert refused.value.status_code == 503
    assert refused.value.code == "no_route_available"
    assert "no route that serves embeddings" in refused.value.message
    assert claude_upstream.received == []


def test_an_anthropic_only_model_has_no_route_for_gemini_embeddings(
    tollgate_server, ckey, claude_upstream
):
    answer = httpx.post(
        gemini_url(tollgate_server, "claude-only", "batchEmbedContents"),
        headers={"x-goog-api-key": ckey},
        json={"requests": [{"content": text("a")}]},
        timeout=10,
    )

    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["status"] == "UNAVAILABLE"
    assert "no route that serves embeddings" in error["message"]
    assert claude_upstream.received == []


def test_an_anthropic_route_is_skipped_for_the_next_one(
    tollgate_server, alice, account_a, claude_upstream, gemini_fake
):
    add_model(
        "mixed",
        ("fake-claude", claude_upstream.url, 1, "anthropic"),
        ("fake-gemini", gemini_fake.url + "/v1beta", 2, "gemini"),
    )
    key = make_key(account_a, alice)
    result = openai_client(tollgate_server, key).embeddings.create(model="mixed", input="a")

    assert result.data[0].embedding == FIRST_4
    assert claude_upstream.received == []


# The translation alone ------------------------------------------------------------------------


def test_openai_answers_are_read_in_index_order_floats_or_base64():
    from proxy.protocols.openai import parse_embeddings_response
    from proxy.protocols.openai.embeddings import encode_base64

    answer = {
        "data": [
            {"index": 1, "embedding": encode_base64([1.5, -2.0])},
            {"index": 0, "embedding": [3, 4]},
        ],
        "usage": {"prompt_tokens": 5, "total_tokens": 5},
    }
    parsed = parse_embeddings_response(answer, 2)

    assert parsed.vectors == [[3, 4], [1.5, -2.0]]
    assert parsed.usage.input == 5


def test_an_answer_without_every_vector_is_the_providers_fault():
    from proxy.errors import ApiError
    from proxy.protocols.gemini import parse_embeddings_response

    with pytest.raises(ApiError, match="did not hold 2 embedding") as caught:
        parse_embeddings_response({"embeddings": [{"values": [0.1]}]}, 2)
    assert caught.value.status == 502
    with pytest.raises(ApiError, match="without values"):
        parse_embeddings_response({"embeddings": [{"values": ["x"]}]}, 1)
