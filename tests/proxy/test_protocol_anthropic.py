"""proxy/protocols/anthropic.py on recorded payloads: parsing, rendering, streams, errors."""

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
    Thinking,
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
from proxy.protocols import anthropic
from tests.proxy.protocol_fixtures import decode, encode, load_json, recorded_events, sse_of


def test_a_claude_code_request_is_parsed_with_its_system_messages_hoisted():
    request = anthropic.parse_request(load_json("anthropic/request_claude_code.json"))

    assert request.system == [
        "x-anthropic-billing-header: cc_version=2.1.197.123;",
        "You are a Claude agent.",
        "Available agent types: none.",
    ]
    assert [m.role for m in request.messages] == ["user", "assistant", "user"]
    assistant = request.messages[1].parts
    assert assistant[0] == Thinking("I should list it.", "EqQBsig")
    assert assistant[2] == ToolUse("toolu_01A", "Bash", {"command": "ls /tmp"})
    results = request.messages[2].parts
    assert results[0] == ToolResult("toolu_01A", [Text("a\nb")])
    assert results[1] == ToolResult("toolu_01B", [Text("file a")])
    assert results[3] == Image(media_type="image/png", data="iVBORw0KGgo=")
    assert [t.name for t in request.tools] == ["Bash", "Read"]  # the server tool is dropped
    assert request.tool_choice == ToolChoice("auto", "", parallel=False)
    assert (request.max_tokens, request.temperature, request.top_k) == (32000, 0.5, 40)
    assert request.stop == ["\n\nHuman:"]
    assert request.thinking_budget is None  # adaptive: the upstream model decides
    assert request.stream is True and request.user.startswith('{"device_id"')


def test_render_then_parse_gives_the_same_request_back():
    request = ChatRequest(
        model="m",
        system=["Be brief."],
        messages=[
            Message("user", [Text("Hi"), Image(url="https://example.com/a.png")]),
            Message("assistant", [Text("Calling."), ToolUse("call_1", "f", {"a": 1})]),
            Message("user", [ToolResult("call_1", [Text("ok")], is_error=True), Text("Next")]),
        ],
        max_tokens=100,
        temperature=0.3,
        top_p=0.9,
        top_k=5,
        stop=["X"],
        stream=True,
        tools=[Tool("f", "does f", {"type": "object", "properties": {"a": {"type": "integer"}}})],
        tool_choice=ToolChoice("tool", "f", parallel=False),
        user="u1",
    )

    body = anthropic.render_request(request, "m")

    assert anthropic.parse_request(body) == request
    assert body["tool_choice"] == {"type": "tool", "name": "f", "disable_parallel_tool_use": True}


def test_rendering_pairs_tool_results_with_their_calls_and_cleans_ids():
    request = ChatRequest(
        model="m",
        messages=[
            Message("user", [Text("go"), Text("  ")]),
            Message("assistant", [ToolUse("call.1", "f"), ToolUse("call_2", "g")]),
            Message(
                "user", [Text("more"), ToolResult("call.1", [Text("r1")]), ToolResult("x", [])]
            ),
        ],
    )

    messages = anthropic.render_request(request, "m", default_max_tokens=77)["messages"]

    assert messages[0]["content"] == [{"type": "text", "text": "go"}]  # blank text dropped
    assert messages[1]["content"][0]["id"] == "call_1"
    results = messages[2]["content"]
    assert [b["type"] for b in results] == ["tool_result", "tool_result", "text"]
    assert results[0]["tool_use_id"] == "call_1"
    assert results[1] == {
        "type": "tool_result",
        "tool_use_id": "call_2",
        "content": [{"type": "text", "text": anthropic.NO_RESULT}],
        "is_error": True,
    }


def test_an_openai_effort_becomes_a_thinking_budget_without_sampling_parameters():
    request = ChatRequest(model="m", messages=[Message("user", [Text("Hi")])], max_tokens=1000)
    request.reasoning_effort, request.temperature, request.top_k = "medium", 0.2, 3

    body = anthropic.render_request(request, "m")

    assert body["thinking"] == {"type": "enabled", "budget_tokens": 8192}
    assert body["max_tokens"] == 9192
    assert "temperature" not in body and "top_k" not in body


def test_a_forced_tool_call_leaves_thinking_off_and_temperature_is_clamped():
    request = ChatRequest(model="m", messages=[Message("user", [Text("Hi")])], temperature=1.7)
    request.reasoning_effort, request.tools = "high", [Tool("f")]
    request.tool_choice = ToolChoice("any")

    body = anthropic.render_request(request, "m", default_max_tokens=500)

    assert "thinking" not in body
    assert (body["temperature"], body["max_tokens"]) == (1.0, 500)


