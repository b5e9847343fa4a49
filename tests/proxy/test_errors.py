"""The error contract (ARCHITECTURE.md), as the openai SDK and raw HTTP clients see it."""

import httpx
import openai
import pytest

from accounts.models import Account
from tests.proxy.conftest import add_model, make_key, wait_for_record

pytestmark = pytest.mark.django_db(transaction=True)
HI = [{"role": "user", "content": "Hi"}]


def sdk(server, key) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=10)


def post(server, key, body, path="/v1/chat/completions", **kwargs) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
    return httpx.post(f"{server.url}{path}", headers=headers, content=body, **kwargs)


def test_missing_key_is_401_and_says_how_to_send_one(tollgate_server, gpt):
    response = httpx.post(f"{tollgate_server.url}/v1/chat/completions", json={})

    assert response.status_code == 401
    assert response.headers["x-should-retry"] == "false"
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert "Authorization: Bearer" in response.json()["error"]["message"]
    assert response.headers["x-request-id"].startswith("req_")


def test_unknown_key_is_401(tollgate_server, gpt):
    with pytest.raises(openai.AuthenticationError, match="unknown, revoked or expired"):
        sdk(tollgate_server, "sk-tg-" + "x" * 43).chat.completions.create(
            model="gpt-test", messages=HI
        )


def test_revoked_key_is_401(tollgate_server, key):
    from django.utils import timezone

    from tokens.lookup import invalidate
    from tokens.models import ApiToken

    token = ApiToken.objects.get()
    token.revoked_at = timezone.now()
    token.save()
    invalidate(token)

    with pytest.raises(openai.AuthenticationError):
        sdk(tollgate_server, key).chat.completions.create(model="gpt-test", messages=HI)


def test_suspended_account_is_403(tollgate_server, key, account_a):
    account_a.status = Account.Status.SUSPENDED
    account_a.save()

    with pytest.raises(openai.PermissionDeniedError, match="suspended") as info:
        sdk(tollgate_server, key).chat.completions.create(model="gpt-test", messages=HI)
    assert info.value.code == "account_suspended"


def test_unknown_model_is_404_pointing_to_the_model_list(tollgate_server, key):
    with pytest.raises(openai.NotFoundError, match="GET /v1/models") as info:
        sdk(tollgate_server, key).chat.completions.create(model="gpt-nope", messages=HI)
    assert info.value.code == "model_not_found"


def test_model_outside_the_tokens_allowlist_is_403(tollgate_server, alice, account_a, gpt):
    add_model("other-model")
    key = make_key(account_a, alice, allowed_models=["other-model"])

    with pytest.raises(openai.PermissionDeniedError) as info:
        sdk(tollgate_server, key).chat.completions.create(model="gpt-test", messages=HI)
    assert info.value.code == "model_not_allowed"


def test_model_not_granted_to_the_account_is_403(tollgate_server, key):
    add_model("private-model", public=False)

    with pytest.raises(openai.PermissionDeniedError):
        sdk(tollgate_server, key).chat.completions.create(model="private-model", messages=HI)


def test_ip_outside_the_allowlist_is_403(tollgate_server, alice, account_a, gpt):
    key = make_key(account_a, alice, allowed_ips=["10.1.2.0/24"])

    with pytest.raises(openai.PermissionDeniedError, match=r"127\.0\.0\.1") as info:
        sdk(tollgate_server, key).chat.completions.create(model="gpt-test", messages=HI)
    assert info.value.code == "ip_not_allowed"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"", "body is empty"),
        (b'{"messages": []}', "'model' is required"),
        (b'{"model": "gpt-test"}', "'messages' is required"),
        (b'{"model": "gpt-test", "messages": "hi"}', "non-empty array"),
        (b'{"model": "gpt-test", "messages": [{}], "stream": "yes"}', "'stream' must be"),
    ],
)
def test_malformed_requests_are_400_with_a_message(tollgate_server, key, upstream, body, message):
    response = post(tollgate_server, key, body)

    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert upstream.received == []


def test_a_body_over_the_limit_is_413(tollgate_server, key, settings):
    settings.PROXY_MAX_BODY_BYTES = 2048

    response = post(tollgate_server, key, b'{"model":"gpt-test","messages":[]' + b" " * 4096 + b"}")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_doubled_v1_prefix_names_the_mistake(tollgate_server, key):
    response = post(tollgate_server, key, b"{}", path="/v1/v1/chat/completions")

    assert response.status_code == 404
    assert "'/v1' twice" in response.json()["error"]["message"]


def test_wrong_method_is_405(tollgate_server, key):
    response = httpx.get(f"{tollgate_server.url}/v1/chat/completions")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_model_without_routes_is_503(tollgate_server, key):
    add_model("routeless")

    with pytest.raises(openai.InternalServerError) as info:
        sdk(tollgate_server, key).chat.completions.create(model="routeless", messages=HI)
    assert info.value.status_code == 503
    assert info.value.code == "no_route_available"


def test_upstream_failing_on_every_route_is_502_without_leaking_its_url(
    tollgate_server, key, upstream
):
    upstream.status = 500

    with pytest.raises(openai.InternalServerError) as info:
        sdk(tollgate_server, key).chat.completions.create(model="gpt-test", messages=HI)

    assert info.value.status_code == 502
    assert info.value.code == "upstream_error"
    assert "127.0.0.1" not in str(info.value.body)


def test_upstream_too_slow_is_504(tollgate_server, key, upstream):
    upstream.delay_s = 3  # the route's first-byte timeout is 2 s

    with pytest.raises(openai.InternalServerError) as info:
        sdk(tollgate_server, key).chat.completions.create(model="gpt-test", messages=HI)
    assert info.value.status_code == 504


def test_upstream_client_errors_are_relayed_in_our_shape(tollgate_server, key, upstream):
    upstream.status = 400
    upstream.error_body = (
        b'{"error":{"message":"Invalid value for temperature at https://internal.example/x",'
        b'"type":"invalid_request_error","param":"temperature","code":"invalid_value"}}'
    )

    response = post(tollgate_server, key, b'{"model":"gpt-test","messages":[{}],"temperature":9}')

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "temperature" and error["code"] == "invalid_value"
    assert "internal.example" not in error["message"]
    record = wait_for_record(response.headers["x-request-id"])
    assert record.cost_micros == 0 and record.status_code == 400


def test_failed_requests_are_recorded_and_cost_nothing(tollgate_server, key):
    response = post(tollgate_server, key, b'{"model":"gpt-nope","messages":[{}]}')

    record = wait_for_record(response.headers["x-request-id"])
    assert (record.status_code, record.error_type, record.cost_micros) == (
        404,
        "model_not_found",
        0,
    )
