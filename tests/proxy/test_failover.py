"""Routing: failover before the first byte, never after; disconnects cancel upstream work."""

import time

import httpx
import openai
import pytest

from tests.proxy.conftest import add_model, closed_port_url, make_key, wait_for_record

pytestmark = pytest.mark.django_db(transaction=True)
HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def key(tollgate_server, alice, account_a, upstream, backup_upstream):
    add_model(
        "gpt-test",
        ("fake-primary", upstream.url + "/v1", 1),
        ("fake-backup", backup_upstream.url + "/v1", 2),
    )
    return make_key(account_a, alice)


def sdk(server, key) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=10)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_fails_over_to_the_next_route_on_5xx_and_429(
    tollgate_server, key, upstream, backup_upstream, status
):
    upstream.status = status

    raw = sdk(tollgate_server, key).chat.completions.with_raw_response.create(
        model="gpt-test", messages=HI
    )

    assert raw.parse().choices[0].message.content == "Hello from the backup"
    assert len(upstream.received) == 1 and len(backup_upstream.received) == 1
    assert wait_for_record(raw.headers["x-request-id"]).provider == "fake-backup"


def test_fails_over_on_a_connection_error(tollgate_server, alice, account_a, backup_upstream):
    add_model(
        "gpt-test", ("dead", closed_port_url(), 1), ("fake-backup", backup_upstream.url + "/v1", 2)
    )
    key = make_key(account_a, alice)

    completion = sdk(tollgate_server, key).chat.completions.create(model="gpt-test", messages=HI)

    assert completion.choices[0].message.content == "Hello from the backup"


def test_does_not_fail_over_on_a_client_error(tollgate_server, key, upstream, backup_upstream):
    upstream.status = 400

    with pytest.raises(openai.BadRequestError):
        sdk(tollgate_server, key).chat.completions.create(model="gpt-test", messages=HI)
    assert backup_upstream.received == []


def test_every_route_answering_429_is_a_429_with_retry_after(
    tollgate_server, key, upstream, backup_upstream
):
    upstream.status = backup_upstream.status = 429

    with pytest.raises(openai.RateLimitError) as info:
        sdk(tollgate_server, key).chat.completions.create(model="gpt-test", messages=HI)
    assert info.value.response.headers["retry-after"] == "1"


def test_no_retry_once_bytes_reached_the_client(tollgate_server, key, upstream, backup_upstream):
    upstream.cut_after = 3  # role chunk and two words, then the connection drops

    stream = sdk(tollgate_server, key).chat.completions.create(
        model="gpt-test", messages=HI, stream=True
    )
    text = ""
    with pytest.raises(openai.APIError, match="stream was cut"):
        for chunk in stream:
            text += chunk.choices[0].delta.content or ""

    assert text == "Hello from "
    assert backup_upstream.received == []
    record = wait_for_record(stream.response.headers["x-request-id"])
    assert record.error_type == "upstream_error"
    assert record.usage_estimated is True


def test_a_route_that_keeps_failing_cools_down(
    tollgate_server, key, upstream, backup_upstream, settings
):
    settings.PROXY_ROUTE_FAILURES_BEFORE_COOLDOWN = 2
    upstream.status = 500
    client = sdk(tollgate_server, key)
    for _ in range(2):
        client.chat.completions.create(model="gpt-test", messages=HI)

    client.chat.completions.create(model="gpt-test", messages=HI)

    assert len(upstream.received) == 2  # the third request went straight to the backup
    assert len(backup_upstream.received) == 3


def test_client_disconnect_cancels_the_upstream_stream(tollgate_server, key, upstream):
    upstream.chunk_delay_s = 0.3
    upstream.reply = " ".join(["word"] * 50)
    body = {"model": "gpt-test", "messages": HI, "stream": True}

    with httpx.stream(
        "POST",
        f"{tollgate_server.url}/v1/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {key}"},
    ) as response:
        request_id = response.headers["x-request-id"]
        lines = response.iter_lines()
        received = [next(lines) for _ in range(3)]
    assert received[0].startswith("data: ")

    deadline = time.monotonic() + 3
    while upstream.disconnected == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.disconnected == 1
    assert upstream.streams_finished == 0
    record = wait_for_record(request_id)
    assert (record.status_code, record.error_type) == (499, "client_disconnected")
    assert record.usage_estimated is True and record.output_tokens >= 0
