import httpx


def test_unknown_v1_path_answers_openai_shaped_404(tollgate_server):
    response = httpx.post(f"{tollgate_server.url}/v1/nope", json={})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"].startswith("req_")
    error = response.json()["error"]
    assert error["type"] == "not_found_error"
    assert "POST /v1/nope" in error["message"]


def test_v1beta_goes_to_the_proxy_not_django(tollgate_server):
    response = httpx.get(f"{tollgate_server.url}/v1beta/models")

    assert response.headers["content-type"] == "application/json"
    assert "x-request-id" in response.headers


def test_pages_still_go_to_django(tollgate_server):
    response = httpx.get(f"{tollgate_server.url}/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