def test_a_response_is_parsed_with_usage_in_our_buckets():
    response = anthropic.parse_response(load_json("anthropic/response_tool_use.json"))

    assert response.parts == [
        Thinking("The user wants weather.", "EqQBsig"),
        Text("I'll check the weather."),
        ToolUse("toolu_01Vx3", "get_weather", {"city": "Paris"}),
    ]
    assert response.finish == FinishReason.TOOL_USE
    assert response.usage == Usage(input=2620, output=91, cached=2048, cache_write=100)


def test_a_response_renders_back_without_unsigned_thinking():
    response = anthropic.parse_response(load_json("anthropic/response_tool_use.json"))
    response.parts[0] = Thinking("from another provider")

    body = anthropic.render_response(response, "claude-test")

    assert [b["type"] for b in body["content"]] == ["text", "tool_use"]
    assert body["model"] == "claude-test" and body["stop_reason"] == "tool_use"
    assert body["usage"] == {
        "input_tokens": 472,
        "cache_creation_input_tokens": 100,
        "cache_read_input_tokens": 2048,
        "output_tokens": 91,
    }


def test_a_recorded_stream_decodes_to_canonical_events():
    events = decode(anthropic, recorded_events("anthropic/stream_tool_use.sse"))

    start_usage = Usage(input=2520, output=1, cached=2048)
    assert events[0] == StreamStart("msg_01Stream", "claude-sonnet-4-5", start_usage)
    assert events[1:6] == [
        ThinkingDelta("Weather, so a tool."),
        ThinkingDelta(signature="EqQBsig"),
        TextDelta("I'll check"),
        TextDelta(" the weather."),
        ToolCallStart(0, "toolu_01Vx3", "get_weather"),
    ]
    assert events[6:8] == [ToolCallDelta(0, '{"city": "Par'), ToolCallDelta(0, 'is"}')]
    assert events[8] == UsageUpdate(Usage(input=2520, output=89, cached=2048))
    assert events[9] == StreamStop(FinishReason.TOOL_USE)


def test_an_error_event_decodes_to_a_stream_error():
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    blob = b"event: error\ndata: " + orjson.dumps(error) + b"\n\n"

    assert decode(anthropic, sse_of(blob)) == [StreamError(529, "overloaded_error", "Overloaded")]


def test_encoding_writes_every_event_with_its_name_and_block_indices_in_order():
    events = [
        StreamStart("chatcmpl-1", "gpt"),
        TextDelta("Hi"),
        ToolCallStart(0, "call.a", "f"),
        ToolCallDelta(0, '{"x":'),
        ToolCallDelta(0, "1}"),
        StreamStop(FinishReason.TOOL_USE),
        UsageUpdate(Usage(input=20, output=5, cached=4)),
    ]

    written = sse_of(encode(anthropic, events, model="claude-test"))

    names = [e.event for e in written]
    assert names == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    payloads = [orjson.loads(e.data) for e in written]
    assert payloads[0]["message"]["model"] == "claude-test"
    assert payloads[4]["content_block"] == {
        "type": "tool_use",
        "id": "call_a",
        "name": "f",
        "input": {},
    }
    assert [p.get("index") for p in payloads[1:8]] == [0, 0, 0, 1, 1, 1, 1]
    assert payloads[8]["delta"]["stop_reason"] == "tool_use"
    assert payloads[8]["usage"] == {
        "input_tokens": 16,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 4,
        "output_tokens": 5,
    }


def test_an_upstream_error_mid_stream_is_written_as_an_error_event():
    events = [StreamStart("x", "m"), TextDelta("a"), StreamError(529, "overloaded_error", "busy")]

    written = sse_of(encode(anthropic, events, model="m"))

    assert written[-1].event == "error"
    assert orjson.loads(written[-1].data)["error"] == {
        "type": "overloaded_error",
        "message": "busy",
    }


def test_errors_render_in_anthropics_shape_with_a_request_id():
    error = ApiError(529, "overloaded_error", "upstream_overloaded", "Busy.")

    status, body, headers = anthropic.render_error(error, "req_1")

    assert status == 529
    assert orjson.loads(body) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Busy."},
        "request_id": "req_1",
    }
    assert (b"request-id", b"req_1") in headers
