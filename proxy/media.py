"""POST /v1/images/generations, /v1/audio/transcriptions and /v1/audio/speech.

Relayed to routes that speak OpenAI's protocol (OpenAI, OpenAI-compatible, Azure OpenAI) with
only `model` rewritten; routes of other protocols are skipped (these calls are not translated).
They are priced per unit (proxy/metering.py `units_cost_micros`) on top of any tokens the
provider reports:

- images: per image returned (at most `n`, which the hold covers);
- transcriptions: per minute of audio, by the millisecond. The duration comes from the answer
  (`duration` of verbose_json, or `usage: {"type": "duration", "seconds"}`); answers with token
  usage (gpt-4o-transcribe) are charged by tokens. Without either, the duration is estimated
  from the file (a WAV header, else its size) and the record says so. The hold covers the
  longest plausible duration of the file (`MIN_AUDIO_BYTES_PER_S`), and the charge never
  exceeds it;
- speech: per 1M input characters, known before the call.

The usage record and the charge go through the same path as chat calls (usage_fields ->
recording.save -> settlement), with the units in `units` and `unit_kind`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import httpx
import orjson
from django.conf import settings

from proxy import catalog, errors
from proxy.calls import forward_call, resolve_model
from proxy.forwarding import Call
from proxy.http import Request, json_object
from proxy.metering import openai_usage
from proxy.multipart import Form, FormError, Part, read_form
from proxy.relay import cost_header, cut_error, read_answer, response_headers, send_answer
from proxy.upstream import UpstreamResponse, UpstreamUnavailable

log = logging.getLogger(__name__)

MAX_IMAGES = 10  # OpenAI's limit of `n`
# https://platform.openai.com/docs/api-reference/audio/createTranscription (file formats)
AUDIO_EXTENSIONS = frozenset(
    {"flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "opus", "wav", "webm"}
)
# The hold assumes audio as compressed as speech codecs go (8 kbit/s): the longest duration a
# file of that size plausibly has. An estimate without a duration assumes 128 kbit/s MP3.
MIN_AUDIO_BYTES_PER_S = 1_000
TYPICAL_AUDIO_BYTES_PER_S = 16_000


@dataclass
class Media:
    """How a media call is sent (`payload`, per route) and its answer relayed (`relay`)."""

    relay: Callable
    body: dict | None = None
    form: Form | None = None
    headers: dict = field(default_factory=dict)

    def payload(self, call: Call, route, provider) -> tuple:
        """(body, headers) for `route`: the client's body with only `model` rewritten."""
        if self.form is not None:
            chunks, length = self.form.with_field("model", route.upstream_model)
            headers = {"content-type": self.form.content_type, "content-length": str(length)}
            return chunks, headers
        self.body["model"] = route.upstream_model
        return orjson.dumps(self.body), dict(self.headers)

    def close(self) -> None:
        if self.form is not None:
            self.form.close()


# Handlers ----------------------------------------------------------------------------------


async def images(request: Request, send) -> None:
    """POST /v1/images/generations."""
    await forward_call(request, send, "images", prepare_images)


async def transcriptions(request: Request, send) -> None:
    """POST /v1/audio/transcriptions (multipart/form-data)."""
    await forward_call(request, send, "transcriptions", prepare_transcription)


async def speech(request: Request, send) -> None:
    """POST /v1/audio/speech: the audio is streamed back as it arrives."""
    await forward_call(request, send, "speech", prepare_speech)


# Preparing a call --------------------------------------------------------------------------


async def read_json(call: Call, required: str) -> dict:
    raw = await call.request.body(settings.PROXY_MAX_BODY_BYTES)
    call.body_size = len(raw)
    body = json_object(raw)
    await resolve(call, body.get("model"))
    value = body.get(required)
    if not isinstance(value, str) or not value.strip():
        raise errors.bad_request(f"'{required}' is required: a non-empty string.", required)
    if body.get("stream") is True:
        raise errors.bad_request("Tollgate does not stream this endpoint yet: omit 'stream'.")
    return body


async def resolve(call: Call, model_id) -> None:
    if not isinstance(model_id, str) or not model_id.strip():
        raise errors.bad_request("'model' is required: a model id from GET /v1/models.", "model")
    call.model_id = model_id
    call.model = resolve_model(await catalog.current(), call.context, model_id)
    call.price = call.model.price_at(catalog.now())


async def prepare_images(call: Call) -> None:
    body = await read_json(call, "prompt")
    count = body.get("n", 1)
    if count is None:
        count = 1
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_IMAGES:
        raise errors.bad_request(f"'n' must be an integer from 1 to {MAX_IMAGES}.", "n")
    call.body = body
    call.unit_kind, call.units_bound = "image", count
    call.adapter = Media(relay=relay_images, body=body)


