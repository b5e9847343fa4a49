"""The offline demo model, end to end through the openai SDK (what `make run` offers)."""

import openai
import pytest

from proxy.catalog_file import DEMO_CATALOG, load
from tests.proxy.conftest import make_key, wait_for_record

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(tollgate_server, alice, account_a) -> openai.OpenAI:
    load(DEMO_CATALOG, {})
    key = make_key(account_a, alice)
    return openai.OpenAI(base_url=f"{tollgate_server.url}/v1", api_key=key, max_retries=0)


def test_demo_chat_quotes_the_last_user_message_and_is_charged(client):
    raw = client.chat.completions.with_raw_response.create(
        model="demo",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is Tollgate?"},
        ],
    )
    completion = raw.parse()

    assert completion.choices[0].message.content == (
        'This is the Tollgate demo model (no real LLM). You said: "What is Tollgate?"'
    )
    words = len(completion.choices[0].message.content.split(" "))
    assert completion.usage.completion_tokens == words == 14
    record = wait_for_record(raw.headers["x-request-id"])
    assert record.output_tokens == 14 and record.cost_micros > 0
    assert record.provider == "demo"


def test_demo_streams_word_by_word_with_usage_when_asked(client):
    chunks = list(
        client.chat.completions.create(
            model="demo",
            messages=[{"role": "user", "content": "hello there"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.endswith('You said: "hello there"')
    assert len(chunks) > 10
    assert chunks[-1].usage.completion_tokens == len(text.split(" ")) == 13


def test_demo_legacy_completions(client):
    completion = client.completions.create(model="demo", prompt="Say hi")

    assert completion.choices[0].text.endswith('"Say hi"')


def test_demo_embeddings_are_deterministic_unit_vectors(client):
    first = client.embeddings.create(model="demo-embedding", input="tollgate").data[0].embedding
    again = client.embeddings.create(model="demo-embedding", input="tollgate").data[0].embedding
    floats = (
        client.embeddings.create(model="demo-embedding", input="tollgate", encoding_format="float")
        .data[0]
        .embedding
    )

    assert len(first) == 64
    assert first == again
    assert [round(v, 5) for v in first] == [round(v, 5) for v in floats]
    assert abs(sum(v * v for v in first) - 1.0) < 1e-4
