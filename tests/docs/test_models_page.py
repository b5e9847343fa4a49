"""The public Models and pricing page shows the catalog's current prices and limits."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from proxy import pages
from proxy.catalog_file import load
from proxy.models import Model, Price
from tests.conftest import login

CATALOG = {
    "providers": [{"name": "demo", "kind": "demo"}, {"name": "claude", "kind": "anthropic"}],
    "models": [
        {
            "id": "fast-chat",
            "display_name": "Fast chat",
            "description": "A quick model.",
            "context_window": 128000,
            "max_output_tokens": 16384,
            "prices": {"input": 0.15, "output": 0.6, "cached_input": 0.075},
            "routes": [{"provider": "demo", "upstream_model": "demo"}],
        },
        {
            "id": "team-only",
            "public": False,
            "prices": {"input": 3, "output": 15},
            "routes": [{"provider": "demo", "upstream_model": "demo"}],
        },
        {
            "id": "switched-off",
            "enabled": False,
            "prices": {"input": 1, "output": 1},
            "routes": [{"provider": "demo"}],
        },
        {
            "id": "claude-only",
            "prices": {"input": 3, "output": 15},
            "routes": [{"provider": "claude", "upstream_model": "claude-x"}],
        },
    ],
}


def rows(html: str) -> dict[str, dict[str, str]]:
    """model id -> {cell name: text} for every row of the page's tables."""
    found = {}
    for model_id, row in re.findall(r'<tr data-model="([^"]+)">(.*?)</tr>', html, re.S):
        cells = re.findall(r'data-(?:price|field)="(\w+)">(.*?)</td>', row, re.S)
        found[model_id] = {name: re.sub(r"<[^>]+>|\s+", " ", text).strip() for name, text in cells}
    return found


@pytest.fixture
def catalog(db):
    load(CATALOG, {})


def test_prices_and_limits_match_the_catalog(client, catalog):
    table = rows(client.get("/models/").content.decode())

    assert table["fast-chat"] == {
        "input": "$0.15",
        "cached_input": "$0.075",
        "output": "$0.60",
        "context_window": "128,000",
        "max_output_tokens": "16,384",
        "protocols": "OpenAI-compatible   Anthropic Messages   OpenAI Responses   Gemini",
    }


def test_every_public_model_is_listed_with_its_current_price(client, catalog):
    from proxy import catalog as catalog_cache

    snapshot = catalog_cache.current_sync()
    table = rows(client.get("/models/").content.decode())

    public = {m.id for m in snapshot.models.values() if m.public}
    assert set(table) == public == {"fast-chat", "claude-only"}
    for model_id in public:
        price = snapshot.models[model_id].price_at(timezone.now())
        assert table[model_id]["input"] == pages.format_per_mtok(price.input_per_mtok_micros)
        assert table[model_id]["output"] == pages.format_per_mtok(price.output_per_mtok_micros)


def test_a_new_price_shows_once_it_is_in_effect(client, catalog):
    model = Model.objects.get(public_id="fast-chat")
    Price.objects.create(
        model=model,
        input_per_mtok_micros=200_000,
        output_per_mtok_micros=800_000,
        effective_from=timezone.now(),
    )
    Price.objects.create(
        model=model,
        input_per_mtok_micros=9_000_000,
        output_per_mtok_micros=9_000_000,
        effective_from=timezone.now() + timedelta(days=30),
    )

    row = rows(client.get("/models/").content.decode())["fast-chat"]

    # No cached price given: cached input tokens cost the input price.
    assert (row["input"], row["cached_input"], row["output"]) == ("$0.20", "$0.20", "$0.80")


def test_a_claude_model_is_served_in_both_protocols(client, catalog):
    row = rows(client.get("/models/").content.decode())["claude-only"]

    assert row["protocols"] == "OpenAI-compatible   Anthropic Messages   OpenAI Responses   Gemini"


def test_a_model_no_provider_can_serve_yet_says_so(client, catalog):
    load(
        {
            "providers": [{"name": "bedrock", "kind": "bedrock"}],
            "models": [{"id": "bedrock-only", "routes": [{"provider": "bedrock"}]}],
        },
        {},
    )

    row = rows(client.get("/models/").content.decode())["bedrock-only"]

    assert row["protocols"] == "not available right now"


def test_granted_models_show_for_their_account_only(client, catalog, alice, account_a, charlie):
    account_a.granted_models.add(Model.objects.get(public_id="team-only"))

    for_alice = login(client, alice).get("/models/").content.decode()
    for_charlie = login(client, charlie).get("/models/").content.decode()
    client.logout()
    for_visitors = client.get("/models/").content.decode()

    assert rows(for_alice)["team-only"]["input"] == "$3.00"
    assert f"Enabled for {account_a.name}" in for_alice
    assert "team-only" not in for_charlie and 'data-testid="no-granted-models"' in for_charlie
    assert "team-only" not in for_visitors and "Enabled for" not in for_visitors


def test_the_page_is_in_the_navigation_for_visitors(client, db):
    html = client.get("/").content.decode()

    assert 'href="/models/"' in html and 'href="/docs/"' in html


def test_the_page_rejects_posts(client, db):
    assert client.post("/models/").status_code == 405


def test_protocols_follow_what_the_proxy_serves():
    served = {p.name: p.served for p in pages.CLIENT_PROTOCOLS}

    assert served == {"openai": True, "anthropic": True, "responses": True, "gemini": True}


@pytest.mark.parametrize(
    ("micros", "text"),
    [
        (0, "$0.00"),
        (75_000, "$0.075"),
        (1_000_000, "$1.00"),
        (2_500_000, "$2.50"),
        (1, "$0.000001"),
    ],
)
def test_prices_per_million_tokens_are_exact(micros, text):
    assert pages.format_per_mtok(micros) == text
