"""The official google-genai SDK against a live Tollgate: a Gemini route (pass-through), an
OpenAI-protocol route and an Anthropic route (translated), streamed and not, with function
calling; plus what the SDK does not show: `?key=`, snake_case bodies, the JSON-array stream."""

import base64

import httpx
import orjson
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from tests.proxy.conftest import (
    GEMINI_KEY,
    add_gemini_model,
    add_model,
    fund,
    make_key,
    wait_for_record,
)

pytestmark = pytest.mark.django_db(transaction=True)

WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Weather for a city",
    parameters=types.Schema(
        type="OBJECT", properties={"city": types.Schema(type="STRING")}, required=["city"]
    ),
)


def client_for(server, key: str, api_version: str | None = None) -> genai.Client:
    options = types.HttpOptions(base_url=server.url, api_version=api_version, timeout=10_000)
    return genai.Client(api_key=key, http_options=options)


def request_id(response) -> str:
    return response.sdk_http_response.headers["x-request-id"]


@pytest.fixture
def gemini_model(gemini_fake, tollgate_server):
    return add_gemini_model("gemini-test", gemini_fake)


@pytest.fixture
def gkey(alice, account_a, gemini_model) -> str:
    return make_key(account_a, alice)


# Gemini routes: the client's body goes through as it is ------------------------------------


def test_generate_content_is_passed_through_and_metered(tollgate_server, gkey, gemini_fake):
    client = client_for(tollgate_server, gkey)
    response = client.models.generate_content(
        model="gemini-test",
        contents="Hi there",
        config=types.GenerateContentConfig(system_instruction="Be brief", temperature=0.5),
    )

    assert response.text == "Hello from the fake Gemini"
    received = gemini_fake.received[0]
    assert received.path == "/v1beta/models/gemini-test-upstream:generateContent"
    assert received.headers["x-goog-api-key"] == GEMINI_KEY
    assert "model" not in received.json
    assert received.json["contents"] == [{"parts": [{"text": "Hi there"}], "role": "user"}]
    assert received.json["systemInstruction"]["parts"] == [{"text": "Be brief"}]
    record = wait_for_record(request_id(response))
    assert record.client_protocol == "gemini" and record.endpoint == "generate"
    # usage: prompt 20 (5 cached), output = 7 candidates + 3 thoughts
    assert (record.input_tokens, record.cached_tokens, record.output_tokens) == (20, 5, 10)
    assert record.reasoning_tokens == 3
    assert record.cost_micros == 38  # 15 x $1 + 5 x $0.5 + 10 x $2 per 1M, rounded up


def test_a_stream_is_relayed_chunk_by_chunk(tollgate_server, gkey, gemini_fake):
    client = client_for(tollgate_server, gkey)
    chunks = list(client.models.generate_content_stream(model="gemini-test", contents="Hi"))

    assert "".join(chunk.text or "" for chunk in chunks) == "Hello from the fake Gemini"
    assert len(chunks) == 5
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert gemini_fake.received[0].path.endswith(":streamGenerateContent")
    record = wait_for_record(request_id(chunks[0]))
    assert record.stream and (record.input_tokens, record.output_tokens) == (20, 10)


def test_function_calls_keep_their_thought_signatures(tollgate_server, gkey, gemini_fake):
    gemini_fake.reply = ""
    gemini_fake.function_calls = [{"name": "get_weather", "args": {"city": "Paris"}}]
    client = client_for(tollgate_server, gkey)
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[WEATHER])])
    first = client.models.generate_content(
        model="gemini-test", contents="Weather in Paris?", config=config
    )

    call = first.function_calls[0]
    assert (call.name, call.args) == ("get_weather", {"city": "Paris"})
    history = [
        types.Content(role="user", parts=[types.Part(text="Weather in Paris?")]),
        first.candidates[0].content,
        types.Content(
            role="user",
            parts=[
                types.Part.from_function_response(name="get_weather", response={"output": "18C"})
            ],
        ),
    ]
    gemini_fake.function_calls = None
    gemini_fake.reply = "It is 18C."
    second = client.models.generate_content(model="gemini-test", contents=history, config=config)

    assert second.text == "It is 18C."
    sent_back = gemini_fake.received[1].json["contents"][1]["parts"][0]
    assert sent_back["thoughtSignature"] == "c2lnLTA="  # "sig-0", as Gemini sent it
    assert sent_back["functionCall"] == {"name": "get_weather", "args": {"city": "Paris"}}


