"""The official anthropic SDK against a live Tollgate: an Anthropic route (pass-through) and an
OpenAI-protocol route (translated)."""

import anthropic
import httpx
import pytest

from tests.proxy.conftest import add_model, make_key, wait_for_record

pytestmark = pytest.mark.django_db(transaction=True)

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
    "rkJggg=="
)


def client_for(server, key) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key=key, max_retries=0, timeout=10)


@pytest.fixture
def claude(claude_upstream, tollgate_server):
    return add_model("claude-test", ("fake-claude", claude_upstream.url, 1, "anthropic"))


@pytest.fixture
def claude_key(alice, account_a, claude) -> str:
    return make_key(account_a, alice)


def test_a_message_is_passed_through_with_the_clients_version_and_betas(
    tollgate_server, claude_key, claude_upstream
):
    raw = client_for(tollgate_server, claude_key).messages.with_raw_response.create(
        model="claude-test",
        max_tokens=100,
        messages=[{"role": "user", "content": "Hi"}],
        extra_headers={"anthropic-beta": "context-1m-2025-08-07,future-beta-2030-01-01"},
        extra_body={"context_management": {"edits": []}},
    )
    message = raw.parse()

    assert message.content[0].text == "Hello from the fake Claude"
    received = claude_upstream.received[0]
    assert received.path == "/v1/messages"
    assert received.json["model"] == "claude-test-upstream"
    assert received.json["context_management"] == {"edits": []}
    assert received.headers["anthropic-version"] == "2026-10-21"
    assert received.headers["anthropic-beta"] == "context-1m-2025-08-07,future-beta-2030-01-01"
    assert "authorization" not in received.headers
    assert raw.headers["request-id"] == raw.headers["x-request-id"]
    record = wait_for_record(raw.headers["x-request-id"])
    assert record.client_protocol == "anthropic" and record.endpoint == "messages"
    assert (record.input_tokens, record.cached_tokens, record.output_tokens) == (17, 4, 6)
    # 10 uncached * $1 + 4 cache reads * $0.5 + 3 cache writes * $1.25 + 6 out * $2 per 1M
    assert record.cost_micros == 28


def test_a_stream_with_thinking_and_a_tool_call_is_relayed_and_metered(
    tollgate_server, claude_key, claude_upstream
):
    claude_upstream.thinking = "Let me think."
    claude_upstream.tool_uses = [
        {"id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}
    ]
    client = client_for(tollgate_server, claude_key)

    with client.messages.stream(
        model="claude-test",
        max_tokens=2000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        tools=[WEATHER_TOOL],
        messages=[{"role": "user", "content": "Weather in Paris?"}],
    ) as stream:
        message = stream.get_final_message()
        request_id = stream.response.headers["x-request-id"]

    assert [b.type for b in message.content] == ["thinking", "text", "tool_use"]
    assert message.content[0].signature == "sig-1"
    assert message.content[2].input == {"city": "Paris"}
    assert message.stop_reason == "tool_use"
    record = wait_for_record(request_id)
    assert record.stream is True and (record.input_tokens, record.output_tokens) == (17, 6)


def test_an_overloaded_upstream_is_a_529_with_retry_after(
    tollgate_server, claude_key, claude_upstream
):
    claude_upstream.status = 529

    with pytest.raises(anthropic.APIStatusError) as caught:
        client_for(tollgate_server, claude_key).messages.create(
            model="claude-test", max_tokens=10, messages=[{"role": "user", "content": "Hi"}]
        )

    assert caught.value.status_code == 529
    assert caught.value.body["error"]["type"] == "overloaded_error"
    assert caught.value.response.headers["retry-after"]


def test_count_tokens_is_answered_by_the_anthropic_route(
    tollgate_server, claude_key, claude_upstream
):
    counted = client_for(tollgate_server, claude_key).messages.count_tokens(
        model="claude-test", messages=[{"role": "user", "content": "Hi"}]
    )

    assert counted.input_tokens == 42
    assert claude_upstream.received[0].path == "/v1/messages/count_tokens"


def test_errors_have_anthropics_shape_and_a_bad_key_is_not_retried(tollgate_server, claude):
    response = httpx.post(
        f"{tollgate_server.url}/v1/messages?beta=true",
        headers={"x-api-key": "sk-tg-wrong", "anthropic-version": "2023-06-01"},
        json={
            "model": "claude-test",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": "x"}],
        },
    )

    assert response.status_code == 401
    assert response.headers["x-should-retry"] == "false"
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "authentication_error"
    assert body["request_id"] == response.headers["x-request-id"]


def test_an_unknown_model_is_a_not_found_error(tollgate_server, claude_key):
    with pytest.raises(anthropic.NotFoundError) as caught:
        client_for(tollgate_server, claude_key).messages.create(
            model="nope", max_tokens=10, messages=[{"role": "user", "content": "Hi"}]
        )

    assert caught.value.body["error"]["type"] == "not_found_error"
    assert "GET /v1/models" in caught.value.body["error"]["message"]


def test_models_are_listed_in_anthropics_shape(tollgate_server, claude_key):
    models = client_for(tollgate_server, claude_key).models.list()

    assert [m.id for m in models.data] == ["claude-test"]
    assert models.data[0].type == "model" and models.data[0].created_at.year >= 2020
    assert models.has_more is False


# Translated: Anthropic client -> OpenAI-protocol route ----------------------------------------


def test_a_message_to_an_openai_route_is_translated_both_ways(tollgate_server, key, upstream):
    raw = client_for(tollgate_server, key).messages.with_raw_response.create(
        model="gpt-test",
        max_tokens=200,
        system="Be brief.",
        thinking={"type": "enabled", "budget_tokens": 4000},
        tools=[WEATHER_TOOL],
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                    },
                ],
            }
        ],
    )
    message = raw.parse()

    assert message.content[0].text == "Hello from the fake upstream"
    assert message.model == "gpt-test" and message.stop_reason == "end_turn"
    sent = upstream.received[0].json
    assert upstream.received[0].path == "/v1/chat/completions"
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent["messages"][1]["content"][1]["image_url"]["url"].startswith(
        "data:image/png;base64,"
    )
    assert sent["tools"][0]["function"]["name"] == "get_weather"
    assert sent["reasoning_effort"] == "medium" and sent["max_tokens"] == 200
    assert "anthropic-version" not in upstream.received[0].headers
    assert message.usage.input_tokens == 8 and message.usage.cache_read_input_tokens == 4
    record = wait_for_record(raw.headers["x-request-id"])
    assert record.client_protocol == "anthropic" and record.cost_micros == 20


