"""proxy/protocols/openai.py on recorded payloads: parsing, rendering, streams, errors."""

import orjson

from proxy.canonical import (
    ChatRequest,
    FinishReason,
    Image,
    Message,
    StreamError,
    StreamStart,
    StreamStop,
    Text,
    TextDelta,
    ThinkingDelta,
    Tool,
    ToolCallDelta,
    ToolCallStart,
    ToolChoice,
    ToolResult,
    ToolUse,
    Usage,
    UsageUpdate,
)
from proxy.errors import ApiError
from proxy.protocols import anthropic, openai
from tests.proxy.protocol_fixtures import decode, encode, load_json, recorded_events, sse_of


def test_a_request_with_tools_and_images_is_parsed():
    request = openai.parse_request(load_json("openai/request_tools.json"))

    assert request.system == ["Be brief.", "Use tools when useful."]
    assert [m.role for m in request.messages] == ["user", "assistant", "user"]
    assert request.messages[0].parts[1:] == [
        Image(media_type="image/jpeg", data="/9j/4AAQ"),
        Image(url="https://example.com/cat.png"),
    ]
    calls = request.messages[1].parts
    assert calls[0] == ToolUse("call_abc", "get_weather", {"city": "Paris"})
    assert calls[1] == ToolUse("call_def", "get_weather", {})  # cut JSON: {}
    assert request.messages[2].parts == [
        ToolResult("call_abc", [Text("18C, cloudy")]),
        ToolResult("call_def", [Text("25C, sunny")]),
        Text("Thanks. Which is warmer?"),
    ]
    assert request.tools[1] == Tool("now")
    assert request.tool_choice == ToolChoice("any", parallel=False)
    assert (request.max_tokens, request.stop, request.reasoning_effort) == (300, ["END"], "low")
    assert request.include_usage is True and request.user == "user-42"


def test_it_translates_to_an_anthropic_request_with_results_first():
    request = openai.parse_request(load_json("openai/request_tools.json"))

    body = anthropic.render_request(request, "claude-up")

    assert body["system"] == [
        {"type": "text", "text": "Be brief."},
        {"type": "text", "text": "Use tools when useful."},
    ]
    user = body["messages"][0]["content"]
    assert user[1]["source"] == {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}
    assert user[2]["source"] == {"type": "url", "url": "https://example.com/cat.png"}
    last = body["messages"][2]["content"]
    assert [b["type"] for b in last] == ["tool_result", "tool_result", "text"]
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert "thinking" not in body  # a forced tool call wins over reasoning
    assert body["temperature"] == 1.0 and body["stop_sequences"] == ["END"]
    assert body["metadata"] == {"user_id": "user-42"}
    assert body["tools"][1]["input_schema"] == {"type": "object", "properties": {}}
    assert "seed" not in body and "logprobs" not in body and "stream_options" not in body


def test_render_then_parse_gives_the_same_request_back():
    request = ChatRequest(
        model="m",
        system=["Be brief."],
        messages=[
            Message("user", [Text("Hi"), Image(media_type="image/png", data="AAAA")]),
            Message("assistant", [Text("Calling."), ToolUse("call_1", "f", {"a": 1})]),
            Message("user", [ToolResult("call_1", [Text("ok")]), Text("Next")]),
        ],
        max_tokens=100,
        temperature=0.3,
        top_p=0.9,
        stop=["X"],
        stream=True,
        tools=[Tool("f", "does f", {"type": "object", "properties": {}})],
        tool_choice=ToolChoice("tool", "f"),
        reasoning_effort="high",
        user="u1",
        include_usage=True,
    )

    assert openai.parse_request(openai.render_request(request, "m")) == request


def test_an_anthropic_budget_becomes_an_effort():
    request = ChatRequest(model="m", messages=[Message("user", [Text("Hi")])], thinking_budget=3000)

    assert openai.render_request(request, "m")["reasoning_effort"] == "medium"


