"""A model served by a Gemini route, called by the openai and anthropic SDKs (translated):
text, streams, function calls with their thought signatures, thinking, usage and errors."""

import anthropic
import openai
import pytest

from tests.proxy.conftest import GEMINI_KEY, add_gemini_model, add_model, make_key, wait_for_record

pytestmark = pytest.mark.django_db(transaction=True)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture
def gkey(alice, account_a, gemini_fake, tollgate_server) -> str:
    add_gemini_model("gemini-test", gemini_fake)
    return make_key(account_a, alice)


def openai_client(server, key) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=10)


def anthropic_client(server, key) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key=key, max_retries=0, timeout=10)


def test_a_chat_completion_is_answered_by_gemini(tollgate_server, gkey, gemini_fake):
    client = openai_client(tollgate_server, gkey)
    raw = client.chat.completions.with_raw_response.create(
        model="gemini-test",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
        max_tokens=64,
        temperature=0.3,
        stop=["END"],
    )
    completion = raw.parse()

    assert completion.choices[0].message.content == "Hello from the fake Gemini"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == 20
    assert completion.usage.completion_tokens == 10
    assert completion.usage.prompt_tokens_details.cached_tokens == 5
    received = gemini_fake.received[0]
    assert received.path == "/v1beta/models/gemini-test-upstream:generateContent"
    assert received.headers["x-goog-api-key"] == GEMINI_KEY
    sent = received.json
    assert sent["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert sent["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]
    config = sent["generationConfig"]
    assert (config["maxOutputTokens"], config["temperature"]) == (64, 0.3)
    assert config["stopSequences"] == ["END"]
    record = wait_for_record(raw.headers["x-request-id"])
    assert record.client_protocol == "openai" and record.provider == "fake-gemini"
    assert (record.input_tokens, record.cached_tokens, record.output_tokens) == (20, 5, 10)