def test_count_tokens_asks_the_gemini_route(tollgate_server, gkey, gemini_fake):
    client = client_for(tollgate_server, gkey)
    counted = client.models.count_tokens(model="gemini-test", contents="How many tokens is this?")

    assert counted.total_tokens == 31
    assert gemini_fake.received[0].path == "/v1beta/models/gemini-test-upstream:countTokens"


def test_the_v1beta_prefix_serves_the_same_calls(tollgate_server, gkey, gemini_fake):
    client = client_for(tollgate_server, gkey, api_version="v1beta")
    response = client.models.generate_content(model="gemini-test", contents="Hi")

    assert response.text == "Hello from the fake Gemini"
    assert wait_for_record(request_id(response)).endpoint == "generate"


def test_models_are_listed_and_fetched_in_geminis_shape(tollgate_server, gkey, account_a):
    add_model("second-model")
    client = client_for(tollgate_server, gkey)

    listed = {model.name for model in client.models.list(config={"page_size": 1})}
    model = client.models.get(model="gemini-test")

    assert listed == {"models/gemini-test", "models/second-model"}
    assert model.name == "models/gemini-test"
    assert model.output_token_limit == 1000
    assert "generateContent" in model.supported_actions


# Errors, in Gemini's shape -------------------------------------------------------------------


def test_a_bad_key_is_refused_in_geminis_shape(tollgate_server, gemini_model):
    with pytest.raises(genai_errors.ClientError) as caught:
        client = client_for(tollgate_server, "sk-tg-not-a-key")
        client.models.generate_content(model="gemini-test", contents="Hi")

    assert caught.value.code == 401
    assert caught.value.status == "UNAUTHENTICATED"
    assert "Invalid API key" in caught.value.message


def test_an_unknown_model_is_not_found(tollgate_server, gkey):
    with pytest.raises(genai_errors.ClientError) as caught:
        client = client_for(tollgate_server, gkey)
        client.models.generate_content(model="no-such-model", contents="Hi")

    assert (caught.value.code, caught.value.status) == (404, "NOT_FOUND")


def test_no_credit_is_refused_before_the_upstream(tollgate_server, gkey, gemini_fake, account_a):
    fund(account_a, -account_a.balance_micros)
    with pytest.raises(genai_errors.ClientError) as caught:
        client = client_for(tollgate_server, gkey)
        client.models.generate_content(model="gemini-test", contents="Hi")

    assert (caught.value.code, caught.value.status) == (403, "PERMISSION_DENIED")
    assert "Insufficient credit" in caught.value.message
    assert gemini_fake.received == []


def test_an_upstream_error_fails_over_then_is_reported(tollgate_server, gkey, gemini_fake):
    gemini_fake.status = 503
    with pytest.raises(genai_errors.ServerError) as caught:
        client = client_for(tollgate_server, gkey)
        client.models.generate_content(model="gemini-test", contents="Hi")

    assert caught.value.code == 502
    assert caught.value.status == "INTERNAL" or caught.value.status == "UNAVAILABLE"


def test_bad_bodies_get_a_clear_400(tollgate_server, gkey):
    url = f"{tollgate_server.url}/v1beta/models/gemini-test:generateContent"
    headers = {"x-goog-api-key": gkey}
    for body in (b"", b"{not json", b"[]", b'{"contents": []}', b'{"contents": "hi"}'):
        answer = httpx.post(url, content=body, headers=headers, timeout=10)
        assert answer.status_code == 400, body
        error = answer.json()["error"]
        assert error["status"] == "INVALID_ARGUMENT" and error["code"] == 400


def test_an_unknown_method_is_a_404_in_geminis_shape(tollgate_server, gkey):
    url = f"{tollgate_server.url}/v1beta/models/gemini-test:predictLongRunning"
    answer = httpx.post(url, json={}, headers={"x-goog-api-key": gkey}, timeout=10)

    assert answer.status_code == 404
    assert answer.json()["error"]["status"] == "NOT_FOUND"


# What the SDK does not show ------------------------------------------------------------------