def test_a_response_with_parallel_tool_calls_is_parsed_and_rendered_for_anthropic():
    response = openai.parse_response(load_json("openai/response_tool_calls.json"))

    assert response.finish == FinishReason.TOOL_USE
    assert response.usage == Usage(input=120, output=30, cached=64, reasoning=10)
    body = anthropic.render_response(response, "claude-test")
    assert [b["type"] for b in body["content"]] == ["text", "tool_use", "tool_use"]
    assert body["content"][2] == {
        "type": "tool_use",
        "id": "call_def",
        "name": "get_weather",
        "input": {"city": "Rome"},
    }
    assert body["usage"]["input_tokens"] == 56 and body["usage"]["cache_read_input_tokens"] == 64


def test_an_anthropic_response_renders_for_openai_with_reasoning_content():
    response = anthropic.parse_response(load_json("anthropic/response_tool_use.json"))

    body = openai.render_response(response, "gpt-test")

    message = body["choices"][0]["message"]
    assert message["content"] == "I'll check the weather."
    assert message["reasoning_content"] == "The user wants weather."
    assert message["tool_calls"][0]["function"] == {
        "name": "get_weather",
        "arguments": '{"city":"Paris"}',
    }
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert body["usage"]["prompt_tokens"] == 2620
    assert body["usage"]["prompt_tokens_details"] == {"cached_tokens": 2048}


def test_a_recorded_stream_decodes_to_canonical_events():
    events = decode(openai, recorded_events("openai/stream_tool_calls.sse"))

    assert events == [
        StreamStart("chatcmpl-1", "gpt-4o-mini"),
        TextDelta("Checking"),
        TextDelta(" both."),
        ToolCallStart(0, "call_abc", "get_weather"),
        ToolCallDelta(0, '{"city":'),
        ToolCallDelta(0, '"Paris"}'),
        ToolCallStart(1, "call_def", "get_weather"),
        ToolCallDelta(1, '{"city":"Rome"}'),
        StreamStop(FinishReason.TOOL_USE),
        UsageUpdate(Usage(input=120, output=30, cached=64, reasoning=10)),
    ]


def test_encoding_ends_with_finish_usage_when_asked_and_done():
    events = [
        StreamStart("msg_1", "claude"),
        ThinkingDelta("hmm"),
        ThinkingDelta(signature="sig"),
        TextDelta("Hi"),
        ToolCallStart(0, "toolu_1", "f"),
        ToolCallDelta(0, "{}"),
        UsageUpdate(Usage(input=10, output=3)),
        StreamStop(FinishReason.TOOL_USE),
    ]

    written = sse_of(encode(openai, events, model="gpt-test", include_usage=True))

    chunks = [orjson.loads(e.data) for e in written[:-1]]
    assert written[-1].data == "[DONE]" and all(e.event is None for e in written)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[1]["choices"][0]["delta"] == {"reasoning_content": "hmm"}
    assert chunks[2]["choices"][0]["delta"] == {"content": "Hi"}
    assert chunks[3]["choices"][0]["delta"]["tool_calls"][0]["id"] == "toolu_1"
    assert chunks[5]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[6]["choices"] == [] and chunks[6]["usage"]["total_tokens"] == 13
    assert {c["id"] for c in chunks} == {"chatcmpl-msg_1"} and chunks[0]["model"] == "gpt-test"


def test_without_include_usage_no_usage_chunk_is_written():
    events = [StreamStart("a", "b"), TextDelta("x"), UsageUpdate(Usage(input=1, output=1))]

    written = sse_of(encode(openai, events, model="m"))

    assert all(orjson.loads(e.data)["choices"] for e in written[:-1])


def test_an_upstream_error_mid_stream_is_an_error_object():
    written = sse_of(
        encode(openai, [TextDelta("a"), StreamError(529, "overloaded_error", "x")], model="m")
    )

    assert orjson.loads(written[-1].data)["error"]["code"] == "overloaded_error"


def test_a_529_is_a_503_for_openai_clients():
    status, body, _ = openai.render_error(ApiError(529, "overloaded_error", "c", "Busy."), "r")

    assert status == 503 and orjson.loads(body)["error"]["type"] == "api_error"