def test_a_stream_is_translated_with_usage(tollgate_server, gkey, gemini_fake):
    gemini_fake.thought = "Thinking about greetings"
    client = openai_client(tollgate_server, gkey)
    chunks = list(
        client.chat.completions.create(
            model="gemini-test",
            messages=[{"role": "user", "content": "Hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from the fake Gemini"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage.completion_tokens == 10
    assert gemini_fake.received[0].path.endswith(":streamGenerateContent")


def test_tool_calls_round_trip_with_their_signatures(tollgate_server, gkey, gemini_fake):
    gemini_fake.reply = ""
    gemini_fake.function_calls = [
        {"name": "get_weather", "args": {"city": "Paris"}},
        {"name": "get_weather", "args": {"city": "Rome"}},
    ]
    client = openai_client(tollgate_server, gkey)
    question = [{"role": "user", "content": "Weather in Paris and Rome?"}]
    first = client.chat.completions.create(model="gemini-test", messages=question, tools=[WEATHER])

    assert first.choices[0].finish_reason == "tool_calls"
    calls = first.choices[0].message.tool_calls
    assert [(c.function.name, c.function.arguments) for c in calls] == [
        ("get_weather", '{"city":"Paris"}'),
        ("get_weather", '{"city":"Rome"}'),
    ]
    declared = gemini_fake.received[0].json["tools"][0]["functionDeclarations"][0]
    assert declared["name"] == "get_weather"
    assert declared["parametersJsonSchema"]["properties"]["city"] == {"type": "string"}

    gemini_fake.function_calls = None
    gemini_fake.reply = "Sunny in both."
    history = [
        *question,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": calls[0].id, "content": "18C"},
        {"role": "tool", "tool_call_id": calls[1].id, "content": "25C"},
    ]
    second = client.chat.completions.create(model="gemini-test", messages=history, tools=[WEATHER])

    assert second.choices[0].message.content == "Sunny in both."
    contents = gemini_fake.received[1].json["contents"]
    model_turn, answers = contents[1], contents[2]
    assert model_turn["role"] == "model"
    assert [p["functionCall"]["args"] for p in model_turn["parts"]] == [
        {"city": "Paris"},
        {"city": "Rome"},
    ]
    assert model_turn["parts"][0]["thoughtSignature"] == "c2lnLTA="  # Gemini's own, kept
    assert answers["role"] == "user"
    responses = [p["functionResponse"] for p in answers["parts"]]
    assert [r["name"] for r in responses] == ["get_weather", "get_weather"]
    assert "18C" in str(responses[0]["response"]) and "25C" in str(responses[1]["response"])


def test_streamed_tool_calls_reach_an_openai_client_whole(tollgate_server, gkey, gemini_fake):
    gemini_fake.reply = "Let me check."
    gemini_fake.function_calls = [{"name": "get_weather", "args": {"city": "Paris"}}]
    client = openai_client(tollgate_server, gkey)
    chunks = list(
        client.chat.completions.create(
            model="gemini-test",
            messages=[{"role": "user", "content": "Weather in Paris?"}],
            tools=[WEATHER],
            stream=True,
        )
    )

    deltas = [c.choices[0].delta for c in chunks if c.choices]
    fragments = [call for d in deltas for call in d.tool_calls or []]
    assert fragments[0].function.name == "get_weather" and fragments[0].id
    assert "".join(f.function.arguments or "" for f in fragments) == '{"city":"Paris"}'
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_an_anthropic_client_gets_a_message_from_gemini(tollgate_server, gkey, gemini_fake):
    gemini_fake.thought = "Considering"
    client = anthropic_client(tollgate_server, gkey)
    message = client.messages.create(
        model="gemini-test",
        max_tokens=200,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hi"}],
        thinking={"type": "enabled", "budget_tokens": 1024},
    )
    with client.messages.stream(
        model="gemini-test", max_tokens=200, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        streamed = stream.get_final_message()

    texts = [b.text for b in message.content if b.type == "text"]
    assert texts == ["Hello from the fake Gemini"]
    # Gemini's thought summaries have no Anthropic signature: not shown (see translation policy)
    assert [b.type for b in message.content] == ["text"]
    assert message.stop_reason == "end_turn"
    # Anthropic counts the prompt without its cached part: 20 - 5
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens) == (15, 5)
    assert message.usage.output_tokens == 10
    sent = gemini_fake.received[0].json
    thinking = sent["generationConfig"]["thinkingConfig"]
    assert thinking["thinkingBudget"] == 1024 and thinking["includeThoughts"] is True
    assert "".join(b.text for b in streamed.content if b.type == "text") == (
        "Hello from the fake Gemini"
    )
    assert streamed.usage.output_tokens == 10


def test_a_responses_client_is_served_by_gemini(tollgate_server, gkey, gemini_fake):
    client = openai_client(tollgate_server, gkey)
    response = client.responses.create(model="gemini-test", input="Hi", instructions="Be brief.")

    assert response.output_text == "Hello from the fake Gemini"
    assert response.usage.input_tokens == 20 and response.usage.output_tokens == 10
    assert gemini_fake.received[0].json["systemInstruction"] == {"parts": [{"text": "Be brief."}]}


def test_a_gemini_error_reaches_openai_clients_in_their_shape(tollgate_server, gkey, gemini_fake):
    gemini_fake.status = 400
    client = openai_client(tollgate_server, gkey)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="gemini-test", messages=[{"role": "user", "content": "Hi"}]
        )

    assert "fake INVALID_ARGUMENT" in caught.value.message


def test_our_own_bad_gemini_key_is_not_blamed_on_the_client(tollgate_server, gkey, gemini_fake):
    gemini_fake.status = 400
    gemini_fake.error_reason = "API_KEY_INVALID"
    client = openai_client(tollgate_server, gkey)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(
            model="gemini-test", messages=[{"role": "user", "content": "Hi"}]
        )

    assert caught.value.status_code == 502


def test_a_cut_gemini_stream_ends_with_an_error_event(tollgate_server, gkey, gemini_fake):
    gemini_fake.cut_after = 2
    client = anthropic_client(tollgate_server, gkey)
    stream = client.messages.stream(
        model="gemini-test", max_tokens=200, messages=[{"role": "user", "content": "Hi"}]
    )
    with pytest.raises(anthropic.APIStatusError) as caught, stream as events:
        for _ in events:
            pass

    assert "cut" in str(caught.value.body) or "cut" in str(caught.value)


PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
    "rkJggg=="
)


def test_an_image_and_a_reasoning_effort_reach_gemini(tollgate_server, gkey, gemini_fake):
    gemini_fake.thought = "Looking at the pixel"
    client = openai_client(tollgate_server, gkey)
    completion = client.chat.completions.create(
        model="gemini-test",
        reasoning_effort="low",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                ],
            }
        ],
    )

    assert completion.choices[0].message.content == "Hello from the fake Gemini"
    assert completion.choices[0].message.model_extra["reasoning_content"] == (
        "Looking at the pixel"
    )
    sent = gemini_fake.received[0].json
    assert sent["contents"][0]["parts"] == [
        {"text": "What is this?"},
        {"inlineData": {"mimeType": "image/png", "data": PNG}},
    ]
    thinking = sent["generationConfig"]["thinkingConfig"]
    assert thinking == {"thinkingBudget": 1024, "includeThoughts": True}


def test_a_gemini_conversation_can_fail_over_to_an_openai_route(
    tollgate_server, gkey, gemini_fake, upstream
):
    """Ids of Gemini calls carry their signatures and run long; OpenAI takes 40 characters."""
    gemini_fake.reply = ""
    gemini_fake.function_calls = [{"name": "get_weather", "args": {"city": "Paris"}}]
    client = openai_client(tollgate_server, gkey)
    question = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model="gemini-test", messages=question, tools=[WEATHER])
    call = first.choices[0].message.tool_calls[0]
    add_model("gpt-after", ("fake-openai", upstream.url + "/v1", 1))

    client.chat.completions.create(
        model="gpt-after",
        messages=[
            *question,
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "18C"},
        ],
        tools=[WEATHER],
    )

    sent = upstream.received[0].json["messages"]
    assert len(call.id) > 40
    assert sent[1]["tool_calls"][0]["id"] == sent[2]["tool_call_id"]
    assert len(sent[2]["tool_call_id"]) <= 40
