"""Azure OpenAI routes: deployment URLs, the api-version query and the api-key header."""

from __future__ import annotations

from datetime import UTC, datetime

import openai
import pytest

from proxy.catalog import ProviderConfig
from proxy.models import Model, Price, Provider, Route
from proxy.providers import get_provider
from proxy.providers.azure_openai import DEFAULT_API_VERSION, split_base_url
from tests.proxy.conftest import make_key, wait_for_record
from tests.proxy.test_images_audio import wav_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def azure(tollgate_server, upstream):
    """Three deployments on a fake Azure resource (the OpenAI fake under Azure's paths)."""
    provider = Provider(
        name="azure-east",
        kind="azure_openai",
        base_url=f"{upstream.url}/?api-version=2024-06-01",
        read_timeout_s=5.0,
    )
    provider.set_api_key("azure-secret-key")
    provider.save()
    for model_id, deployment, prices in (
        ("gpt-azure", "gpt4o-prod", {}),
        ("embed-azure", "embed-small", {}),
        ("whisper-azure", "whisper-prod", {"per_audio_minute_micros": 6_000}),
    ):
        model = Model.objects.create(
            public_id=model_id, display_name=model_id, max_output_tokens=1000
        )
        Price.objects.create(
            model=model,
            input_per_mtok_micros=1_000_000,
            output_per_mtok_micros=2_000_000,
            cached_input_per_mtok_micros=500_000,
            effective_from=datetime(2020, 1, 1, tzinfo=UTC),
            **prices,
        )
        Route.objects.create(model=model, provider=provider, upstream_model=deployment)
    return upstream


@pytest.fixture
def client(tollgate_server, azure, alice, account_a) -> openai.OpenAI:
    key = make_key(account_a, alice)
    return openai.OpenAI(
        base_url=f"{tollgate_server.url}/v1", api_key=key, max_retries=0, timeout=10
    )


def assert_azure_request(received, deployment: str, path: str) -> None:
    assert received.path == f"/openai/deployments/{deployment}{path}"
    assert received.query == "api-version=2024-06-01"
    assert received.headers["api-key"] == "azure-secret-key"
    assert "authorization" not in received.headers


def test_chat_goes_to_the_deployment_url_with_the_api_key(client, azure):
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-azure", messages=[{"role": "user", "content": "Hi"}], temperature=0
    )

    assert raw.parse().choices[0].message.content == "Hello from the fake upstream"
    sent = azure.received[0]
    assert_azure_request(sent, "gpt4o-prod", "/chat/completions")
    assert sent.json["model"] == "gpt4o-prod"
    assert sent.json["temperature"] == 0
    record = wait_for_record(raw.headers["x-request-id"])
    assert (record.provider, record.upstream_model) == ("azure-east", "gpt4o-prod")
    assert (record.input_tokens, record.output_tokens, record.cost_micros) == (12, 5, 20)


def test_a_chat_stream_is_relayed_and_metered(client, azure):
    stream = client.chat.completions.create(
        model="gpt-azure", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    assert text.strip() == "Hello from the fake upstream"
    sent = azure.received[0]
    assert_azure_request(sent, "gpt4o-prod", "/chat/completions")
    assert sent.json["stream_options"] == {"include_usage": True}
    record = wait_for_record(stream.response.headers["x-request-id"])
    assert (record.stream, record.output_tokens, record.usage_estimated) == (True, 5, False)


def test_embeddings_go_to_the_embeddings_deployment(client, azure):
    result = client.embeddings.create(model="embed-azure", input=["one", "two"])

    assert len(result.data) == 2
    assert_azure_request(azure.received[0], "embed-small", "/embeddings")


def test_a_transcription_goes_to_the_whisper_deployment(client, azure):
    audio = wav_bytes(0.5)
    raw = client.audio.transcriptions.with_raw_response.create(
        model="whisper-azure", file=("a.wav", audio, "audio/wav")
    )

    assert raw.parse().text == "Hello from the fake transcription"
    sent = azure.received[0]
    assert_azure_request(sent, "whisper-prod", "/audio/transcriptions")
    assert sent.form["file"][2] == audio
    assert sent.form["model"][2] == b"whisper-prod"
    record = wait_for_record(raw.headers["x-request-id"])
    assert (record.units, record.cost_micros) == (1500, 150)


def test_an_azure_error_is_relayed_in_openais_shape(client, azure):
    azure.status = 400
    azure.error_body = (
        b'{"error": {"message": "The response was filtered", "type": null, '
        b'"param": "prompt", "code": "content_filter"}}'
    )

    with pytest.raises(openai.BadRequestError, match="filtered") as refused:
        client.chat.completions.create(
            model="gpt-azure", messages=[{"role": "user", "content": "Hi"}]
        )

    assert refused.value.code == "content_filter"


@pytest.mark.parametrize(
    ("base_url", "root", "version"),
    [
        ("https://res.openai.azure.com", "https://res.openai.azure.com", DEFAULT_API_VERSION),
        ("https://res.openai.azure.com/", "https://res.openai.azure.com", DEFAULT_API_VERSION),
        (
            "https://res.openai.azure.com/openai?api-version=2025-04-01-preview",
            "https://res.openai.azure.com",
            "2025-04-01-preview",
        ),
    ],
)
def test_the_api_version_comes_from_the_base_url_or_the_default(base_url, root, version):
    assert split_base_url(base_url) == (root, version)


def test_the_deployment_name_is_quoted_in_the_url():
    config = ProviderConfig(
        id=1,
        name="azure",
        kind="azure_openai",
        base_url="https://res.openai.azure.com",
        api_key="k",
        extra_headers=(),
        connect_timeout_s=1,
        first_byte_timeout_s=1,
        read_timeout_s=1,
    )
    provider = get_provider(config)

    assert provider.url("embeddings", "my deployment/x") == (
        "https://res.openai.azure.com/openai/deployments/my%20deployment%2Fx/embeddings"
        f"?api-version={DEFAULT_API_VERSION}"
    )
    assert provider.auth_headers() == {"api-key": "k"}
