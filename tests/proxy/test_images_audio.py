"""Images, transcriptions and speech through the openai SDK: relayed, priced per unit."""

from __future__ import annotations

import io
import math
import struct
import time
import wave
from datetime import UTC, datetime

import httpx
import openai
import pytest

from proxy.models import Model, Price, Provider, Route
from tests.proxy.conftest import fund, make_key, wait_for_record
from usage.models import UsageRecord
from usage.settlement import settle_account

pytestmark = pytest.mark.django_db(transaction=True)

IMAGE_MICROS = 40_000  # $0.04 per image
MINUTE_MICROS = 6_000  # $0.006 per audio minute
MCHAR_MICROS = 15_000_000  # $15 per 1M characters


def add_media_model(model_id: str, base_url: str, kind: str = "openai", **prices) -> Model:
    """A model priced per unit only (tokens free), routed to `base_url`."""
    model = Model.objects.create(public_id=model_id, display_name=model_id, max_output_tokens=1)
    Price.objects.create(
        model=model,
        input_per_mtok_micros=0,
        output_per_mtok_micros=0,
        effective_from=datetime(2020, 1, 1, tzinfo=UTC),
        **prices,
    )
    provider, _ = Provider.objects.get_or_create(
        name=f"media-{kind}",
        defaults={"kind": kind, "base_url": base_url, "read_timeout_s": 5.0},
    )
    Route.objects.create(model=model, provider=provider, upstream_model=f"{model_id}-upstream")
    return model


@pytest.fixture
def media(tollgate_server, upstream):
    base_url = upstream.url + "/v1"
    add_media_model("img-test", base_url, per_image_micros=IMAGE_MICROS)
    add_media_model("whisper-test", base_url, per_audio_minute_micros=MINUTE_MICROS)
    add_media_model("tts-test", base_url, per_mchar_micros=MCHAR_MICROS)
    return upstream


@pytest.fixture
def client(tollgate_server, media, alice, account_a) -> openai.OpenAI:
    key = make_key(account_a, alice)
    return openai.OpenAI(
        base_url=f"{tollgate_server.url}/v1", api_key=key, max_retries=0, timeout=10
    )


