"""What else crosses a translated Responses call, with the official openai SDK: `text.format`
(and chat's `response_format`) as structured output, custom tools as custom_tool_call items,
and a relayed stream cut by the provider ending under its own response id."""

from __future__ import annotations

import json

import openai
import pytest

from proxy.protocols.anthropic import JSON_OBJECT_INSTRUCTION
from proxy.protocols.responses.stream import InputDecoder
from tests.proxy.conftest import add_model, make_key

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}
TEXT_FORMAT = {
    "format": {
        "type": "json_schema",
        "name": "codex_output_schema",
        "schema": SCHEMA,
        "strict": True,
    },
    "verbosity": "low",
}
APPLY_PATCH = {
    "type": "custom",
    "name": "apply_patch",
    "description": "Applies a patch",
    "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/s"},
}
PATCH = '*** Begin Patch\n*** Add File: "é😀.txt"\n+tab\there \\ back\n*** End Patch\n'


def client_for(server, key) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=10)


@pytest.fixture
def translated(upstream, tollgate_server, alice, account_a) -> str:
    add_model("chat-only", ("fake-chat", upstream.url + "/v1", 1))
    return make_key(account_a, alice)


@pytest.fixture
def claude(claude_upstream, tollgate_server, alice, account_a) -> str:
    add_model("claude-resp", ("fake-claude", claude_upstream.url, 1, "anthropic"))
    return make_key(account_a, alice)


def test_a_json_schema_text_format_reaches_a_chat_route_as_response_format(
    tollgate_server, translated, upstream
):
    response = client_for(tollgate_server, translated).responses.create(
        model="chat-only", input="Answer in JSON.", text=TEXT_FORMAT
    )

    assert upstream.received[0].json["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "codex_output_schema", "schema": SCHEMA, "strict": True},
    }
    assert "verbosity" not in upstream.received[0].json
    assert response.text.format.type == "json_schema"  # the request's settings are echoed


def test_a_json_schema_text_format_reaches_claude_as_structured_output(
    tollgate_server, claude, claude_upstream
):
    client_for(tollgate_server, claude).responses.create(
        model="claude-resp", input="Answer in JSON.", text=TEXT_FORMAT
    )

    sent = claude_upstream.received[0].json
    assert sent["output_config"] == {"format": {"type": "json_schema", "schema": SCHEMA}}
    assert "system" not in sent


def test_json_object_becomes_an_instruction_for_claude_and_response_format_for_chat(
    tollgate_server, claude, claude_upstream, translated, upstream
):
    client = client_for(tollgate_server, claude)
    client.responses.create(
        model="claude-resp",
        instructions="Be brief.",
        input="JSON please.",
        text={"format": {"type": "json_object"}},
    )
    client.responses.create(
        model="chat-only", input="JSON please.", text={"format": {"type": "json_object"}}
    )

    assert claude_upstream.received[0].json["system"] == [
        {"type": "text", "text": "Be brief."},
        {"type": "text", "text": JSON_OBJECT_INSTRUCTION},
    ]
    assert "output_config" not in claude_upstream.received[0].json
    assert upstream.received[0].json["response_format"] == {"type": "json_object"}


def test_a_chat_clients_response_format_reaches_claude(tollgate_server, claude, claude_upstream):
    client_for(tollgate_server, claude).chat.completions.create(
        model="claude-resp",
        messages=[{"role": "user", "content": "JSON please."}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": SCHEMA, "strict": True},
        },
    )

    assert claude_upstream.received[0].json["output_config"] == {
        "format": {"type": "json_schema", "schema": SCHEMA}
    }


def test_a_malformed_text_format_answers_400(tollgate_server, translated, upstream):
    client = client_for(tollgate_server, translated)
    with pytest.raises(openai.BadRequestError, match=r"text\.format\.schema"):
        client.responses.create(
            model="chat-only", input="Hi", text={"format": {"type": "json_schema", "name": "x"}}
        )
    with pytest.raises(openai.BadRequestError, match=r"text\.format\.type"):
        client.responses.create(model="chat-only", input="Hi", text={"format": {"type": "yaml"}})
    assert upstream.received == []


def patch_call(call_id: str = "call_patch") -> dict:
    arguments = json.dumps({"input": PATCH})  # \u escapes, surrogate pairs included
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": "apply_patch", "arguments": arguments},
    }


