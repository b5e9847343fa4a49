"""GET and DELETE /v1/responses/{id} (and .../input_items) with the official openai SDK: kept by
Tollgate for translated routes, relayed to the OpenAI route that created the response, and
never visible from another account."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.proxy.conftest import add_model, make_key, wait_for_records

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(server, key) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=10)


@pytest.fixture
def translated(upstream, tollgate_server, alice, account_a) -> str:
    add_model("chat-only", ("fake-chat", upstream.url + "/v1", 1))
    return make_key(account_a, alice)


@pytest.fixture
def relayed(upstream, tollgate_server, alice, account_a) -> str:
    add_model("gpt-resp", ("fake-openai", upstream.url + "/v1", 1, "openai"))
    return make_key(account_a, alice)


def test_a_stored_response_of_a_translated_route_is_retrieved_then_deleted(
    tollgate_server, translated, upstream, account_a
):
    client = client_for(tollgate_server, translated)
    created = client.responses.create(
        model="chat-only", instructions="Be brief.", input="Hi", store=True
    )

    fetched = client.responses.retrieve(created.id)
    items = client.responses.input_items.list(created.id, order="asc")
    client.responses.delete(created.id)

    assert fetched.id == created.id and fetched.status == "completed"
    assert fetched.output_text == "Hello from the fake upstream"
    assert fetched.store is True and fetched.instructions == "Be brief."
    assert [item.role for item in items.data] == ["user"]
    with pytest.raises(openai.NotFoundError, match="store=true"):
        client.responses.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(created.id)
    assert len(upstream.received) == 1  # nothing of this reached the provider
    assert wait_for_records(account_a, 1) == 1  # only the creation is recorded (and charged)


def test_a_streamed_stored_response_is_retrieved_too(tollgate_server, translated):
    client = client_for(tollgate_server, translated)
    with client.responses.stream(model="chat-only", input="Hi", store=True) as stream:
        created = stream.get_final_response()

    fetched = client.responses.retrieve(created.id)

    assert fetched.output_text.strip() == "Hello from the fake upstream"
    assert fetched.usage.output_tokens == 5


def test_a_member_of_the_account_sees_the_response_and_another_account_does_not(
    tollgate_server, translated, account_a, bob, charlie, account_b
):
    created = client_for(tollgate_server, translated).responses.create(
        model="chat-only", input="Hi", store=True
    )
    member = client_for(tollgate_server, make_key(account_a, bob))
    stranger = client_for(tollgate_server, make_key(account_b, charlie))

    assert member.responses.retrieve(created.id).id == created.id
    with pytest.raises(openai.NotFoundError):
        stranger.responses.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        stranger.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        stranger.responses.input_items.list(created.id)
    assert member.responses.retrieve(created.id).id == created.id  # not deleted by charlie


def test_a_response_created_without_store_is_not_kept(tollgate_server, translated):
    client = client_for(tollgate_server, translated)
    created = client.responses.create(model="chat-only", input="Hi")

    assert created.store is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)


def test_get_and_delete_of_a_relayed_response_reach_the_openai_route_that_created_it(
    tollgate_server, relayed, upstream, charlie, account_b
):
    client = client_for(tollgate_server, relayed)
    created = client.responses.create(model="gpt-resp", input="Hi")
    with client.responses.stream(model="gpt-resp", input="Hi again") as stream:
        streamed = stream.get_final_response()

    fetched = client.responses.retrieve(created.id)
    again = client.responses.retrieve(streamed.id)
    with pytest.raises(openai.NotFoundError):
        client_for(tollgate_server, make_key(account_b, charlie)).responses.retrieve(created.id)
    client.responses.delete(created.id)

    assert fetched.id == created.id and fetched.output_text == "Hello from the fake upstream"
    assert again.id == streamed.id
    assert [(r.method, r.path) for r in upstream.received[2:]] == [
        ("GET", f"/v1/responses/{created.id}"),
        ("GET", f"/v1/responses/{streamed.id}"),
        ("DELETE", f"/v1/responses/{created.id}"),
    ]
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)  # forgotten here: the provider is not asked
    assert len(upstream.received) == 5


def test_a_key_in_the_query_never_reaches_the_provider(tollgate_server, relayed, upstream):
    created = client_for(tollgate_server, relayed).responses.create(model="gpt-resp", input="Hi")

    answer = httpx.get(
        f"{tollgate_server.url}/v1/responses/{created.id}",
        params={"key": relayed, "include[]": "reasoning.encrypted_content", "stream": "true"},
    )

    assert answer.status_code == 200 and answer.json()["id"] == created.id
    assert upstream.received[-1].query == "include%5B%5D=reasoning.encrypted_content"


def test_a_relayed_response_created_with_store_false_is_not_looked_up(
    tollgate_server, relayed, upstream
):
    client = client_for(tollgate_server, relayed)
    created = client.responses.create(model="gpt-resp", input="Hi", store=False)

    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)
    assert len(upstream.received) == 1


def test_an_unknown_id_answers_404_in_the_responses_error_shape(tollgate_server, translated):
    headers = {"authorization": f"Bearer {translated}"}

    answer = httpx.get(f"{tollgate_server.url}/v1/responses/resp_nope", headers=headers)
    odd = httpx.get(f"{tollgate_server.url}/v1/responses/resp%20x", headers=headers)
    unknown = httpx.get(f"{tollgate_server.url}/v1/responses/resp_1/other", headers=headers)
    wrong_method = httpx.delete(
        f"{tollgate_server.url}/v1/responses/resp_1/input_items", headers=headers
    )
    anonymous = httpx.get(f"{tollgate_server.url}/v1/responses/resp_nope")

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "response_not_found"
    assert answer.headers["x-request-id"].startswith("req_")
    assert odd.status_code == 404 and unknown.status_code == 404
    assert wrong_method.status_code == 405
    assert anonymous.status_code == 401