def wav_bytes(seconds: float, rate: int = 16_000) -> bytes:
    """A real mono 16-bit PCM WAV file: a 440 Hz tone."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def settle_and_balance(account) -> int:
    settle_account(account.id)
    account.refresh_from_db()
    return account.balance_micros


def test_images_are_relayed_and_charged_per_image(client, media, account_a):
    raw = client.images.with_raw_response.generate(
        model="img-test", prompt="a lighthouse at dawn", n=3, size="1024x1024", quality="hd"
    )
    result = raw.parse()

    assert len(result.data) == 3
    sent = media.received[0]
    assert sent.path == "/v1/images/generations"
    assert sent.json == {
        "model": "img-test-upstream",
        "prompt": "a lighthouse at dawn",
        "n": 3,
        "size": "1024x1024",
        "quality": "hd",
    }
    assert raw.headers["x-tollgate-cost-usd"] == "0.120000"
    record = wait_for_record(raw.headers["x-request-id"])
    assert (record.units, record.unit_kind, record.cost_micros) == (3, "image", 3 * IMAGE_MICROS)
    assert (record.endpoint, record.status_code, record.usage_estimated) == ("images", 200, False)
    assert settle_and_balance(account_a) == 100_000_000 - 3 * IMAGE_MICROS


def test_a_transcription_uploads_the_file_intact_and_is_charged_by_its_duration(
    client, media, account_a
):
    audio = wav_bytes(1.5)
    raw = client.audio.transcriptions.with_raw_response.create(
        model="whisper-test",
        file=("speech.wav", audio, "audio/wav"),
        language="en",
        response_format="verbose_json",
        temperature=0,
    )

    assert raw.parse().text == "Hello from the fake transcription"
    sent = media.received[0]
    assert sent.path == "/v1/audio/transcriptions"
    form = sent.form
    assert form["file"] == ("speech.wav", "audio/wav", audio)
    assert form["model"][2] == b"whisper-test-upstream"
    assert (form["language"][2], form["response_format"][2]) == (b"en", b"verbose_json")
    assert form["temperature"][2] == b"0"
    assert int(sent.headers["content-length"]) == len(sent.body)
    record = wait_for_record(raw.headers["x-request-id"])
    # 1.5 s at $0.006 per minute: 1500 ms * 6000 / 60000 = 150 micro-USD
    assert (record.units, record.unit_kind, record.cost_micros) == (1500, "audio_ms", 150)
    assert record.usage_estimated is False
    assert raw.headers["x-tollgate-cost-usd"] == "0.000150"
    assert settle_and_balance(account_a) == 100_000_000 - 150


def test_the_duration_in_usage_is_charged_too(client, media):
    media.audio_seconds = 61.25
    mp3 = b"\xff\xfb\x90\x64" + bytes(100_000)
    raw = client.audio.transcriptions.with_raw_response.create(
        model="whisper-test", file=("a.mp3", mp3, "audio/mpeg")
    )

    assert raw.parse().usage.seconds == 61.25
    record = wait_for_record(raw.headers["x-request-id"])
    assert (record.units, record.cost_micros) == (61_250, 6_125)


def test_the_charge_never_exceeds_the_duration_that_the_hold_covered(client, media):
    media.audio_seconds = 3600.0  # far longer than 16 kB of audio can be
    audio = wav_bytes(0.5)  # 16,044 bytes: at most 17.044 s at 8 kbit/s (plus a second)
    raw = client.audio.transcriptions.with_raw_response.create(
        model="whisper-test", file=("a.wav", audio, "audio/wav")
    )

    record = wait_for_record(raw.headers["x-request-id"])
    assert record.units == len(audio) + 1000
    assert record.cost_micros == -(-(len(audio) + 1000) * MINUTE_MICROS // 60_000)


def test_without_a_duration_in_the_answer_it_is_estimated_from_the_file(client, media):
    raw = client.audio.transcriptions.with_raw_response.create(
        model="whisper-test",
        file=("speech.wav", wav_bytes(2.0), "audio/wav"),
        response_format="text",
    )

    assert raw.parse().strip() == "Hello from the fake transcription"
    assert raw.headers["content-type"].startswith("text/plain")
    record = wait_for_record(raw.headers["x-request-id"])
    assert (record.units, record.usage_estimated, record.cost_micros) == (2000, True, 200)


def post_form(server, key: str, files=None, data=None, **kwargs) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/audio/transcriptions",
        headers={"authorization": f"Bearer {key}"},
        files=files,
        data=data,
        timeout=10,
        **kwargs,
    )


def assert_refused(response: httpx.Response, status: int, message: str, upstream) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert message in error["message"]
    assert upstream.received == []
    record = wait_for_record(response.headers["x-request-id"])
    assert (record.status_code, record.cost_micros, record.units) == (status, 0, 0)
    return error


def test_a_file_that_is_not_audio_gets_400(client, media):
    with pytest.raises(openai.BadRequestError) as refused:
        client.audio.transcriptions.create(
            model="whisper-test", file=("notes.txt", b"not audio", "text/plain")
        )

    assert refused.value.status_code == 400
    assert refused.value.param == "file"
    assert "'notes.txt' is not audio" in refused.value.message
    assert media.received == []
    record = wait_for_record(refused.value.response.headers["x-request-id"])
    assert (record.status_code, record.cost_micros) == (400, 0)


def test_an_upload_over_the_limit_gets_413(tollgate_server, media, alice, account_a, settings):
    settings.PROXY_MAX_AUDIO_BYTES = 8_000
    key = make_key(account_a, alice)
    response = post_form(
        tollgate_server,
        key,
        files={"file": ("long.wav", wav_bytes(0.5), "audio/wav")},
        data={"model": "whisper-test"},
    )

    error = assert_refused(response, 413, "larger than the limit of 8,000 bytes", media)
    assert error["code"] == "request_too_large"
    assert error["type"] == "invalid_request_error"


def test_an_upload_over_the_limit_without_a_length_gets_413(
    tollgate_server, media, alice, account_a, settings
):
    settings.PROXY_MAX_AUDIO_BYTES = 8_000
    key = make_key(account_a, alice)
    request = httpx.Request(
        "POST",
        f"{tollgate_server.url}/v1/audio/transcriptions",
        files={"file": ("long.wav", wav_bytes(0.5), "audio/wav")},
        data={"model": "whisper-test"},
    )
    body = request.read()

    def chunks():  # no content-length: sent chunked
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    response = httpx.post(
        str(request.url),
        content=chunks(),
        headers={
            "authorization": f"Bearer {key}",
            "content-type": request.headers["content-type"],
        },
    )

    assert_refused(response, 413, "larger than the limit", media)


@pytest.mark.parametrize(
    ("files", "data", "message"),
    [
        (None, {"model": "whisper-test"}, "'file' is required"),
        ({"file": ("a.wav", b"", "audio/wav")}, {"model": "whisper-test"}, "The file is empty"),
        ({"file": ("a.wav", b"RIFF", "audio/wav")}, {"language": "en"}, "'model' is required"),
        ({"file": ("upload", b"abc", "application/octet-stream")}, {"model": "x"}, "not audio"),
    ],
)
def test_bad_uploads_get_a_clear_400(
    tollgate_server, media, alice, account_a, files, data, message
):
    key = make_key(account_a, alice)
    if files is None:  # a form without a file part is not sent as multipart by httpx
        files = {"language": (None, "en")}
    response = post_form(tollgate_server, key, files=files, data=data)

    error = assert_refused(response, 400, message, media)
    assert error["type"] == "invalid_request_error"


def test_a_body_that_is_not_multipart_gets_400(tollgate_server, media, alice, account_a):
    key = make_key(account_a, alice)
    response = httpx.post(
        f"{tollgate_server.url}/v1/audio/transcriptions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": "whisper-test", "file": "speech.wav"},
    )

    assert_refused(response, 400, "the body must be multipart/form-data", media)


def test_a_multipart_body_cut_before_its_end_gets_400(tollgate_server, media, alice, account_a):
    key = make_key(account_a, alice)
    request = httpx.Request(
        "POST",
        "http://x/",
        files={"file": ("a.wav", wav_bytes(0.1), "audio/wav")},
        data={"model": "whisper-test"},
    )
    body = request.read()
    response = httpx.post(
        f"{tollgate_server.url}/v1/audio/transcriptions",
        headers={
            "authorization": f"Bearer {key}",
            "content-type": request.headers["content-type"],
        },
        content=body[:-60],
    )

    assert_refused(response, 400, "ends before its closing boundary", media)


def test_speech_streams_the_audio_back_as_it_arrives(client, media):
    media.chunk_delay_s = 0.3
    started = time.monotonic()
    with client.audio.speech.with_streaming_response.create(
        model="tts-test", voice="alloy", input="Hello there, world", response_format="mp3"
    ) as response:
        assert response.headers["content-type"] == "audio/mpeg"
        chunks = response.iter_bytes()
        first = next(chunks)
        first_at = time.monotonic() - started
        audio = first + b"".join(chunks)
        request_id = response.headers["x-request-id"]
    total = time.monotonic() - started

    assert audio == media.speech_audio
    pieces = len(media.speech_audio) // media.speech_chunk_bytes
    assert total >= 0.3 * (pieces - 1)
    assert first_at < total / 2, "the audio was buffered before it reached the client"
    sent = media.received[0].json
    assert sent == {
        "model": "tts-test-upstream",
        "input": "Hello there, world",
        "voice": "alloy",
        "response_format": "mp3",
    }
    record = wait_for_record(request_id)
    # 18 characters at $15 per 1M: 270 micro-USD
    assert (record.units, record.unit_kind, record.cost_micros) == (18, "char", 270)


def test_insufficient_credit_is_refused_before_anything_is_sent(
    tollgate_server, media, alice, account_a
):
    fund(account_a, IMAGE_MICROS + 1)  # one image, not two
    key = make_key(account_a, alice)
    client = openai.OpenAI(base_url=f"{tollgate_server.url}/v1", api_key=key, max_retries=0)

    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.images.generate(model="img-test", prompt="two cats", n=2)

    assert refused.value.code == "insufficient_quota"
    assert "does not cover 2 image(s) at the prices of 'img-test'" in refused.value.message
    with pytest.raises(openai.PermissionDeniedError):
        client.audio.speech.create(model="tts-test", voice="alloy", input="x" * 10_000)
    assert media.received == []
    client.images.generate(model="img-test", prompt="one cat", n=1)
    assert len(media.received) == 1


def test_bad_image_requests_get_400_and_reach_nobody(client, media):
    with pytest.raises(openai.BadRequestError, match="'n' must be an integer from 1 to 10"):
        client.images.generate(model="img-test", prompt="cats", n=11)
    with pytest.raises(openai.BadRequestError, match="'prompt' is required"):
        client.images.generate(model="img-test", prompt="")
    with pytest.raises(openai.BadRequestError, match="'input' is required"):
        client.audio.speech.create(model="tts-test", voice="alloy", input="")
    assert media.received == []


def test_a_model_without_an_openai_route_has_no_route_for_images(
    tollgate_server, client, media, claude_upstream
):
    add_media_model("claude-img", claude_upstream.url, kind="anthropic", per_image_micros=1)

    with pytest.raises(openai.InternalServerError) as refused:
        client.images.generate(model="claude-img", prompt="a cat")

    assert refused.value.status_code == 503
    assert refused.value.code == "no_route_available"
    assert claude_upstream.received == []


def test_an_upstream_client_error_is_relayed_and_not_charged(client, media):
    media.status = 400
    media.error_body = (
        b'{"error": {"message": "Invalid size", "type": "invalid_request_error", '
        b'"param": "size", "code": "invalid_size"}}'
    )

    with pytest.raises(openai.BadRequestError, match="Invalid size") as refused:
        client.images.generate(model="img-test", prompt="a cat", size="7x7")

    record = wait_for_record(refused.value.response.headers["x-request-id"])
    assert (record.status_code, record.cost_micros) == (400, 0)
    assert UsageRecord.objects.filter(cost_micros__gt=0).count() == 0


def test_the_request_lookup_shows_the_units(client, media):
    raw = client.images.with_raw_response.generate(model="img-test", prompt="a cat", n=2)
    request_id = raw.headers["x-request-id"]
    wait_for_record(request_id)

    found = client.get(f"/requests/{request_id}", cast_to=httpx.Response).json()

    assert (found["usage"]["units"], found["usage"]["unit_kind"]) == (2, "image")
    assert found["cost_micros"] == 2 * IMAGE_MICROS


def test_an_upload_is_sent_again_to_the_next_route_on_failover(client, media, backup_upstream):
    model = Model.objects.get(public_id="whisper-test")
    backup = Provider.objects.create(
        name="media-backup", kind="openai_compatible", base_url=backup_upstream.url + "/v1"
    )
    Route.objects.create(model=model, provider=backup, upstream_model="whisper-backup", priority=2)
    media.status = 503
    audio = wav_bytes(1.0)

    result = client.audio.transcriptions.create(
        model="whisper-test", file=("speech.wav", audio, "audio/wav"), language="fr"
    )

    assert result.text == "Hello from the fake transcription"
    assert media.received[0].form["file"][2] == audio
    form = backup_upstream.received[0].form
    assert form["file"] == ("speech.wav", "audio/wav", audio)
    assert (form["model"][2], form["language"][2]) == (b"whisper-backup", b"fr")


def test_an_upload_longer_than_the_credit_covers_is_refused(
    tollgate_server, media, alice, account_a
):
    fund(account_a, 1_000)  # $0.001: 10 seconds of audio at most
    key = make_key(account_a, alice)
    client = openai.OpenAI(base_url=f"{tollgate_server.url}/v1", api_key=key, max_retries=0)

    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.audio.transcriptions.create(
            model="whisper-test", file=("long.mp3", bytes(200_000), "audio/mpeg")
        )

    assert "the longest this file may last (4 min)" in refused.value.message
    assert "send a smaller file" in refused.value.message
    assert media.received == []