def test_a_custom_tool_round_trip_on_a_chat_route(tollgate_server, translated, upstream):
    client = client_for(tollgate_server, translated)
    upstream.tool_calls = [patch_call()]
    first = client.responses.create(model="chat-only", input="Add the file.", tools=[APPLY_PATCH])

    calls = [item for item in first.output if item.type == "custom_tool_call"]
    assert [(c.call_id, c.name, c.input) for c in calls] == [("call_patch", "apply_patch", PATCH)]
    sent = upstream.received[0].json["tools"][0]["function"]
    assert sent["name"] == "apply_patch" and sent["parameters"]["required"] == ["input"]

    upstream.tool_calls = None
    history = [
        {"role": "user", "content": "Add the file."},
        calls[0].model_dump(exclude_none=True),
        {"type": "custom_tool_call_output", "call_id": "call_patch", "output": "Done"},
    ]
    second = client.responses.create(model="chat-only", input=history, tools=[APPLY_PATCH])

    assert second.output_text == "Hello from the fake upstream"
    messages = upstream.received[1].json["messages"]
    assert json.loads(messages[1]["tool_calls"][0]["function"]["arguments"]) == {"input": PATCH}
    assert messages[2] == {"role": "tool", "tool_call_id": "call_patch", "content": "Done"}


def test_a_streamed_custom_tool_call_arrives_as_custom_tool_call_events(
    tollgate_server, translated, upstream
):
    upstream.tool_calls = [patch_call()]
    with client_for(tollgate_server, translated).responses.stream(
        model="chat-only", input="Add the file.", tools=[APPLY_PATCH]
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()

    kinds = [event.type for event in events]
    assert "response.function_call_arguments.delta" not in kinds
    deltas = [e.delta for e in events if e.type == "response.custom_tool_call_input.delta"]
    assert len(deltas) >= 2 and "".join(deltas) == PATCH  # the input grows as it arrives
    done = [e for e in events if e.type == "response.custom_tool_call_input.done"]
    assert [e.input for e in done] == [PATCH]
    added = [e.item for e in events if e.type == "response.output_item.added"]
    assert added[-1].type == "custom_tool_call" and added[-1].input == ""
    assert [(i.type, i.call_id, i.input) for i in final.output] == [
        ("custom_tool_call", "call_patch", PATCH)
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))


def test_a_custom_tool_call_of_claude_streams_as_custom_tool_call(
    tollgate_server, claude, claude_upstream
):
    claude_upstream.tool_uses = [
        {"id": "toolu_9", "name": "apply_patch", "input": {"input": PATCH}}
    ]
    with client_for(tollgate_server, claude).responses.stream(
        model="claude-resp", input="Add the file.", tools=[APPLY_PATCH]
    ) as stream:
        final = stream.get_final_response()

    assert [(i.type, getattr(i, "input", None)) for i in final.output] == [
        ("message", None),
        ("custom_tool_call", PATCH),
    ]


def test_the_input_decoder_gives_the_same_text_fed_one_character_at_a_time():
    for text in (PATCH, "", 'only "quotes"', "\\u0041 literal"):
        for wrapped in (
            json.dumps({"input": text}),
            json.dumps({"input": text}, ensure_ascii=False),
        ):
            decoder = InputDecoder()
            pieces = [decoder.feed(char) for char in wrapped]
            assert "".join(pieces) == text and decoder.decoded == text


def test_the_input_decoder_waits_for_the_end_with_json_of_another_shape():
    decoder = InputDecoder()
    assert decoder.feed('{"patch": "x", "input": "y"}') == ""


def test_a_relayed_stream_cut_by_the_provider_fails_under_its_own_response_id(
    tollgate_server, upstream, alice, account_a
):
    add_model("gpt-resp", ("fake-openai", upstream.url + "/v1", 1, "openai"))
    client = client_for(tollgate_server, make_key(account_a, alice))
    upstream.cut_after = 4
    with client.responses.stream(model="gpt-resp", input="Hi") as stream:
        events = list(stream)

    created, failed = events[0], events[-1]
    assert failed.type == "response.failed"
    assert failed.response.id == created.response.id == "resp_fake1"
    assert failed.sequence_number == events[-2].sequence_number + 1 == 4
    assert failed.response.model == "gpt-resp-upstream"
    assert failed.response.error.code == "server_error"
