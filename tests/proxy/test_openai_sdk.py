"""The official openai SDK against a live Tollgate in front of a fake upstream."""

import httpx
import openai
import pytest

from tests.proxy.conftest import wait_for_record

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(server, key) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=10)


def test_chat_completion_is_relayed_metered_and_priced(tollgate_server, key, upstream):
    raw = client_for(tollgate_server, key).chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": "Hi"}]
    )
    completion = raw.parse()

    assert completion.choices[0].message.content == "Hello from the fake upstream"
    assert upstream.received[0].json["model"] == "gpt-test-upstream"
    request_id = raw.headers["x-request-id"]
    record = wait_for_record(request_id)
    assert (record.input_tokens, record.output_tokens) == (12, 5)
    assert (record.cached_tokens, record.reasoning_tokens) == (4, 1)
    assert record.usage_estimated is False
    # 8 uncached * $1 + 4 cached * $0.5 + 5 out * $2 per 1M tokens = 20 micro-USD
    assert record.cost_micros == 20
    assert raw.headers["x-tollgate-cost-usd"] == "0.000020"
    assert record.status_code == 200 and record.stream is False
    assert record.price_input_per_mtok_micros == 1_000_000
    assert record.upstream_request_id == "upstream-req-1"


def test_stream_is_relayed_and_the_injected_usage_chunk_is_hidden(tollgate_server, key, upstream):
    stream = client_for(tollgate_server, key).chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() == "Hello from the fake upstream"
    assert all(c.choices for c in chunks), "a chunk without choices reached the client"
    assert all(c.usage is None for c in chunks)
    assert upstream.received[0].json["stream_options"] == {"include_usage": True}
    record = wait_for_record(stream.response.headers["x-request-id"])
    assert (record.input_tokens, record.output_tokens, record.usage_estimated) == (12, 5, False)
    assert record.stream is True


def test_stream_with_include_usage_gets_the_usage_chunk(tollgate_server, key):
    stream = client_for(tollgate_server, key).chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == 5


def test_every_field_reaches_the_upstream_unchanged_except_model(tollgate_server, key, upstream):
    client_for(tollgate_server, key).chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "Hi"}],
        temperature=0,
        n=1,
        parallel_tool_calls=False,
        tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        extra_body={"top_k": 0, "logit_bias": None, "x_vendor_flag": False, "seed": 0},
    )

    sent = upstream.received[0].json
    assert sent["temperature"] == 0 and sent["n"] == 1 and sent["seed"] == 0
    assert sent["parallel_tool_calls"] is False
    assert sent["top_k"] == 0 and sent["logit_bias"] is None and sent["x_vendor_flag"] is False
    assert sent["model"] == "gpt-test-upstream"
    assert "stream_options" not in sent


def test_tool_calls_come_back_to_the_sdk(tollgate_server, key, upstream):
    upstream.tool_calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        },
        {
            "id": "call_2",
            "type": "function",
            "function": {"name": "get_time", "arguments": '{"tz":"CET"}'},
        },
    ]
    client = client_for(tollgate_server, key)
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]

    completion = client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "Weather?"}], tools=tools
    )
    calls = completion.choices[0].message.tool_calls
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]

    stream = client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "Weather?"}],
        tools=tools,
        stream=True,
    )
    arguments: dict[int, str] = {}
    for chunk in stream:
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            arguments[call.index] = arguments.get(call.index, "") + (call.function.arguments or "")
    assert arguments == {0: '{"city":"Paris"}', 1: '{"tz":"CET"}'}


def test_embeddings_in_the_sdks_default_base64_encoding(tollgate_server, key, upstream):
    result = client_for(tollgate_server, key).embeddings.create(model="gpt-test", input=["a", "b"])

    assert upstream.received[0].json["encoding_format"] == "base64"
    assert [round(v, 3) for v in result.data[1].embedding] == [0.5, -0.25, 0.125]
    assert result.usage.prompt_tokens == 6


def test_models_lists_only_what_the_key_may_use(tollgate_server, alice, account_a, gpt):
    from tests.proxy.conftest import add_model, make_key

    add_model("private-model", public=False)
    add_model("other-model")
    key = make_key(account_a, alice, allowed_models=["gpt-test", "private-model"])
    client = client_for(tollgate_server, key)

    assert [m.id for m in client.models.list()] == ["gpt-test"]
    assert client.models.retrieve("gpt-test").id == "gpt-test"
    with pytest.raises(openai.PermissionDeniedError):
        client.models.retrieve("other-model")


async def test_async_client_streams_and_completes(tollgate_server, key):
    client = openai.AsyncOpenAI(base_url=f"{tollgate_server.url}/v1", api_key=key, max_retries=0)

    completion = await client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "Hi"}]
    )
    stream = await client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream])

    assert completion.choices[0].message.content == "Hello from the fake upstream"
    assert text.strip() == "Hello from the fake upstream"
    await client.close()


def test_request_details_can_be_fetched_by_any_key_of_the_account(
    tollgate_server, key, alice, account_a
):
    from tests.proxy.conftest import make_key

    raw = client_for(tollgate_server, key).chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": "Hi"}]
    )
    request_id = raw.headers["x-request-id"]
    wait_for_record(request_id)
    other_key = make_key(account_a, alice, name="another")

    response = httpx.get(
        f"{tollgate_server.url}/v1/requests/{request_id}",
        headers={"authorization": f"Bearer {other_key}"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["cost_usd"] == "0.000020" and body["usage"]["output_tokens"] == 5
    assert body["status"] == 200 and body["model"] == "gpt-test"


def test_request_details_of_another_account_are_not_found(tollgate_server, key, charlie, account_b):
    from tests.proxy.conftest import make_key

    raw = client_for(tollgate_server, key).chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": "Hi"}]
    )
    request_id = raw.headers["x-request-id"]
    wait_for_record(request_id)
    outsider = make_key(account_b, charlie)

    response = httpx.get(
        f"{tollgate_server.url}/v1/requests/{request_id}",
        headers={"authorization": f"Bearer {outsider}"},
    )

    assert response.status_code == 404
