import pytest
from django.core.management import CommandError, call_command

from proxy.catalog_file import CatalogError, load
from proxy.models import Model, Price, Provider, Route

CATALOG = {
    "providers": [
        {
            "name": "openai-main",
            "kind": "openai",
            "base_url": "https://api.example.test/v1",
            "api_key_env": "TEST_OPENAI_KEY",
        },
    ],
    "models": [
        {
            "id": "gpt-4o-mini",
            "display_name": "GPT-4o mini",
            "max_output_tokens": 16384,
            "prices": {"input": 0.15, "output": 0.60, "cached_input": 0.075},
            "routes": [
                {
                    "provider": "openai-main",
                    "upstream_model": "gpt-4o-mini",
                    "priority": 1,
                    "weight": 1,
                }
            ],
            "public": True,
        }
    ],
}
ENV = {"TEST_OPENAI_KEY": "sk-upstream-secret"}


def test_load_creates_everything_with_integer_prices_and_an_encrypted_key(db):
    summary = load(CATALOG, ENV)

    assert str(summary) == "1 providers, 1 models, 1 routes, 1 new prices"
    provider = Provider.objects.get(name="openai-main")
    assert provider.api_key == "sk-upstream-secret"
    assert "sk-upstream-secret" not in provider.api_key_encrypted
    price = Price.objects.get()
    assert (price.input_per_mtok_micros, price.output_per_mtok_micros) == (150_000, 600_000)
    assert price.cached_input_per_mtok_micros == 75_000
    assert Route.objects.get().upstream_model == "gpt-4o-mini"


def test_loading_twice_changes_nothing(db):
    load(CATALOG, ENV)
    summary = load(CATALOG, ENV)

    assert summary.prices_added == 0
    assert (Provider.objects.count(), Model.objects.count(), Route.objects.count()) == (1, 1, 1)
    assert Price.objects.count() == 1


def test_a_changed_price_is_added_to_the_history(db):
    load(CATALOG, ENV)
    changed = {
        **CATALOG,
        "models": [{**CATALOG["models"][0], "prices": {"input": 0.2, "output": 0.6}}],
    }

    load(changed, ENV)

    assert Price.objects.count() == 2
    assert Model.objects.get().current_price().input_per_mtok_micros == 200_000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"providers": [{"name": "x", "kind": "martian"}]}, "unknown kind 'martian'"),
        (
            {"providers": [{"name": "x", "kind": "openai", "api_key_env": "NOPE"}]},
            "NOPE is not set",
        ),
        ({"models": [{"id": "m", "routes": [{"provider": "ghost"}]}]}, "unknown provider 'ghost'"),
        ({"models": [{"id": "m", "prices": {"input": "cheap", "output": 1}}]}, "not a number"),
        ({"models": [{"id": "m", "prices": {"input": -1, "output": 1}}]}, "must be a positive"),
        ({"models": [{"display_name": "no id"}]}, "'id' is required"),
    ],
)
def test_bad_catalogs_are_rejected_with_the_place_and_nothing_is_written(db, change, message):
    with pytest.raises(CatalogError, match=message):
        load({**CATALOG, **change}, ENV)

    assert Model.objects.filter(public_id="m").count() == 0


def test_load_catalog_command_reads_the_example_file(db, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-key-from-env")
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key-from-env")

    call_command("load_catalog", "catalog.example.yaml")

    assert Model.objects.filter(public_id="llama-3.1-8b").get().routes.count() == 2
    claude = Model.objects.get(public_id="claude-sonnet-4-5").current_price()
    assert claude.cache_write_per_mtok_micros == 3_750_000
    whisper = Model.objects.get(public_id="whisper-1").current_price()
    assert (whisper.per_audio_minute_micros, whisper.input_per_mtok_micros) == (6000, 0)
    assert Model.objects.get(public_id="dall-e-3").current_price().per_image_micros == 40_000
    assert Model.objects.get(public_id="tts-1").current_price().per_mchar_micros == 15_000_000
    assert "Loaded 6 providers, 8 models, 10 routes, 8 new prices." in capsys.readouterr().out


def test_load_catalog_command_reports_a_missing_file(db):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("load_catalog", "/nonexistent.yaml")


def test_bootstrap_loads_the_demo_model_once(db, capsys):
    call_command("bootstrap_catalog")
    call_command("bootstrap_catalog")

    out = capsys.readouterr().out
    assert "Loaded the offline demo model" in out
    assert "nothing loaded" in out
    assert Model.objects.get(public_id="demo").routes.get().provider.kind == "demo"