async def prepare_speech(call: Call) -> None:
    body = await read_json(call, "input")
    call.body = body
    call.unit_kind, call.units_bound = "char", len(body["input"])
    call.adapter = Media(relay=relay_speech, body=body, headers={"accept": "*/*"})


async def prepare_transcription(call: Call) -> None:
    try:
        form = await read_form(call.request, settings.PROXY_MAX_AUDIO_BYTES)
    except FormError as exc:
        raise errors.bad_request(
            f"Send the audio as multipart/form-data with a 'file' part and a 'model' field: {exc}."
        ) from None
    call.adapter = Media(
        relay=relay_transcription, form=form
    )  # closed by forward_call whatever happens
    call.body_size = form.size
    upload = form.part("file")
    if upload is None or upload.filename is None:
        raise errors.bad_request("'file' is required: the audio file as a file part.", "file")
    if not is_audio(upload):
        raise errors.bad_request(
            f"The file '{upload.filename[:100]}' is not audio: send flac, m4a, mp3, mp4, mpeg, "
            "mpga, oga, ogg, opus, wav or webm, with an audio/* content type or that extension.",
            "file",
        )
    if upload.size == 0:
        raise errors.bad_request("The file is empty.", "file")
    await resolve(call, form.text("model"))
    if (form.text("stream") or "").strip().lower() == "true":
        raise errors.bad_request("Tollgate does not stream transcriptions yet: omit 'stream'.")
    call.unit_kind = "audio_ms"
    call.units_bound = upload.size * 1000 // MIN_AUDIO_BYTES_PER_S + 1000


def is_audio(part: Part) -> bool:
    media_type = part.content_type.split(";")[0].strip()
    extension = part.filename.rsplit(".", 1)[-1].lower() if "." in part.filename else ""
    return media_type.startswith("audio/") or extension in AUDIO_EXTENSIONS


# Relaying the answer -----------------------------------------------------------------------


def json_of(response: UpstreamResponse, data: bytes) -> dict | None:
    if "json" not in response.headers.get("content-type", "application/json"):
        return None
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


async def relay_images(call: Call, response: UpstreamResponse, send) -> None:
    data = await read_answer(response)
    answer = json_of(response, data)
    images = answer.get("data") if answer else None
    if answer:
        call.usage = openai_usage(answer.get("usage"))
    if isinstance(images, list):
        call.units = min(len(images), call.units_bound)
    else:  # an answer Tollgate cannot read: charge what was asked for
        call.units, call.units_estimated = call.units_bound, True
    await send_answer(call, data, send, response)


async def relay_transcription(call: Call, response: UpstreamResponse, send) -> None:
    data = await read_answer(response)
    answer = json_of(response, data) or {}
    usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else {}
    if usage.get("type") == "tokens":
        call.usage = openai_usage(usage)
    seconds = usage.get("seconds") if usage.get("type") == "duration" else answer.get("duration")
    duration_ms = milliseconds(seconds)
    per_minute = call.price.per_audio_minute_micros if call.price else None
    if duration_ms is None and (call.usage is None or per_minute):
        duration_ms, call.units_estimated = estimated_ms(call.adapter.form), True
    call.units = min(duration_ms or 0, call.units_bound)
    await send_answer(call, data, send, response)


async def relay_speech(call: Call, response: UpstreamResponse, send) -> None:
    """The audio as it arrives. A cut upstream ends the response without its last message, so
    the client sees a broken transfer rather than a short file; the call is not charged."""
    call.units = call.units_bound
    call.status = response.status
    content_type = response.headers.get("content-type", "application/octet-stream")
    headers = response_headers(call, content_type.encode("latin-1"))
    headers.append((b"x-tollgate-cost-usd", cost_header(call.cost_micros())))
    call.response_started = True
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    try:
        async for chunk in response.chunks:
            call.output_bytes += len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except (httpx.HTTPError, UpstreamUnavailable) as exc:
        call.status = cut_error(call, exc).status
        return
    await send({"type": "http.response.body", "body": b""})


def milliseconds(seconds) -> int | None:
    """A duration in seconds from an answer (a JSON number) as whole milliseconds, rounded up;
    None when it is not a number. Decimal, so 3.2 s is 3200 ms, not 3201."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return None
    try:
        value = Decimal(repr(seconds)) * 1000
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    return int(-(-value // 1))


def estimated_ms(form: Form) -> int:
    """The duration of the uploaded file: exact from a PCM WAV header, else from its size."""
    upload = form.part("file")
    head = form.head(upload, 64)
    if len(head) >= 44 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        byte_rate = int.from_bytes(head[28:32], "little")
        if byte_rate > 0:
            return -(-max(upload.size - 44, 0) * 1000 // byte_rate)
    return -(-upload.size * 1000 // TYPICAL_AUDIO_BYTES_PER_S)