def test_a_stream_of_parallel_tool_calls_is_translated_event_by_event(
    tollgate_server, key, upstream
):
    upstream.tool_calls = [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        },
        {
            "id": "call_b",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
        },
    ]
    with client_for(tollgate_server, key).messages.stream(
        model="gpt-test",
        max_tokens=100,
        tools=[WEATHER_TOOL],
        messages=[{"role": "user", "content": "Paris and Rome?"}],
    ) as stream:
        message = stream.get_final_message()
        request_id = stream.response.headers["x-request-id"]

    assert [(b.id, b.input) for b in message.content] == [
        ("call_a", {"city": "Paris"}),
        ("call_b", {"city": "Rome"}),
    ]
    assert message.stop_reason == "tool_use" and message.usage.output_tokens == 5
    assert upstream.received[0].json["stream_options"] == {"include_usage": True}
    record = wait_for_record(request_id)
    assert (record.input_tokens, record.output_tokens, record.usage_estimated) == (12, 5, False)


def test_a_tool_result_turn_reaches_the_openai_route_as_tool_messages(
    tollgate_server, key, upstream
):
    client_for(tollgate_server, key).messages.create(
        model="gpt-test",
        max_tokens=100,
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_9",
                        "name": "get_weather",
                        "input": {"city": "Oslo"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "-3C"}],
            },
        ],
    )

    messages = upstream.received[0].json["messages"]
    assert messages[1]["tool_calls"][0]["function"]["arguments"] == '{"city":"Oslo"}'
    assert messages[2] == {"role": "tool", "tool_call_id": "toolu_9", "content": "-3C"}


def test_count_tokens_is_estimated_for_an_openai_route(tollgate_server, key, upstream):
    counted = client_for(tollgate_server, key).messages.count_tokens(
        model="gpt-test", messages=[{"role": "user", "content": "Hello there " * 20}]
    )

    assert 40 < counted.input_tokens < 200
    assert upstream.received == []


def test_an_upstream_failure_is_a_502_in_anthropics_shape(tollgate_server, key, upstream):
    upstream.status = 500

    with pytest.raises(anthropic.APIStatusError) as caught:
        client_for(tollgate_server, key).messages.create(
            model="gpt-test", max_tokens=10, messages=[{"role": "user", "content": "Hi"}]
        )

    assert caught.value.status_code == 502
    assert caught.value.body["error"]["type"] == "api_error"