def test_the_key_may_come_in_the_query_string(tollgate_server, gkey, gemini_fake):
    answer = httpx.post(
        f"{tollgate_server.url}/v1beta/models/gemini-test:generateContent",
        params={"key": gkey},
        json={"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]},
        timeout=10,
    )

    assert answer.status_code == 200
    assert answer.json()["candidates"][0]["content"]["parts"][0]["text"].startswith("Hello")
    assert "key=" not in gemini_fake.received[0].path


def test_a_stream_without_alt_sse_is_one_json_array(tollgate_server, gkey, gemini_fake):
    with httpx.stream(
        "POST",
        f"{tollgate_server.url}/v1beta/models/gemini-test:streamGenerateContent",
        headers={"x-goog-api-key": gkey},
        json={"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]},
        timeout=10,
    ) as answer:
        body = answer.read()

    assert answer.headers["content-type"].startswith("application/json")
    chunks = orjson.loads(body)
    text = "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks)
    assert text == "Hello from the fake Gemini"
    assert chunks[-1]["usageMetadata"]["candidatesTokenCount"] == 7


# Translated routes ---------------------------------------------------------------------------


@pytest.fixture
def gpt_for_gemini(upstream, tollgate_server):
    return add_model("gpt-via-gemini", ("fake-openai", upstream.url + "/v1", 1))


@pytest.fixture
def okey(alice, account_a, gpt_for_gemini) -> str:
    return make_key(account_a, alice)


def test_generate_content_is_translated_for_an_openai_route(tollgate_server, okey, upstream):
    client = client_for(tollgate_server, okey)
    response = client.models.generate_content(
        model="gpt-via-gemini",
        contents="Hi",
        config=types.GenerateContentConfig(system_instruction="Be brief", max_output_tokens=50),
    )

    assert response.text == "Hello from the fake upstream"
    assert response.usage_metadata.prompt_token_count == 12
    sent = upstream.received[0].json
    assert upstream.received[0].path == "/v1/chat/completions"
    assert sent["model"] == "gpt-via-gemini-upstream"
    assert sent["messages"][0] == {"role": "system", "content": "Be brief"}
    assert sent["messages"][-1]["role"] == "user"
    record = wait_for_record(request_id(response))
    assert record.client_protocol == "gemini" and record.provider == "fake-openai"
    assert (record.input_tokens, record.output_tokens) == (12, 5)


def test_a_stream_is_translated_for_an_openai_route(tollgate_server, okey, upstream):
    client = client_for(tollgate_server, okey)
    chunks = list(client.models.generate_content_stream(model="gpt-via-gemini", contents="Hi"))

    assert "".join(chunk.text or "" for chunk in chunks).strip() == "Hello from the fake upstream"
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].usage_metadata.prompt_token_count == 12
    assert upstream.received[0].json["stream"] is True
    record = wait_for_record(request_id(chunks[0]))
    assert record.stream and (record.input_tokens, record.output_tokens) == (12, 5)


def test_function_calling_through_an_openai_route(tollgate_server, okey, upstream):
    upstream.tool_calls = [
        {
            "id": "call_abc",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
    ]
    client = client_for(tollgate_server, okey)
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[WEATHER])])
    for streamed in (False, True):
        if streamed:
            chunks = list(
                client.models.generate_content_stream(
                    model="gpt-via-gemini", contents="Weather in Paris?", config=config
                )
            )
            calls = [call for chunk in chunks for call in chunk.function_calls or []]
            content = types.Content(role="model", parts=[types.Part(function_call=calls[0])])
        else:
            first = client.models.generate_content(
                model="gpt-via-gemini", contents="Weather in Paris?", config=config
            )
            calls = first.function_calls
            content = first.candidates[0].content
        assert [(c.name, c.args) for c in calls] == [("get_weather", {"city": "Paris"})]
        tool = upstream.received[-1].json["tools"][0]["function"]
        assert tool["name"] == "get_weather"
        assert tool["parameters"]["properties"]["city"]["type"] == "string"

    upstream.tool_calls = None
    history = [
        types.Content(role="user", parts=[types.Part(text="Weather in Paris?")]),
        content,
        types.Content(
            role="user",
            parts=[
                types.Part.from_function_response(name="get_weather", response={"output": "18C"})
            ],
        ),
    ]
    answer = client.models.generate_content(model="gpt-via-gemini", contents=history, config=config)

    assert answer.text == "Hello from the fake upstream"
    messages = upstream.received[-1].json["messages"]
    call_id = messages[1]["tool_calls"][0]["id"]
    assert messages[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert messages[2]["role"] == "tool" and messages[2]["tool_call_id"] == call_id
    assert "18C" in messages[2]["content"]


def test_snake_case_bodies_are_understood_when_translated(tollgate_server, okey, upstream):
    answer = httpx.post(
        f"{tollgate_server.url}/v1beta/models/gpt-via-gemini:generateContent",
        headers={"x-goog-api-key": okey},
        json={
            "system_instruction": {"parts": [{"text": "Be brief"}]},
            "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
            "generation_config": {"max_output_tokens": 33, "stop_sequences": ["END"]},
        },
        timeout=10,
    )

    assert answer.status_code == 200
    sent = upstream.received[0].json
    assert sent["messages"][0] == {"role": "system", "content": "Be brief"}
    assert sent.get("max_tokens", sent.get("max_completion_tokens")) == 33
    assert sent["stop"] == ["END"]


def test_count_tokens_is_estimated_without_a_gemini_route(tollgate_server, okey, upstream):
    client = client_for(tollgate_server, okey)
    counted = client.models.count_tokens(
        model="gpt-via-gemini", contents="How many tokens is this?"
    )

    assert 3 <= counted.total_tokens <= 40
    assert upstream.received == []


@pytest.fixture
def claude_for_gemini(claude_upstream, tollgate_server):
    return add_model("claude-via-gemini", ("fake-claude", claude_upstream.url, 1, "anthropic"))


def test_generate_content_is_translated_for_an_anthropic_route(
    tollgate_server, alice, account_a, claude_for_gemini, claude_upstream
):
    key = make_key(account_a, alice)
    client = client_for(tollgate_server, key)
    response = client.models.generate_content(model="claude-via-gemini", contents="Hi")
    chunks = list(client.models.generate_content_stream(model="claude-via-gemini", contents="Hi"))

    assert response.text == "Hello from the fake Claude"
    assert "".join(chunk.text or "" for chunk in chunks).strip() == "Hello from the fake Claude"
    sent = claude_upstream.received[0].json
    assert claude_upstream.received[0].path == "/v1/messages"
    assert sent["model"] == "claude-via-gemini-upstream" and sent["max_tokens"] > 0
    record = wait_for_record(request_id(response))
    # Anthropic: 10 uncached + 4 cache reads + 3 cache writes
    assert (record.input_tokens, record.cached_tokens, record.output_tokens) == (17, 4, 6)


def test_an_image_from_a_gemini_client_reaches_an_openai_route(tollgate_server, okey, upstream):
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
        "rkJggg=="
    )
    client = client_for(tollgate_server, okey)
    client.models.generate_content(
        model="gpt-via-gemini",
        contents=[types.Part.from_bytes(data=png, mime_type="image/png"), "What is this?"],
    )

    content = upstream.received[0].json["messages"][-1]["content"]
    image = next(part for part in content if part["type"] == "image_url")
    assert image["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(png).decode()
    assert {"type": "text", "text": "What is this?"} in content


def test_thinking_config_becomes_a_reasoning_effort_or_budget(
    tollgate_server, okey, upstream, claude_for_gemini, claude_upstream
):
    client = client_for(tollgate_server, okey)
    config = types.GenerateContentConfig(
        max_output_tokens=500,
        thinking_config=types.ThinkingConfig(thinking_budget=2048, include_thoughts=True),
    )
    client.models.generate_content(model="gpt-via-gemini", contents="Think", config=config)
    client.models.generate_content(model="claude-via-gemini", contents="Think", config=config)

    assert upstream.received[0].json["reasoning_effort"] in ("low", "medium")
    thinking = claude_upstream.received[0].json["thinking"]
    assert thinking == {"type": "enabled", "budget_tokens": 2048}


def test_openais_own_api_gets_max_completion_tokens(tollgate_server, alice, account_a, upstream):
    """OpenAI's reasoning models refuse max_tokens; compatible servers may not know the other."""
    add_model("gpt-official", ("openai-official", upstream.url + "/v1", 1, "openai"))
    client = client_for(tollgate_server, make_key(account_a, alice))
    config = types.GenerateContentConfig(max_output_tokens=77)
    client.models.generate_content(model="gpt-official", contents="Hi", config=config)

    sent = upstream.received[0].json
    assert sent["max_completion_tokens"] == 77 and "max_tokens" not in sent
