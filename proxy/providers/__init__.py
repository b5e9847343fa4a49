"""Provider registry: kind -> dotted path of its class, imported on first use.

Adding a provider: see STYLE.md ("Adding a provider") — copy the closest module, register it
here and in `Provider.Kind`, and give it a fake in tests/fakes/ and a test file.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import import_module

from proxy.catalog import ProviderConfig

PROVIDERS = {
    "openai": "proxy.providers.openai.OpenAI",
    "openai_compatible": "proxy.providers.openai_compatible.OpenAICompatible",
    "anthropic": "proxy.providers.anthropic.Anthropic",
    "azure_openai": "proxy.providers.azure_openai.AzureOpenAI",
    "gemini": "proxy.providers.gemini.Gemini",
    "demo": "proxy.providers.demo.Demo",
}


class UnknownProvider(Exception):
    pass


@cache
def provider_class(kind: str):
    try:
        dotted = PROVIDERS[kind]
    except KeyError:
        raise UnknownProvider(f"provider kind {kind!r} is not implemented") from None
    module_name, class_name = dotted.rsplit(".", 1)
    return getattr(import_module(module_name), class_name)


@lru_cache(maxsize=512)
def get_provider(config: ProviderConfig):
    """The provider instance for a catalog snapshot's provider config."""
    return provider_class(config.kind)(config)
