"""The official openai SDK against a live Tollgate whose model is routed to Anthropic; and the
keepalives of streams waiting for their upstream."""

import httpx
import openai
import orjson
import pytest

from tests.proxy.conftest import add_model, make_key, wait_for_record

pytestmark = pytest.mark.django_db(transaction=True)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def client_for(server, key) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=10)


@pytest.fixture
def claude_key(alice, account_a, claude_upstream, tollgate_server) -> str:
    add_model("claude-test", ("fake-claude", claude_upstream.url, 1, "anthropic"))
    return make_key(account_a, alice)


def test_a_chat_completion_is_answered_by_claude(tollgate_server, claude_key, claude_upstream):
    raw = client_for(tollgate_server, claude_key).chat.completions.with_raw_response.create(
        model="claude-test",
        messages=[
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                ],
            },
        ],
        temperature=1.5,
        stop=["END"],
    )
    completion = raw.parse()

    assert completion.choices[0].message.content == "Hello from the fake Claude"
    assert completion.choices[0].finish_reason == "stop" and completion.model == "claude-test"
    assert completion.usage.prompt_tokens == 17 and completion.usage.completion_tokens == 6
    assert completion.usage.prompt_tokens_details.cached_tokens == 4
    sent = claude_upstream.received[0]
    assert sent.path == "/v1/messages" and sent.headers["anthropic-version"] == "2023-06-01"
    assert "anthropic-beta" not in sent.headers
    body = sent.json
    assert body["system"] == [{"type": "text", "text": "Be brief."}]
    assert body["max_tokens"] == 1000  # the model's maximum: Anthropic requires one
    assert body["temperature"] == 1.0 and body["stop_sequences"] == ["END"]
    assert body["messages"][0]["content"][1]["source"] == {
        "type": "url",
        "url": "https://example.com/cat.png",
    }
    record = wait_for_record(raw.headers["x-request-id"])
    assert record.client_protocol == "openai" and record.cost_micros == 28


def test_a_stream_with_reasoning_and_tool_calls_is_translated(
    tollgate_server, claude_key, claude_upstream
):
    claude_upstream.thinking = "Think first."
    claude_upstream.tool_uses = [
        {"id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
        {"id": "toolu_2", "name": "get_weather", "input": {"city": "Rome"}},
    ]
    stream = client_for(tollgate_server, claude_key).chat.completions.create(
        model="claude-test",
        messages=[{"role": "user", "content": "Paris and Rome?"}],
        tools=[WEATHER],
        tool_choice="required",
        parallel_tool_calls=True,
        reasoning_effort="high",
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() == "Hello from the fake Claude"
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content") or ""
        for c in chunks
        if c.choices
    )
    assert reasoning == "Think first."
    calls: dict[int, list] = {}
    for chunk in chunks:
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            entry = calls.setdefault(call.index, [call.id, ""])
            entry[1] += call.function.arguments or ""
    assert {i: (c[0], orjson.loads(c[1])) for i, c in calls.items()} == {
        0: ("toolu_1", {"city": "Paris"}),
        1: ("toolu_2", {"city": "Rome"}),
    }
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert chunks[-1].usage.prompt_tokens == 17 and chunks[-1].usage.completion_tokens == 6
    sent = claude_upstream.received[0].json
    assert sent["tool_choice"] == {"type": "any"} and "thinking" not in sent
    record = wait_for_record(stream.response.headers["x-request-id"])
    assert record.stream is True and (record.input_tokens, record.output_tokens) == (17, 6)


def test_reasoning_effort_becomes_a_thinking_budget(tollgate_server, claude_key, claude_upstream):
    client_for(tollgate_server, claude_key).chat.completions.create(
        model="claude-test",
        messages=[{"role": "user", "content": "Hi"}],
        reasoning_effort="low",
        max_completion_tokens=100,
        temperature=0.2,
    )

    sent = claude_upstream.received[0].json
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert sent["max_tokens"] == 2148 and "temperature" not in sent


def test_an_overloaded_claude_is_a_503_for_openai_clients(
    tollgate_server, claude_key, claude_upstream
):
    claude_upstream.status = 529

    with pytest.raises(openai.InternalServerError) as caught:
        client_for(tollgate_server, claude_key).chat.completions.create(
            model="claude-test", messages=[{"role": "user", "content": "Hi"}]
        )

    assert caught.value.status_code == 503
    assert caught.value.response.headers["retry-after"]


def test_an_error_mid_stream_reaches_the_openai_client(
    tollgate_server, claude_key, claude_upstream
):
    claude_upstream.stream_error = True

    with pytest.raises(openai.APIError, match="Overloaded"):
        list(
            client_for(tollgate_server, claude_key).chat.completions.create(
                model="claude-test", messages=[{"role": "user", "content": "Hi"}], stream=True
            )
        )


def test_an_anthropic_stream_gets_pings_while_the_upstream_thinks(
    tollgate_server, claude_key, claude_upstream, settings
):
    settings.PROXY_KEEPALIVE_INTERVAL_MS = 200
    claude_upstream.delay_s = 0.7

    with httpx.stream(
        "POST",
        f"{tollgate_server.url}/v1/messages",
        headers={"x-api-key": claude_key, "anthropic-version": "2023-06-01"},
        json={
            "model": "claude-test",
            "max_tokens": 10,
            "stream": True,
            "messages": [{"role": "user", "content": "Hi"}],
        },
        timeout=10,
    ) as response:
        body = response.read()

    assert response.status_code == 200
    assert body.startswith(b'event: ping\ndata: {"type":"ping"}\n\n')
    assert b"event: message_stop" in body


def test_an_openai_stream_gets_comments_while_the_upstream_is_slow(
    tollgate_server, key, upstream, settings
):
    settings.PROXY_KEEPALIVE_INTERVAL_MS = 200
    upstream.delay_s = 0.7

    chunks = list(
        client_for(tollgate_server, key).chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
    )
    with httpx.stream(
        "POST",
        f"{tollgate_server.url}/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": "gpt-test", "stream": True, "messages": [{"role": "user", "content": "x"}]},
        timeout=10,
    ) as response:
        body = response.read()

    assert "".join(c.choices[0].delta.content or "" for c in chunks).strip()
    assert body.startswith(b": keepalive\n\n") and body.endswith(b"data: [DONE]\n\n")


def test_a_slow_upstream_that_fails_ends_the_started_stream_with_an_error(
    tollgate_server, claude_key, claude_upstream, settings
):
    settings.PROXY_KEEPALIVE_INTERVAL_MS = 200
    claude_upstream.delay_s, claude_upstream.status = 0.5, 400

    with httpx.stream(
        "POST",
        f"{tollgate_server.url}/v1/messages",
        headers={"x-api-key": claude_key},
        json={
            "model": "claude-test",
            "max_tokens": 5,
            "stream": True,
            "messages": [{"role": "user", "content": "Hi"}],
        },
        timeout=10,
    ) as response:
        body = response.read()

    assert body.startswith(b"event: ping")
    assert body.endswith(b'"message":"fake invalid_request_error"}}\n\n')
    assert b"event: error" in body


def test_head_on_the_root_answers_200(client):
    assert client.head("/").status_code == 200
