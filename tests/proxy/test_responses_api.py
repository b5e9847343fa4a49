"""POST /v1/responses with the official openai SDK: relayed to an OpenAI route, translated to a
chat-only route, with a function tool round trip, metering and the WebSocket probe."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.proxy.conftest import add_model, make_key, wait_for_record, wait_for_records

pytestmark = pytest.mark.django_db(transaction=True)

SHELL = {
    "type": "function",
    "name": "shell",
    "description": "Runs a command",
    "parameters": {
        "type": "object",
        "properties": {"command": {"type": "string"}},
        "required": ["command"],
    },
    "strict": False,
}
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "shell", "arguments": '{"command":"ls"}'},
}


def only_record(account):
    from usage.models import UsageRecord

    assert wait_for_records(account, 1) == 1
    return UsageRecord.objects.get(account=account, status_code=200)


def client_for(server, key) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=10)


@pytest.fixture
def relayed(upstream, tollgate_server, alice, account_a) -> str:
    add_model("gpt-resp", ("fake-openai", upstream.url + "/v1", 1, "openai"))
    return make_key(account_a, alice)


@pytest.fixture
def translated(upstream, tollgate_server, alice, account_a) -> str:
    add_model("chat-only", ("fake-chat", upstream.url + "/v1", 1))
    return make_key(account_a, alice)


def test_a_response_is_relayed_to_an_openai_route_and_metered(tollgate_server, relayed, upstream):
    raw = client_for(tollgate_server, relayed).responses.with_raw_response.create(
        model="gpt-resp", input="Hi", store=False
    )
    response = raw.parse()

    assert response.output_text == "Hello from the fake upstream"
    sent = upstream.received[0]
    assert sent.path == "/v1/responses"
    assert sent.json == {"model": "gpt-resp-upstream", "input": "Hi", "store": False}
    record = wait_for_record(raw.headers["x-request-id"])
    assert (record.input_tokens, record.output_tokens, record.cached_tokens) == (12, 5, 4)
    assert record.endpoint == "responses" and record.client_protocol == "responses"
    assert record.usage_estimated is False and record.cost_micros == 20


def test_a_relayed_stream_arrives_whole_and_is_metered(
    tollgate_server, relayed, upstream, account_a
):
    with client_for(tollgate_server, relayed).responses.stream(
        model="gpt-resp", input="Hi"
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()

    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert final.output_text == "Hello from the fake upstream"
    assert "stream_options" not in upstream.received[0].json
    record = only_record(account_a)
    assert (record.input_tokens, record.output_tokens, record.usage_estimated) == (12, 5, False)


def test_a_chat_only_route_answers_a_translated_response(tollgate_server, translated, upstream):
    raw = client_for(tollgate_server, translated).responses.with_raw_response.create(
        model="chat-only",
        instructions="Be brief.",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "Hi"}]}],
        max_output_tokens=50,
        include=["reasoning.encrypted_content"],
        prompt_cache_key="session-1",
        tools=[SHELL, {"type": "web_search"}],
    )
    response = raw.parse()

    assert response.status == "completed"
    assert response.output_text == "Hello from the fake upstream"
    assert response.model == "chat-only"
    assert response.usage.input_tokens == 12 and response.usage.total_tokens == 17
    sent = upstream.received[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.json["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    assert sent.json["max_tokens"] == 50
    assert [t["function"]["name"] for t in sent.json["tools"]] == ["shell"]
    record = wait_for_record(raw.headers["x-request-id"])
    assert (record.input_tokens, record.output_tokens, record.cost_micros) == (12, 5, 20)


def test_a_translated_stream_has_the_full_event_sequence(tollgate_server, translated, account_a):
    with client_for(tollgate_server, translated).responses.stream(
        model="chat-only", input="Hi"
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()

    kinds = [event.type for event in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text.strip() == "Hello from the fake upstream"
    assert final.output_text.strip() == "Hello from the fake upstream"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (12, 5)
    record = only_record(account_a)
    assert (record.output_tokens, record.usage_estimated) == (5, False)


@pytest.mark.parametrize("route", ["relayed", "translated"])
def test_a_function_tool_round_trip_works_on_both_kinds_of_route(
    tollgate_server, upstream, route, request
):
    key = request.getfixturevalue(route)
    model = "gpt-resp" if route == "relayed" else "chat-only"
    client = client_for(tollgate_server, key)
    upstream.tool_calls = [CALL]
    with client.responses.stream(model=model, input="List files", tools=[SHELL]) as stream:
        first = stream.get_final_response()

    calls = [item for item in first.output if item.type == "function_call"]
    assert [(c.call_id, c.name, c.arguments) for c in calls] == [
        ("call_1", "shell", '{"command":"ls"}')
    ]
    upstream.tool_calls = None
    history = [
        {"role": "user", "content": "List files"},
        calls[0].model_dump(exclude_none=True),
        {"type": "function_call_output", "call_id": "call_1", "output": "a.txt\nb.txt"},
    ]
    second = client.responses.create(model=model, input=history, tools=[SHELL])

    assert second.output_text.strip() == "Hello from the fake upstream"
    sent = upstream.received[1].json
    if route == "translated":
        assert sent["messages"][1]["tool_calls"][0]["id"] == "call_1"
        assert sent["messages"][2] == {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": "a.txt\nb.txt",
        }
    else:
        assert sent["input"][2]["output"] == "a.txt\nb.txt"


def test_a_call_without_its_output_is_answered_aborted_for_chat_upstreams(
    tollgate_server, translated, upstream
):
    history = [
        {"role": "user", "content": "List files"},
        {"type": "function_call", "call_id": "call_9", "name": "shell", "arguments": "{}"},
        {"role": "user", "content": "Never mind."},
    ]
    client_for(tollgate_server, translated).responses.create(model="chat-only", input=history)

    messages = upstream.received[0].json["messages"]
    assert messages[2] == {"role": "tool", "tool_call_id": "call_9", "content": "aborted"}
    assert messages[3] == {"role": "user", "content": "Never mind."}


def test_previous_response_id_is_refused_on_a_translated_route(tollgate_server, translated):
    with pytest.raises(openai.BadRequestError, match="previous_response_id"):
        client_for(tollgate_server, translated).responses.create(
            model="chat-only", input="And then?", previous_response_id="resp_123"
        )


def test_the_websocket_probe_gets_426_so_codex_falls_back_to_http(tollgate_server):
    answer = httpx.get(
        f"{tollgate_server.url}/v1/responses",
        headers={
            "connection": "Upgrade",
            "upgrade": "websocket",
            "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
            "sec-websocket-version": "13",
            "openai-beta": "responses_websockets=2026-02-06",
        },
    )

    assert answer.status_code == 426
    assert answer.json()["error"]["code"] == "websocket_not_supported"


def test_a_plain_get_is_not_allowed(tollgate_server):
    answer = httpx.get(f"{tollgate_server.url}/v1/responses")

    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"


def test_an_anthropic_route_answers_a_streamed_response_with_a_tool_call(
    tollgate_server, claude_upstream, alice, account_a
):
    add_model("claude-resp", ("fake-claude", claude_upstream.url, 1, "anthropic"))
    key = make_key(account_a, alice)
    claude_upstream.tool_uses = [{"id": "toolu_1", "name": "shell", "input": {"command": "ls"}}]
    with client_for(tollgate_server, key).responses.stream(
        model="claude-resp",
        instructions="Be brief.",
        input="List files",
        tools=[SHELL],
        reasoning={"effort": "low", "summary": "auto"},
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()

    assert kinds[-1] == "response.completed"
    assert [item.type for item in final.output] == ["message", "function_call"]
    assert final.output[1].call_id == "toolu_1" and final.output[1].arguments == '{"command":"ls"}'
    sent = claude_upstream.received[0].json
    assert sent["system"] == [{"type": "text", "text": "Be brief."}]
    assert sent["tools"][0]["name"] == "shell" and sent["thinking"]["type"] == "enabled"
    assert final.usage.input_tokens > 0 and final.usage.output_tokens > 0


def test_a_translated_stream_cut_by_the_upstream_ends_in_response_failed(
    tollgate_server, translated, upstream
):
    upstream.cut_after = 3
    failed = []
    with client_for(tollgate_server, translated).responses.stream(
        model="chat-only", input="Hi"
    ) as stream:
        failed = [event for event in stream if event.type == "response.failed"]

    assert len(failed) == 1
    assert failed[0].response.error.code == "server_error"
    assert "cut" in failed[0].response.error.message


def test_previous_response_id_continues_a_stored_conversation_on_a_translated_route(
    tollgate_server, translated, upstream
):
    client = client_for(tollgate_server, translated)
    with client.responses.stream(model="chat-only", input="Hi", store=True) as stream:
        first = stream.get_final_response()
    second = client.responses.create(
        model="chat-only", input="And then?", previous_response_id=first.id, store=True
    )
    client.responses.create(model="chat-only", input="Last.", previous_response_id=second.id)

    assert [m["content"].strip() for m in upstream.received[2].json["messages"]] == [
        "Hi",
        "Hello from the fake upstream",
        "And then?",
        "Hello from the fake upstream",
        "Last.",
    ]


def test_a_stored_response_is_not_found_from_another_account_or_without_store(
    tollgate_server, translated, charlie, account_b
):
    client = client_for(tollgate_server, translated)
    kept = client.responses.create(model="chat-only", input="Hi", store=True)
    not_kept = client.responses.create(model="chat-only", input="Hi")
    other = client_for(tollgate_server, make_key(account_b, charlie))

    with pytest.raises(openai.BadRequestError, match="store=true"):
        client.responses.create(model="chat-only", input="Hi", previous_response_id=not_kept.id)
    with pytest.raises(openai.BadRequestError, match="not known here"):
        other.responses.create(model="chat-only", input="Hi", previous_response_id=kept.id)
